import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../infra/db';
import { postgresCluster, testingOnPostgres } from './postgres';

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/**
 * A database of its own for one test file, a copy of the migrated template: a file copy on SQLite,
 * CREATE DATABASE ... TEMPLATE on PostgreSQL (PF_TEST_DATABASE=postgres).
 */
export function freshDatabase(lockTimeoutMs?: number): TestDatabase {
  return testingOnPostgres() ? freshPostgresDatabase() : freshSqliteDatabase(lockTimeoutMs);
}

function freshSqliteDatabase(lockTimeoutMs?: number): TestDatabase {
  const template = process.env.PF_TEST_TEMPLATE_DB;
  if (!template) throw new Error('PF_TEST_TEMPLATE_DB is not set: run tests through jest (test/setup/global-setup.ts)');
  const file = path.join(path.dirname(template), `db-${randomUUID()}.db`);
  fs.copyFileSync(template, file);
  const url = `file:${file}`;
  const prisma = createPrismaClient(url, lockTimeoutMs);
  return {
    url,
    prisma,
    async close() {
      await prisma.$disconnect();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    },
  };
}

function freshPostgresDatabase(): TestDatabase {
  const port = Number(process.env.PF_TEST_POSTGRES_PORT);
  const template = process.env.PF_TEST_POSTGRES_TEMPLATE;
  if (!port || !template) throw new Error('PF_TEST_POSTGRES_PORT is not set: run tests through jest (test/setup/global-setup.ts)');
  const cluster = postgresCluster(port);
  const name = `test_${randomUUID().replaceAll('-', '')}`;
  cluster.createDatabase(name, template);
  const url = cluster.url(name);
  const prisma = createPrismaClient(url);
  return {
    url,
    prisma,
    async close() {
      await prisma.$disconnect();
      await cluster.dropDatabase(name);
    },
  };
}

/**
 * Every table's row count and a hash of its rows, from SQLite itself. The idempotency records are
 * left out: keeping a rejected request's answer for its key is what they are for.
 */
export async function snapshotTables(prisma: PrismaClient): Promise<Record<string, string>> {
  const tables = await prisma.$queryRawUnsafe<Array<{ name: string }>>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%' ORDER BY name",
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    if (name === 'IdempotencyRecord') continue;
    // In the order of the primary key (a table WITHOUT ROWID, as the search slices since migration
    // 0012, has no rowid), or of the rowid for a table without one.
    const pk = await prisma.$queryRawUnsafe<Array<{ name: string }>>('SELECT "name" FROM pragma_table_info(?) WHERE "pk" > 0 ORDER BY "pk"', name);
    const key = pk.length > 0 ? pk.map((c) => `"${c.name}"`).join(', ') : 'rowid';
    const rows = await prisma.$queryRawUnsafe<unknown[]>(`SELECT * FROM "${name}" ORDER BY ${key}`);
    const hash = createHash('sha256').update(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex');
    out[name] = `${rows.length} rows ${hash.slice(0, 16)}`;
  }
  return out;
}

