import { randomUUID } from 'node:crypto';
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
export function freshDatabase(): TestDatabase {
  return testingOnPostgres() ? freshPostgresDatabase() : freshSqliteDatabase();
}

function freshSqliteDatabase(): TestDatabase {
  const template = process.env.PF_TEST_TEMPLATE_DB;
  if (!template) throw new Error('PF_TEST_TEMPLATE_DB is not set: run tests through jest (test/setup/global-setup.ts)');
  const file = path.join(path.dirname(template), `db-${randomUUID()}.db`);
  fs.copyFileSync(template, file);
  const url = `file:${file}`;
  const prisma = createPrismaClient(url);
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
