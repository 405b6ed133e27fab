import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import type { IsolationLevel, SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from '@prisma/driver-adapter-utils';
import Database from 'better-sqlite3';
import { type SqlExecutor, sqlDate } from './sql';

/**
 * Prisma's better-sqlite3 adapter has one connection, and it runs a query made outside a
 * transaction on that connection even while a transaction is open there: the query reads what the
 * transaction has not committed, and its write becomes part of the transaction, undone with it if
 * it rolls back (a refused commitment, say) — lost, though its caller was told it was written
 * (test/db/isolation.test.ts). This factory's adapter lets one thing at a time use the connection:
 * a transaction from its BEGIN to its COMMIT or ROLLBACK, or a single query, in order of arrival;
 * the writer beside it (SqliteWriter) takes its turns in the same line.
 *
 * A query made on the client (not the transaction's) inside a transaction's callback would now
 * wait for that transaction, which waits for it; Prisma's transaction timeout ends it with an
 * error. Inside a transaction, use the transaction's client.
 */
export function sqliteAccess(url: string, timeoutMs: number): { adapter: SqlDriverAdapterFactory; writer: SqliteWriter } {
  const inner = new PrismaBetterSQLite3({ url, timeout: timeoutMs });
  const turns = new Turns();
  const writer = new SqliteWriter(url.replace(/^file:/, ''), timeoutMs, turns);
  const adapter: SqlDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => oneAtATime(await inner.connect(), turns, () => writer.close()),
  };
  return { adapter, writer };
}

/**
 * Transactions of plain SQL (infra/sql.ts) on a connection of their own, taking their turn with
 * Prisma's: BEGIN IMMEDIATE, the statements, COMMIT, with no Prisma between them. The projector
 * runs one after nearly every update of every case; through Prisma each statement crossed its
 * engine and the event loop, so a transaction of ten held the database for ten turns of the loop
 * and every other write and read waited behind it (bench/README.md). Statements are prepared once.
 * Inside, use only the statements given: a Prisma query there would wait for this very turn.
 */
export class SqliteWriter {
  private db: Database.Database | null = null;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly file: string,
    private readonly timeoutMs: number,
    private readonly turns: Turns,
  ) {}

  async transaction<T>(fn: (sql: SqlExecutor) => Promise<T>): Promise<T> {
    const release = await this.turns.take();
    try {
      await this.begin();
      try {
        const result = await fn(this.executor);
        this.prepared('COMMIT').run();
        return result;
      } catch (err) {
        if (this.db?.inTransaction) this.prepared('ROLLBACK').run();
        throw err;
      }
    } finally {
      release();
    }
  }

  /**
   * BEGIN IMMEDIATE, waiting for the write lock without blocking the thread. SQLite's busy timeout
   * sleeps inside the call: another connection of this same process that holds the lock (a second
   * client, as the tests make to stand for other processes) could never finish, and a lock held by
   * another process would stall this one's API and worker for as long. Once begun, the transaction
   * waits for nothing (WAL: readers never block it, its COMMIT waits for none).
   */
  private async begin(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 25)) {
      try {
        this.prepared('BEGIN IMMEDIATE').run();
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() + pause > deadline) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  close(): void {
    this.statements.clear();
    this.db?.close();
    this.db = null;
  }

  private readonly executor: SqlExecutor = {
    run: async (sql, params) => this.prepared(sql).run(...params.map(bindable)).changes,
    all: async <T>(sql: string, params: readonly unknown[]) => {
      const statement = this.prepared(sql);
      if (statement.reader) return statement.all(...params.map(bindable)) as T[];
      statement.run(...params.map(bindable));
      return [];
    },
  };

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      this.db ??= new Database(this.file, { fileMustExist: true, timeout: 0 });
      statement = this.db.prepare(sql);
      // Multi-row INSERTs and IN lists vary in length: keep the most recent few hundred texts.
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** A parameter as better-sqlite3 binds it, and as Prisma's adapter would have written it. */
function bindable(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return sqlDate('sqlite', v);
  return v;
}

/** A first-come, first-served lock: a promise chain is the whole of it. */
export class Turns {
  private last: Promise<void> = Promise.resolve();

  /** Resolves, once every earlier holder has released, to this holder's release. */
  take(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const ready = this.last.then(() => release);
    this.last = this.last.then(() => mine);
    return ready;
  }

  async with<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.take();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function oneAtATime(adapter: SqlDriverAdapter, turns: Turns, onDispose: () => void): SqlDriverAdapter {
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query: SqlQuery) => turns.with(() => adapter.queryRaw(query)),
    executeRaw: (query: SqlQuery) => turns.with(() => adapter.executeRaw(query)),
    executeScript: (script: string) => turns.with(() => adapter.executeScript(script)),
    getConnectionInfo: adapter.getConnectionInfo?.bind(adapter),
    dispose: () => {
      onDispose();
      return adapter.dispose();
    },
    async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
      const release = await turns.take();
      let tx: Transaction;
      try {
        tx = await adapter.startTransaction(isolationLevel);
      } catch (err) {
        release();
        throw err;
      }
      // Prisma sends the COMMIT or ROLLBACK through the transaction, then calls one of these.
      const end = (finish: () => Promise<void>) => async () => {
        try {
          await finish();
        } finally {
          release();
        }
      };
      return {
        provider: tx.provider,
        adapterName: tx.adapterName,
        options: tx.options,
        queryRaw: (query: SqlQuery) => tx.queryRaw(query),
        executeRaw: (query: SqlQuery) => tx.executeRaw(query),
        commit: end(() => tx.commit()),
        rollback: end(() => tx.rollback()),
      };
    },
  };
}
