import { isPostgres } from '../../infra/db';
import type { SqlStatements } from '../../infra/sql';
import { sqlTransaction } from '../../infra/transaction';
import { type TestDatabase, freshDatabase } from '../helpers/db';

let db: TestDatabase;
beforeAll(() => {
  db = freshDatabase();
});
afterAll(() => db.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a query outside a transaction, while one is open', () => {
  it('keeps its write when the transaction rolls back, and does not read what the transaction has not committed', async () => {
    const tag = Math.random().toString(36).slice(2, 10);
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const refused = db.prisma
      .$transaction(async (tx) => {
        await tx.user.create({ data: { email: `inside.${tag}@test.cn`, displayName: 'inside', role: 'officer' } });
        opened();
        await pause(200);
        throw new Error('refused');
      })
      .catch((err: Error) => err.message);
    await open;
    const seen = await db.prisma.user.count({ where: { email: `inside.${tag}@test.cn` } });
    await db.prisma.user.create({ data: { email: `outside.${tag}@test.cn`, displayName: 'outside', role: 'officer' } });
    expect(await refused).toBe('refused');
    const after = await db.prisma.user.findMany({ where: { email: { endsWith: `${tag}@test.cn` } }, select: { email: true } });
    expect({ seen, after: after.map((u) => u.email) }).toEqual({ seen: 0, after: [`outside.${tag}@test.cn`] });
  });
});

describe('a plain-SQL transaction (sqlTransaction)', () => {
  it('commits whole and rolls back whole when it fails; on SQLite it takes its turn after an open Prisma transaction', async () => {
    const tag = Math.random().toString(36).slice(2, 10);
    const user = (sql: SqlStatements, name: string) =>
      sql.insert('User', { id: `${name}-${tag}`, email: `${name}.${tag}@test.cn`, displayName: name, role: 'officer', createdAt: new Date() }, { conflict: ['id'] });
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const order: string[] = [];
    const first = db.prisma.$transaction(async (tx) => {
      await tx.user.create({ data: { id: `first-${tag}`, email: `first.${tag}@test.cn`, displayName: 'first', role: 'officer' } });
      opened();
      await pause(200);
      order.push('first');
    });
    await open;
    const failed = sqlTransaction(db.prisma, async (sql) => {
      await user(sql, 'failed');
      throw new Error('refused');
    }).catch((err: Error) => err.message);
    const second = sqlTransaction(db.prisma, async (sql) => {
      // It reads what the first committed: it began after it.
      const [seen] = await sql.all<{ n: number | bigint }>('SELECT COUNT(*) AS "n" FROM "User" WHERE "id" = ?', [`first-${tag}`]);
      order.push(`second saw ${Number(seen!.n)}`);
      return user(sql, 'second');
    });
    await first;
    expect(await failed).toBe('refused');
    expect(await second).toBe(1);
    // SQLite's connections take turns; PostgreSQL's run side by side, each on its snapshot.
    if (!isPostgres(db.prisma)) expect(order).toEqual(['first', 'second saw 1']);
    const users = await db.prisma.user.findMany({ where: { email: { endsWith: `${tag}@test.cn` } }, select: { id: true }, orderBy: { id: 'asc' } });
    expect(users.map((u) => u.id)).toEqual([`first-${tag}`, `second-${tag}`]);
  });
});
