import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
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
   * A long read (a sort, a window or an aggregate over a programme's every case), its rows a slice
   * at a time with the event loop released between slices, so that one report over 100,000 cases
   * does not hold every other request. On SQLite the database works on a thread of its own and
   * reads at most one slice ahead of the one being handled; on PostgreSQL the event loop goes on
   * while the database works. Breaking off ends the read.
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
  /** An aggregate: the group's values of `expression` as a JSON array, ascending. */
  sortedArrayOf(expression: string): string;
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
  sortedArrayOf: (expression) => `json_group_array(${expression} ORDER BY ${expression})`,
};

const POSTGRES_JSON: JsonSql = {
  // DateTime columns hold UTC without a zone (timestamp(3)).
  time: (column) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  value: (column, fallback) => `COALESCE(${column}, '${fallback}'::jsonb)`,
  object: (fields) => `json_build_object(${pairs(fields)})`,
  text: (expression) => `(${expression})::text`,
  // jsonb's `?` operator, by its function's name: a `?` here would be taken for a placeholder.
  arrayHas: (column) => `jsonb_exists(${column}, ?)`,
  sortedArrayOf: (expression) => `json_agg(${expression} ORDER BY ${expression})`,
};

/** Rows a slice of a scan on SQLite: each is copied from the scan's thread, a millisecond or two of the event loop. */
const SCAN_SLICE_ROWS_SQLITE = 2_000;
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
  private scans: SqliteScanThread | null = null;

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

  /** On the scan thread (below), started with the first scan. */
  scan<T>(sql: string, params: readonly unknown[]): AsyncIterable<T[]> {
    this.scans ??= new SqliteScanThread(this.file, this.timeoutMs);
    return this.scans.scan<T>(sql, params);
  }

  date(d: Date): unknown {
    return sqlDate(this.dialect, d);
  }

  close(): void {
    this.db.close();
    this.scans?.close();
    this.scans = null;
  }
}

type ScanReply = { id: number; rows?: unknown[]; done?: boolean; error?: { message: string; code?: string } };

/**
 * The read store's long reads on SQLite, run on a thread of their own (sqlite-scan-thread.js):
 * better-sqlite3 is synchronous, and on the API's thread a report's first rows (the waiting list's
 * sort, the stays' window) held the event loop for as long as SQLite took to them, ~50-130 ms at
 * 100,000 cases and over a second on a loaded machine (bench/README.md). The thread reads a slice
 * only when it is asked for one; the next is asked for as soon as one arrives, so that SQLite reads
 * it while this thread handles the last. Unreferenced: it does not keep a process alive.
 */
class SqliteScanThread {
  private worker: Worker | null = null;
  private lastId = 0;
  private readonly waiting = new Map<number, { resolve: (r: ScanReply) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly file: string,
    private readonly timeoutMs: number,
  ) {}

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'sqlite-scan-thread.js'), {
      workerData: { file: this.file, timeoutMs: this.timeoutMs, sliceRows: SCAN_SLICE_ROWS_SQLITE },
    });
    worker.unref();
    worker.on('message', (reply: ScanReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return; // a slice asked for before its reader stopped
      this.waiting.delete(reply.id);
      if (reply.error) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else waiter.resolve(reply);
    });
    // A thread that dies fails the reads in flight; the next read starts another.
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const waiter of this.waiting.values()) waiter.reject(err);
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the SQLite scan thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private ask(id: number, message: Record<string, unknown>): Promise<ScanReply> {
    const worker = this.thread();
    const reply = new Promise<ScanReply>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    worker.postMessage({ id, ...message });
    return reply;
  }

  async *scan<T>(sql: string, params: readonly unknown[]): AsyncIterable<T[]> {
    const id = ++this.lastId;
    let next: Promise<ScanReply> | null = this.ask(id, { type: 'start', sql, params: [...params] });
    try {
      while (next) {
        const slice: ScanReply = await next;
        next = slice.done ? null : this.ask(id, { type: 'more' });
        if (slice.rows!.length > 0) yield slice.rows as T[];
      }
    } finally {
      if (next) {
        // Broken off: the thread ends the scan, and the slice still coming is dropped.
        this.waiting.delete(id);
        next.catch(() => undefined);
        this.worker?.postMessage({ id, type: 'stop' });
      }
    }
  }

  close(): void {
    const worker = this.worker;
    this.worker = null;
    for (const waiter of this.waiting.values()) waiter.reject(new Error('the read store was closed'));
    this.waiting.clear();
    void worker?.terminate();
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

/**
 * Every row of a long read (ReadStore.scan), for an aggregate over a programme's every case: its few
 * rows come once the database has read them all, which on SQLite would hold the event loop meanwhile.
 */
export async function readLong<T>(reads: ReadStore, sql: string, params: readonly unknown[]): Promise<T[]> {
  const rows: T[] = [];
  for await (const slice of reads.scan<T>(sql, params)) for (const row of slice) rows.push(row);
  return rows;
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
