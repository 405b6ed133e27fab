import { ApplicationFailure } from '@temporalio/common';
import { createPrismaClient } from '../../infra/db';
import { commitAward, ledgerTotals, payTranche, reconcile, settleCase } from '../../money/ledger';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { DAY } from '../helpers/fixtures';
import { seedApplication, seedProgramme } from '../helpers/seed';

let db: TestDatabase;
beforeAll(() => {
  db = freshDatabase();
});
afterAll(() => db.close());

const window = () => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });

describe('the programme ledger', () => {
  it('never commits more than the budget when many signings race, from several connections', async () => {
    const programme = await seedProgramme(db.prisma, window(), { budgetFen: 10n * 200_000_000n });
    const cases = await Promise.all(Array.from({ length: 20 }, () => seedApplication(db.prisma, programme)));
    // Four clients: four SQLite connections, as several API and worker processes would have.
    const clients = [db.prisma, ...Array.from({ length: 3 }, () => createPrismaClient(db.url))];
    try {
      const results = await Promise.allSettled(
        cases.map((c, i) =>
          commitAward(clients[i % clients.length]!, { programmeId: programme.programmeId, caseId: c.applicationId, amountFen: 200_000_000, key: `${c.applicationId}:commit` }),
        ),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      for (const r of refused) expect(((r as PromiseRejectedResult).reason as ApplicationFailure).type).toBe('BudgetExhausted');
      const totals = await ledgerTotals(db.prisma, programme.programmeId);
      expect(totals).toMatchObject({ committedFen: 2_000_000_000n, remainingFen: 0n });
      expect(await reconcile(db.prisma, programme.programmeId)).toEqual([]);
    } finally {
      await Promise.all(clients.slice(1).map((c) => c.$disconnect()));
    }
  });

  it('pays a tranche once per key and refuses to pay beyond the commitment', async () => {
    const programme = await seedProgramme(db.prisma, window());
    const c = await seedApplication(db.prisma, programme);
    const base = { programmeId: programme.programmeId, caseId: c.applicationId };
    await commitAward(db.prisma, { ...base, amountFen: 500_000_000, key: 'k:commit' });
    await commitAward(db.prisma, { ...base, amountFen: 500_000_000, key: 'k:commit' });
    await Promise.all([1, 2, 3].map(() => payTranche(db.prisma, { ...base, amountFen: 300_000_000, trancheCode: 'T1', key: 'k:pay:T1' }).catch(() => null)));
    await payTranche(db.prisma, { ...base, amountFen: 300_000_000, trancheCode: 'T1', key: 'k:pay:T1' });
    await expect(payTranche(db.prisma, { ...base, amountFen: 300_000_000, trancheCode: 'T2', key: 'k:pay:T2' })).rejects.toMatchObject({ type: 'InvalidAction' });
    const totals = await ledgerTotals(db.prisma, programme.programmeId);
    expect(totals).toMatchObject({ committedFen: 500_000_000n, paidFen: 300_000_000n });
    expect(await reconcile(db.prisma, programme.programmeId)).toEqual([]);
  });

  it('never pays beyond the commitment when payments under different keys race, from several connections', async () => {
    const programme = await seedProgramme(db.prisma, window());
    const c = await seedApplication(db.prisma, programme);
    const base = { programmeId: programme.programmeId, caseId: c.applicationId };
    await commitAward(db.prisma, { ...base, amountFen: 500_000_000, key: 'race:commit' });
    // Each payment reads the case's position, then writes: on PostgreSQL only Serializable stops two
    // from reading the same position (READ COMMITTED would pay several).
    const clients = [db.prisma, ...Array.from({ length: 3 }, () => createPrismaClient(db.url))];
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          payTranche(clients[i % clients.length]!, { ...base, amountFen: 300_000_000, trancheCode: `T${i}`, key: `race:pay:${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) expect(((r as PromiseRejectedResult).reason as ApplicationFailure).type).toBe('InvalidAction');
      expect(await ledgerTotals(db.prisma, programme.programmeId)).toMatchObject({ committedFen: 500_000_000n, paidFen: 300_000_000n });
      expect(await reconcile(db.prisma, programme.programmeId)).toEqual([]);
    } finally {
      await Promise.all(clients.slice(1).map((c) => c.$disconnect()));
    }
  });

  it('returns the unpaid surplus, or claws back payments, once', async () => {
    const programme = await seedProgramme(db.prisma, window());
    const [a, b] = [await seedApplication(db.prisma, programme), await seedApplication(db.prisma, programme)];
    for (const [c, key] of [[a, 'a'], [b, 'b']] as const) {
      await commitAward(db.prisma, { programmeId: programme.programmeId, caseId: c.applicationId, amountFen: 500_000_000, key: `${key}:commit` });
      await payTranche(db.prisma, { programmeId: programme.programmeId, caseId: c.applicationId, amountFen: 300_000_000, trancheCode: 'T1', key: `${key}:pay` });
    }
    const settleA = { programmeId: programme.programmeId, caseId: a.applicationId, mode: 'return_surplus' as const, key: 'a:settle', reason: 'mid-term failed' };
    expect(await settleCase(db.prisma, settleA)).toEqual({ clawedBackFen: 0, returnedFen: 200_000_000 });
    expect(await settleCase(db.prisma, settleA)).toEqual({ clawedBackFen: 0, returnedFen: 200_000_000 });
    const settleB = { programmeId: programme.programmeId, caseId: b.applicationId, mode: 'claw_back' as const, key: 'b:settle', reason: 'fraud' };
    expect(await settleCase(db.prisma, settleB)).toEqual({ clawedBackFen: 300_000_000, returnedFen: 200_000_000 });
    const totals = await ledgerTotals(db.prisma, programme.programmeId);
    expect(totals).toMatchObject({
      committedFen: 1_000_000_000n,
      paidFen: 600_000_000n,
      returnedFen: 400_000_000n,
      clawedBackFen: 300_000_000n,
      outstandingCommitmentFen: 300_000_000n,
      netPaidFen: 300_000_000n,
      remainingFen: 9_700_000_000n - 300_000_000n,
    });
    expect(await reconcile(db.prisma, programme.programmeId)).toEqual([]);
  });

  it('keeps its sums per case, kind and Shanghai year in the database, whoever writes or removes an entry', async () => {
    const programme = await seedProgramme(db.prisma, window());
    const c = await seedApplication(db.prisma, programme);
    const entry = (key: string, kind: string, amountFen: bigint, at: string) =>
      db.prisma.ledgerEntry.create({ data: { programmeId: programme.programmeId, caseId: c.applicationId, kind, amountFen, idempotencyKey: key, at: new Date(at) } });
    await entry('y1', 'commit', 900n, '2025-12-31T15:59:59.999Z'); // 23:59:59.999 in Shanghai: 2025
    await entry('y2', 'payment', 300n, '2025-12-31T16:00:00.000Z'); // midnight in Shanghai: 2026
    await entry('y3', 'payment', 200n, '2026-06-01T00:00:00.000Z');
    // Written around Prisma's model API: a trigger, not the caller, moves the sum.
    await db.prisma.$executeRaw`INSERT INTO "LedgerEntry" ("programmeId", "caseId", "kind", "amountFen", "idempotencyKey", "at") VALUES (${programme.programmeId}, NULL, 'return', 50, 'y4', ${new Date('2026-02-01T00:00:00Z')})`;
    const kept = async () =>
      (await db.prisma.ledgerSum.findMany({ where: { programmeId: programme.programmeId }, orderBy: [{ year: 'asc' }, { kind: 'asc' }] })).map((r) => [r.year, r.kind, r.caseId === '' ? 'none' : 'case', Number(r.amountFen), r.entries]);
    expect(await kept()).toEqual([
      [2025, 'commit', 'case', 900, 1],
      [2026, 'payment', 'case', 500, 2],
      [2026, 'return', 'none', 50, 1],
    ]);
    expect(await ledgerTotals(db.prisma, programme.programmeId)).toMatchObject({ committedFen: 900n, paidFen: 500n, returnedFen: 50n });

    await db.prisma.ledgerEntry.update({ where: { idempotencyKey: 'y3' }, data: { amountFen: 100n, at: new Date('2027-01-05T00:00:00Z') } });
    await db.prisma.ledgerEntry.delete({ where: { idempotencyKey: 'y4' } });
    expect(await kept()).toEqual([
      [2025, 'commit', 'case', 900, 1],
      [2026, 'payment', 'case', 300, 1],
      [2027, 'payment', 'case', 100, 1],
    ]);
    // Programme.committedFen is not moved by hand-written entries; only the kept sums are compared here.
    expect((await reconcile(db.prisma, programme.programmeId)).filter((p) => p.startsWith('kept'))).toEqual([]);
    await db.prisma.$executeRaw`UPDATE "LedgerSum" SET "amountFen" = "amountFen" + 1 WHERE "programmeId" = ${programme.programmeId} AND "kind" = 'commit'`;
    expect(await reconcile(db.prisma, programme.programmeId)).toContain('kept commit sum 901 != entries 900');
  });
});
