import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { type Prisma as SqliteTypes, PrismaClient } from '../generated/prisma/client';
import { type Prisma as PostgresTypes, PrismaClient as PostgresPrismaClient } from '../generated/prisma-pg/client';
import { databaseProvider } from './database-url';
import { type SqliteWriter, sqliteAccess } from './sqlite-adapter';

/**
 * Creates the process's Prisma client for DATABASE_URL's database. Call once per process (entry
 * points) and pass it down.
 * - SQLite (file:): better-sqlite3, one query or transaction at a time (infra/sqlite-adapter.ts);
 *   waits up to `timeoutMs` for a lock instead of failing at once when another process writes.
 * - PostgreSQL (postgresql://): node-postgres, a pool of `poolSize` connections; a query waits up
 *   to `timeoutMs` for a free connection.
 * Both clients are generated from the one schema (the PostgreSQL one from a derived copy) and answer
 * the same queries, so the rest of the code knows a single PrismaClient type, the SQLite client's.
 */
export function createPrismaClient(databaseUrl: string, timeoutMs = 10_000, poolSize = 10): PrismaClient {
  if (databaseProvider(databaseUrl) === 'postgresql') {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: timeoutMs });
    // An idle connection the server closes (a restart, a failover, an administrator) is an 'error'
    // event on the pool; unheard, it would crash the process. The pool replaces it on next use.
    pool.on('error', () => undefined);
    // The same for a connection lost while checked out: the query on it fails and says so.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const adapter = new PrismaPg(pool);
    const client = new PostgresPrismaClient({ adapter }) as unknown as PrismaClient;
    postgresClients.add(client);
    return client;
  }
  const { adapter, writer } = sqliteAccess(databaseUrl, timeoutMs);
  const client = new PrismaClient({ adapter });
  sqliteWriters.set(client, writer);
  return client;
}

const sqliteWriters = new WeakMap<PrismaClient, SqliteWriter>();

/** The plain-SQL writer beside a SQLite client (infra/sqlite-adapter.ts); none for PostgreSQL. */
export function sqliteWriterOf(prisma: PrismaClient): SqliteWriter | undefined {
  return sqliteWriters.get(prisma);
}

const postgresClients = new WeakSet<PrismaClient>();

/** Whether a client (from createPrismaClient) talks to PostgreSQL: the few queries phrased differently ask. */
export function isPostgres(prisma: PrismaClient): boolean {
  return postgresClients.has(prisma);
}

/**
 * A case-insensitive substring filter for free-text search. SQLite's LIKE ignores the case of
 * ASCII letters (Chinese has none); PostgreSQL's does not, so it gets ILIKE (mode insensitive,
 * which the SQLite client does not know: hence the cast). Prisma passes LIKE's wildcards through:
 * PostgreSQL's LIKE escapes with a backslash by default, so % and _ are escaped there; SQLite's
 * LIKE has no escape character unless the SQL names one, which Prisma does not, so there a % or _
 * in the text still matches any characters (more rows, never fewer).
 */
export function containsText(prisma: PrismaClient, text: string): SqliteTypes.StringFilter {
  if (!isPostgres(prisma)) return { contains: text };
  return { contains: text.replace(/[\\%_]/g, (c) => `\\${c}`), mode: 'insensitive' } as SqliteTypes.StringFilter;
}

// Compile-time proof that the cast above hides nothing: for every model and operation, whatever
// the SQLite client accepts the PostgreSQL client accepts, and the rows it returns have the SQLite
// client's shape. (The client classes themselves are not assignable either way: generic methods.)
type Models = SqliteTypes.TypeMap['model'];
type PgModels = PostgresTypes.TypeMap['model'];
type ArgsOf<T> = T extends { args: infer A } ? A : never;
type Mismatch = {
  [M in keyof Models & keyof PgModels]:
    | ([PgModels[M]['payload']] extends [Models[M]['payload']] ? never : `${M & string} rows`)
    | {
        [O in keyof Models[M]['operations'] & keyof PgModels[M]['operations']]: [ArgsOf<Models[M]['operations'][O]>] extends [
          ArgsOf<PgModels[M]['operations'][O]>,
        ]
          ? never
          : `${M & string}.${O & string}`;
      }[keyof Models[M]['operations'] & keyof PgModels[M]['operations']];
}[keyof Models & keyof PgModels];
const sameApi: [Mismatch] extends [never] ? true : Mismatch = true;
void sameApi;

export type { PrismaClient };
