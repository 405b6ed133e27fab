import type { Prisma } from '../generated/prisma/client';
import { type PrismaClient, isPostgres } from './db';

export type Dialect = 'sqlite' | 'postgresql';

export function dialectOf(prisma: PrismaClient): Dialect {
  return isPostgres(prisma) ? 'postgresql' : 'sqlite';
}

/** SQL written with `?` placeholders, as this database takes them (PostgreSQL numbers its own). */
export function placeholders(dialect: Dialect, sql: string): string {
  if (dialect === 'sqlite') return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A date as a parameter for a DateTime column: as Prisma's SQLite adapter writes it (ISO 8601 with an explicit offset, so text compares), or a Date. */
export function sqlDate(dialect: Dialect, d: Date): unknown {
  return dialect === 'sqlite' ? d.toISOString().replace('Z', '+00:00') : d;
}

/**
 * Plain SQL statements on the hottest write paths (the projector's every batch, the audit chain's
 * every append), where a Prisma model query cost several milliseconds of CPU on the process's one
 * thread, a raw statement a fraction of one (bench/README.md). SQL is written once, with `?`
 * placeholders, in the subset both databases share; the few values each stores its own way
 * (DateTime, Json) go through `date` and `json`.
 */
export class SqlStatements {
  constructor(
    private readonly db: Pick<Prisma.TransactionClient, '$executeRawUnsafe' | '$queryRawUnsafe'>,
    readonly dialect: Dialect,
  ) {}

  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params: readonly unknown[]): Promise<number> {
    return this.db.$executeRawUnsafe(placeholders(this.dialect, sql), ...params);
  }

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.db.$queryRawUnsafe<T[]>(placeholders(this.dialect, sql), ...params);
  }

  date(d: Date | string | null | undefined): unknown {
    if (d === null || d === undefined) return null;
    return sqlDate(this.dialect, typeof d === 'string' ? new Date(d) : d);
  }

  /** A placeholder for a Json column's value, given as JSON text (`jsonText`). */
  get jsonParam(): string {
    return this.dialect === 'sqlite' ? '?' : 'CAST(? AS jsonb)';
  }

  /** A value as a Json column's parameter (with `jsonParam`); null for none. */
  jsonText(v: unknown): string | null {
    return v === undefined || v === null ? null : JSON.stringify(v);
  }
}

const transactionDialects = new WeakMap<object, Dialect>();

/** Remembers the dialect of a transaction's client (infra/transaction.ts), for `statementsIn`. */
export function noteTransaction(tx: object, dialect: Dialect): void {
  transactionDialects.set(tx, dialect);
}

/** Plain SQL statements inside a transaction opened by `inTransaction`. */
export function statementsIn(tx: Prisma.TransactionClient): SqlStatements {
  const dialect = transactionDialects.get(tx);
  if (!dialect) throw new Error('plain SQL statements run inside a transaction opened by inTransaction (infra/transaction.ts)');
  return new SqlStatements(tx, dialect);
}
