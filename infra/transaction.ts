import { Prisma } from '../generated/prisma/client';
import { type PrismaClient, sqliteWriterOf } from './db';
import { SqlStatements, dialectOf, noteTransaction, statementsIn } from './sql';

/**
 * Whether a failed transaction lost a race and may simply be run again: SQLite's "database is
 * locked" (a deferred transaction could not take the write lock while another connection held it)
 * or a PostgreSQL write conflict or deadlock (P2034). Nothing of a failed transaction was written.
 */
export function isRetryableConflict(err: unknown): boolean {
  // better-sqlite3's own error (infra/sqlite-adapter.ts): another process holds the write lock.
  if ((err as { code?: unknown } | null)?.code === 'SQLITE_BUSY') return true;
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (err.code === 'P2034') return true;
  const cause = (err.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined)?.driverAdapterError?.cause;
  if (cause?.originalCode && ['SQLITE_BUSY', '40001', '40P01'].includes(cause.originalCode)) return true;
  return /SQLITE_BUSY|database is locked/.test(err.message);
}

/**
 * Runs an interactive transaction, again after a short random pause when it lost a race.
 * Serializable on both databases: SQLite's transactions are serializable anyway; PostgreSQL's
 * default (READ COMMITTED) would let two transactions that read, then write on what they read
 * (two payments checking one commitment, an idempotency key looked up then inserted) both
 * succeed, where Serializable fails one (40001, P2034), which is then run again.
 */
export async function inTransaction<T>(
  prisma: PrismaClient,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
  attempts = 10,
): Promise<T> {
  const dialect = dialectOf(prisma);
  return againWhenRaced(attempts, () =>
    prisma.$transaction(
      (tx) => {
        noteTransaction(tx, dialect);
        return fn(tx);
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.Serializable },
    ),
  );
}

async function againWhenRaced<T>(attempts: number, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || !isRetryableConflict(err)) throw err;
      const pause = Math.min(1_000, 10 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * A transaction of plain SQL statements (infra/sql.ts), run again like inTransaction's when it lost
 * a race. On SQLite on the client's own writer connection (infra/sqlite-adapter.ts), which holds
 * the database only while its statements run; on PostgreSQL through inTransaction.
 */
export async function sqlTransaction<T>(prisma: PrismaClient, fn: (sql: SqlStatements) => Promise<T>, attempts = 10): Promise<T> {
  const writer = sqliteWriterOf(prisma);
  if (!writer) return inTransaction(prisma, (tx) => fn(statementsIn(tx)), attempts);
  return againWhenRaced(attempts, () => writer.transaction((executor) => fn(new SqlStatements(executor, 'sqlite'))));
}
