import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { appendAudit, verifyAuditChain } from '../../audit/chain';
import { createPrismaClient } from '../../infra/db';
import { inTransaction } from '../../infra/transaction';
import { PROJECT_ROOT } from '../../infra/tools';
import { type TestDatabase, freshDatabase } from '../helpers/db';

const run = promisify(execFile);
let db: TestDatabase;
beforeEach(() => {
  db = freshDatabase();
});
afterEach(() => db.close());

async function append(n: number, prisma = db.prisma) {
  for (let i = 0; i < n; i++) {
    await inTransaction(prisma, (tx) =>
      appendAudit(tx, { actorId: 'u1', actorRole: 'officer', action: 'case.decided', targetType: 'application', targetId: `a${i}`, after: { amountFen: 100 * i }, reason: `r${i}` }),
    );
  }
}

describe('the audit chain', () => {
  it('verifies intact after appends from several connections at once', async () => {
    const clients = [db.prisma, createPrismaClient(db.url), createPrismaClient(db.url)];
    try {
      await Promise.all(clients.map((c) => append(10, c)));
    } finally {
      await Promise.all(clients.slice(1).map((c) => c.$disconnect()));
    }
    expect(await verifyAuditChain(db.prisma, 7)).toEqual({ intact: true, checked: 30, firstBroken: null });
  });

  it('names the first entry whose content was edited behind its back', async () => {
    await append(12);
    await db.prisma.$executeRawUnsafe(`UPDATE "AuditEntry" SET "reason" = 'nothing to see' WHERE "seq" = 5`);
    const report = await verifyAuditChain(db.prisma);
    expect(report).toMatchObject({ intact: false, checked: 4, firstBroken: { seq: 5, reason: expect.stringMatching(/content/) } });
  });

  it('detects an entry deleted from the middle, and from the end', async () => {
    await append(8);
    await db.prisma.$executeRawUnsafe(`DELETE FROM "AuditEntry" WHERE "seq" = 8`);
    expect((await verifyAuditChain(db.prisma)).firstBroken).toMatchObject({ seq: 8, reason: expect.stringMatching(/missing/) });
    await db.prisma.$executeRawUnsafe(`DELETE FROM "AuditEntry" WHERE "seq" = 3`);
    expect((await verifyAuditChain(db.prisma)).firstBroken).toMatchObject({ seq: 3, reason: expect.stringMatching(/missing/) });
  });

  it('detects a rewritten entry whose hash was recomputed, by the broken link after it', async () => {
    await append(6);
    const row = await db.prisma.auditEntry.findUniqueOrThrow({ where: { seq: 2 } });
    await db.prisma.$executeRawUnsafe(`UPDATE "AuditEntry" SET "hash" = '${'f'.repeat(64)}' WHERE "id" = ${row.id}`);
    const report = await verifyAuditChain(db.prisma);
    expect(report.firstBroken?.seq).toBe(2);
  });

  it('has a command that says so, with exit code 1 when broken', async () => {
    await append(3);
    const ok = await run('node_modules/.bin/tsx', ['scripts/audit-verify.ts'], { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: db.url } });
    expect(ok.stdout).toMatch(/intact: 3 entries/);
    await db.prisma.$executeRawUnsafe(`UPDATE "AuditEntry" SET "actorId" = 'someone-else' WHERE "seq" = 2`);
    const broken = await run('node_modules/.bin/tsx', ['scripts/audit-verify.ts'], { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: db.url } }).catch((e) => e);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/BROKEN at entry 2/);
  });
});
