import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../infra/db';

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/** A database of its own for one test file: a copy of the migrated template. */
export function freshDatabase(lockTimeoutMs?: number): TestDatabase {
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
