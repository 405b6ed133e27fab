import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { PrismaClient } from './db';
import { SqlStatements, dialectOf, sqlDate } from './sql';

/**
 * Plain SQL for the hottest reads (a case by id, its stage history), where a Prisma model query's
 * own cost was most of a request's: measured on one case read over HTTP (10 connections), a
 * findUnique held ~700 req/s and the same SELECT through $queryRaw ~1,400, where the request
 * without the read held ~3,000. On SQLite, a query-only better-sqlite3 connection to the same file
 * (WAL lets it read beside the writer) with its statements prepared once; on PostgreSQL, Prisma's
 * raw queries through the client's own pool. SQL is written once, with `?` placeholders, in the
 * subset both databases share (quoted identifiers, no `?` inside literals).
 *
 * Values come back as each database gives them: SQLite's DateTime as ISO text, Json as text and
 * BigInt as number, PostgreSQL's as Date, parsed JSON and bigint; `isoTime` and `readJson` take
 * either.
 */
export interface ReadStore {
  readonly dialect: 'sqlite' | 'postgresql';
  all<T = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /**
   * A long read's rows a slice at a time, the event loop released between slices, so that one
   * report over 100,000 cases does not hold every other request for seconds. A slice's rows are
   * handled before the next is read; breaking off ends the read.
   */
  scan<T = Record<string, unknown>>(sql: string, params: readonly unknown[]): AsyncIterable<T[]>;
  /** A date as a parameter compared with the database's DateTime columns. */
  date(d: Date): unknown;
  /** SQL that builds JSON in this database. */
  readonly json: JsonSql;
  close(): void;
}

/**
 * SQL building an answer's JSON in the database, for reads whose answer is mostly rows: taking
 * each row's columns into JavaScript and writing them out again cost more than the query itself
 * (bench/README.md, "list").
 */
export interface JsonSql {
  /** A DateTime column as JSON writes a Date (ISO 8601, UTC, milliseconds), or null. */
  time(column: string): string;
  /** A Json column as a JSON value; `fallback` (JSON text) when null. */
  value(column: string, fallback: string): string;
  /** An object of these keys and SQL values; JSON values (other objects too) nest as JSON. */
  object(fields: ReadonlyArray<readonly [string, string]>): string;
  /** A JSON value as its text, as it is selected. */
  text(expression: string): string;
  /** Whether a Json column's array holds the string bound to this condition's one `?`. */
  arrayHas(column: string): string;
}

const jsonKey = (k: string) => {
  if (!/^[A-Za-z]+$/.test(k)) throw new Error(`not a JSON key this store writes: ${k}`);
  return `'${k}'`;
};
const pairs = (fields: ReadonlyArray<readonly [string, string]>) => fields.map(([k, v]) => `${jsonKey(k)}, ${v}`).join(', ');

const SQLITE_JSON: JsonSql = {
  time: (column) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${column})`,
  value: (column, fallback) => `json(COALESCE(${column}, '${fallback}'))`,
  object: (fields) => `json_object(${pairs(fields)})`,
  text: (expression) => expression,
  arrayHas: (column) => `EXISTS (SELECT 1 FROM json_each(${column}) WHERE "value" = ?)`,
};

const POSTGRES_JSON: JsonSql = {
  // DateTime columns hold UTC without a zone (timestamp(3)).
  time: (column) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  value: (column, fallback) => `COALESCE(${column}, '${fallback}'::jsonb)`,
  object: (fields) => `json_build_object(${pairs(fields)})`,
  text: (expression) => `(${expression})::text`,
  // jsonb's `?` operator, by its function's name: a `?` here would be taken for a placeholder.
  arrayHas: (column) => `jsonb_exists(${column}, ?)`,
};

/** How long a slice of a scan may hold the event loop on SQLite, whose reads are synchronous. */
const SCAN_SLICE_MS = 10;
/** Rows between looks at the clock in a scan. */
const SCAN_CLOCK_EVERY = 64;
/** Rows a slice of a scan on PostgreSQL, whose rows come all at once. */
const SCAN_SLICE_ROWS = 5_000;

/** Opened read-write, then made query-only: a read-only connection could not create the WAL's shared-memory file when it is the first to open the database. */
function queryOnlyConnection(file: string, timeoutMs: number): Database.Database {
  const db = new Database(file, { fileMustExist: true, timeout: timeoutMs });
  db.pragma('query_only = ON');
  return db;
}

class SqliteReadStore implements ReadStore {
  readonly dialect = 'sqlite';
  readonly json = SQLITE_JSON;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly file: string,
    private readonly timeoutMs: number,
  ) {
    this.db = queryOnlyConnection(file, timeoutMs);
  }

  async all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement.all(...params) as T[];
  }

  /**
   * On a connection of its own: a statement holds its connection's read transaction until it ends,
   * so on the shared connection every other read meanwhile would see the database as it was when
   * the scan began. The scan itself reads one snapshot over all its slices (WAL: writers go on
   * beside it). Opening a connection costs well under a millisecond.
   */
  async *scan<T>(sql: string, params: readonly unknown[]): AsyncIterable<T[]> {
    const db = queryOnlyConnection(this.file, this.timeoutMs);
    const rows = db.prepare(sql).iterate(...params) as IterableIterator<T>;
    try {
      // A scan's first row can take a while (a sort, a window): each scan's first slice gets a turn
      // of the event loop to itself, not one shared with whatever started it.
      await nextTurn();
      let slice: T[] = [];
      let until = performance.now() + SCAN_SLICE_MS;
      for (const row of rows) {
        slice.push(row);
        if (slice.length % SCAN_CLOCK_EVERY === 0 && performance.now() >= until) {
          yield slice;
          slice = [];
          await nextTurn();
          until = performance.now() + SCAN_SLICE_MS;
        }
      }
      if (slice.length > 0) yield slice;
    } finally {
      rows.return?.();
      db.close();
    }
  }

  date(d: Date): unknown {
    return sqlDate(this.dialect, d);
  }

  close(): void {
    this.db.close();
  }
}

export class PrismaReadStore implements ReadStore {
  readonly dialect: 'sqlite' | 'postgresql';
  readonly json: JsonSql;

  private readonly sql: SqlStatements;

  constructor(prisma: PrismaClient) {
    this.dialect = dialectOf(prisma);
    this.json = this.dialect === 'sqlite' ? SQLITE_JSON : POSTGRES_JSON;
    this.sql = new SqlStatements(prisma, this.dialect);
  }

  date(d: Date): unknown {
    return sqlDate(this.dialect, d);
  }

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.sql.all<T>(sql, params);
  }

  /** The database works while the event loop goes on; its rows are then handed on in slices. */
  async *scan<T>(sql: string, params: readonly unknown[]): AsyncIterable<T[]> {
    const rows = await this.all<T>(sql, params);
    for (let at = 0; at < rows.length; at += SCAN_SLICE_ROWS) {
      if (at > 0) await nextTurn();
      yield rows.slice(at, at + SCAN_SLICE_ROWS);
    }
  }

  close(): void {}
}

/** A read store for the database `databaseUrl` names; `prisma` is that database's client. */
export function createReadStore(databaseUrl: string, prisma: PrismaClient, timeoutMs = 10_000): ReadStore {
  return databaseUrl.startsWith('file:') ? new SqliteReadStore(databaseUrl.slice('file:'.length), timeoutMs) : new PrismaReadStore(prisma);
}

const STORED_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/;

/**
 * A DateTime read as an ISO 8601 string in UTC, as JSON writes a Date. SQLite's stored text is
 * rewritten, not parsed: formatting Date objects was most of the cost of serialising a page.
 */
export function isoTime(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' && STORED_UTC.test(v)) return `${v.slice(0, 23)}Z`;
  return (v instanceof Date ? v : new Date(String(v))).toISOString();
}

/** A WHERE clause built condition by condition, each with the values of its `?`s, in order. */
export class Conditions {
  readonly params: unknown[] = [];
  private readonly sql: string[] = [];

  add(sql: string, ...values: unknown[]): void {
    this.sql.push(sql);
    this.params.push(...values);
  }

  /** ` WHERE a AND b ...`, or nothing when no condition was added. */
  get clause(): string {
    return this.sql.length ? ` WHERE ${this.sql.join(' AND ')}` : '';
  }
}

/** A Json column: SQLite's text parsed, PostgreSQL's value as it came. */
export function readJson<T>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}
