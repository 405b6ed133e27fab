import Database from 'better-sqlite3';
import { isPostgres } from '../../infra/db';
import type { SqlStatements } from '../../infra/sql';
import { sqlTransaction } from '../../infra/transaction';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { testingOnPostgres } from '../helpers/postgres';

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

  // PostgreSQL's connections wait for a lock in the server, never on this thread.
  (testingOnPostgres() ? it.skip : it)("on SQLite, waits for a write lock another connection holds without stopping the process's event loop", async () => {
    // A lock timeout far past the test's own: waiting inside SQLite's busy timeout, as the writer
    // once did, would stop the event loop, so the holder's COMMIT below (a timer) could not run
    // until that timeout ran out, and the test would fail on time.
    const local = freshDatabase(300_000);
    const holder = new Database(local.url.replace(/^file:/, ''));
    try {
      const tag = Math.random().toString(36).slice(2, 10);
      const insertUser = 'INSERT INTO "User" ("id", "email", "displayName", "role", "createdAt") VALUES (?, ?, ?, ?, ?)';
      holder.exec('BEGIN IMMEDIATE');
      holder.prepare(insertUser).run(`holder-${tag}`, `holder.${tag}@test.cn`, 'holder', 'officer', new Date().toISOString());
      const order: string[] = [];
      const waiting = sqlTransaction(local.prisma, async (sql) => {
        order.push('writer began');
        return sql.run(insertUser, [`waiting-${tag}`, `waiting.${tag}@test.cn`, 'waiting', 'officer', sql.date(new Date())]);
      });
      setTimeout(() => {
        order.push('holder committed');
        holder.exec('COMMIT');
      }, 100);
      expect(await waiting).toBe(1);
      expect(order).toEqual(['holder committed', 'writer began']);
      const users = await local.prisma.user.findMany({ where: { email: { endsWith: `${tag}@test.cn` } }, select: { id: true }, orderBy: { id: 'asc' } });
      expect(users.map((u) => u.id)).toEqual([`holder-${tag}`, `waiting-${tag}`]);
    } finally {
      holder.close();
      await local.close();
    }
  });
});
