import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPrismaClient } from './db';
import { PROJECT_ROOT } from './tools';

const run = promisify(execFile);

const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'prisma', 'migrations');

/**
 * The committed migrations a database has not applied yet. Checked before running the schema
 * engine, which would otherwise take the database's write lock at every start of every process.
 */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const committed = fs.readdirSync(MIGRATIONS_DIR).filter((d) => fs.existsSync(path.join(MIGRATIONS_DIR, d, 'migration.sql')));
  const prisma = createPrismaClient(databaseUrl);
  try {
    const rows = await prisma.$queryRawUnsafe<Array<{ migration_name: string }>>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    return committed.filter((d) => !applied.has(d));
  } catch {
    return committed; // a new database: no migrations table yet
  } finally {
    await prisma.$disconnect();
  }
}

/**
 * Applies the committed migrations (prisma migrate deploy) to a database, creating it if needed,
 * and switches SQLite to WAL so that the API and the worker read while the other writes.
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const file = databaseUrl.slice('file:'.length);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if ((await pendingMigrations(databaseUrl)).length === 0) return;
  // Another process of the system (a second API, a worker) may be writing while this one starts;
  // the schema engine then meets a locked database (it says SocketTimeout) and is simply run again.
  for (let attempt = 1; ; attempt++) {
    try {
      await run('bash', [path.join(PROJECT_ROOT, 'scripts', 'prisma.sh'), 'migrate', 'deploy'], {
        env: { ...process.env, DATABASE_URL: `file:${path.resolve(file)}` },
      });
      break;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      const output = `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`;
      if (attempt < 8 && /SocketTimeout|SQLITE_BUSY|database is locked/.test(output)) {
        await new Promise((r) => setTimeout(r, 250 * attempt));
        continue;
      }
      throw new Error(`Database migration failed: ${output}`);
    }
  }
  const prisma = createPrismaClient(databaseUrl);
  try {
    await prisma.$queryRawUnsafe('PRAGMA journal_mode=WAL');
  } finally {
    await prisma.$disconnect();
  }
}
