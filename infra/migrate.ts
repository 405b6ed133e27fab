import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { databaseProvider } from './database-url';
import { createPrismaClient } from './db';
import { PROJECT_ROOT } from './tools';

const run = promisify(execFile);

/**
 * Applies the committed migrations (prisma migrate deploy) for the URL's database: for SQLite those
 * in prisma/migrations, creating the file if needed, then WAL so that the API and the worker read
 * while the other writes; for PostgreSQL those in prisma/migrations-postgres, to an existing
 * database (prisma.config.ts picks the folder and the driver adapter from the URL).
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const sqlite = databaseProvider(databaseUrl) === 'sqlite';
  let url = databaseUrl;
  if (sqlite) {
    const file = path.resolve(databaseUrl.slice('file:'.length));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    url = `file:${file}`;
  }
  try {
    await run('bash', [path.join(PROJECT_ROOT, 'scripts', 'prisma.sh'), 'migrate', 'deploy'], {
      env: { ...process.env, DATABASE_URL: url },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Database migration failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  if (!sqlite) return;
  const prisma = createPrismaClient(databaseUrl);
  try {
    await prisma.$queryRawUnsafe('PRAGMA journal_mode=WAL');
  } finally {
    await prisma.$disconnect();
  }
}
