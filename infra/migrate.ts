import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPrismaClient } from './db';
import { PROJECT_ROOT } from './tools';

const run = promisify(execFile);

/**
 * Applies the committed migrations (prisma migrate deploy) to a database, creating it if needed,
 * and switches SQLite to WAL so that the API and the worker read while the other writes.
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const file = databaseUrl.slice('file:'.length);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  try {
    await run('bash', [path.join(PROJECT_ROOT, 'scripts', 'prisma.sh'), 'migrate', 'deploy'], {
      env: { ...process.env, DATABASE_URL: `file:${path.resolve(file)}` },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Database migration failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  const prisma = createPrismaClient(databaseUrl);
  try {
    await prisma.$queryRawUnsafe('PRAGMA journal_mode=WAL');
  } finally {
    await prisma.$disconnect();
  }
}
