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

/** Where plain SQL runs: a Prisma client or transaction, or a connection of our own (infra/sqlite-adapter.ts). */
export interface SqlExecutor {
  /** Runs a statement with `?` placeholders; the number of rows it changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
}

function prismaExecutor(db: Pick<Prisma.TransactionClient, '$executeRawUnsafe' | '$queryRawUnsafe'>, dialect: Dialect): SqlExecutor {
  return {
    run: (sql, params) => db.$executeRawUnsafe(placeholders(dialect, sql), ...params),
    all: <T>(sql: string, params: readonly unknown[]) => db.$queryRawUnsafe<T[]>(placeholders(dialect, sql), ...params),
  };
}

/**
 * Plain SQL statements on the hottest write paths (the projector's every batch, the audit chain's
 * every append), where a Prisma model query cost several milliseconds of CPU on the process's one
 * thread, a raw statement a fraction of one (bench/README.md). SQL is written once, with `?`
 * placeholders, in the subset both databases share; the few values each stores its own way
 * (DateTime, Json) go through `date`, `jsonParam` and `jsonText`, or `insert` and `update` (a Date,
 * an SqlJson).
 */
export class SqlStatements {
  private readonly db: SqlExecutor;

  constructor(
    db: SqlExecutor | Pick<Prisma.TransactionClient, '$executeRawUnsafe' | '$queryRawUnsafe'>,
    readonly dialect: Dialect,
  ) {
    this.db = '$executeRawUnsafe' in db ? prismaExecutor(db, dialect) : db;
  }

  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params: readonly unknown[]): Promise<number> {
    return this.db.run(sql, params);
  }

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.db.all<T>(sql, params);
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

  /**
   * Inserts a row; on a conflict with `on.conflict`'s key, leaves the row there (no `update`) or
   * sets `update`'s columns, only where its revision ("rev") is older than `ifOlderThan` when given.
   * Without `on`, a conflict fails the statement (and its transaction). The number of rows written.
   */
  insert(table: string, fields: SqlFields, on?: { conflict: string[]; update?: SqlFields; ifOlderThan?: number }): Promise<number> {
    const row = this.bind(fields);
    let text = `INSERT INTO "${table}" (${row.columns.join(', ')}) VALUES (${row.marks.join(', ')})`;
    const params = [...row.params];
    if (!on) return this.run(text, params);
    text += ` ON CONFLICT (${on.conflict.map((c) => `"${c}"`).join(', ')}) `;
    if (!on.update) {
      text += 'DO NOTHING';
    } else {
      const set = this.bind(on.update);
      text += `DO UPDATE SET ${set.columns.map((c, i) => `${c} = ${set.marks[i]}`).join(', ')}`;
      params.push(...set.params);
      if (on.ifOlderThan !== undefined) {
        text += ` WHERE "${table}"."rev" < ?`;
        params.push(on.ifOlderThan);
      }
    }
    return this.run(text, params);
  }

  /** Sets `fields` on the rows `where` (SQL, with `?` for `whereParams`) finds; the number changed. */
  update(table: string, fields: SqlFields, where: string, whereParams: readonly unknown[]): Promise<number> {
    const set = this.bind(fields);
    return this.run(`UPDATE "${table}" SET ${set.columns.map((c, i) => `${c} = ${set.marks[i]}`).join(', ')} WHERE ${where}`, [...set.params, ...whereParams]);
  }

  /** Columns, their placeholders and parameters; an undefined value leaves its column out (as Prisma does). */
  private bind(fields: SqlFields) {
    const columns: string[] = [];
    const marks: string[] = [];
    const params: unknown[] = [];
    for (const [column, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      columns.push(`"${column}"`);
      if (v instanceof SqlJson) {
        marks.push(this.jsonParam);
        params.push(this.jsonText(v.value));
      } else {
        marks.push('?');
        params.push(v instanceof Date ? this.date(v) : v);
      }
    }
    return { columns, marks, params };
  }
}

/** A Json column's value, for `insert` and `update`. */
export class SqlJson {
  constructor(readonly value: unknown) {}
}

/** Column values by column name: a Date for DateTime, an SqlJson for Json, undefined for "leave it". */
export type SqlFields = Record<string, unknown>;

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
