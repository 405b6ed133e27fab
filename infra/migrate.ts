import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { databaseProvider } from './database-url';
import { createPrismaClient } from './db';
import { PROJECT_ROOT } from './tools';

const run = promisify(execFile);


/**
 * The committed migrations a database has not applied yet. Checked before running the schema
 * engine, which would otherwise take the database's write lock at every start of every process.
 */
async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const dir = path.join(PROJECT_ROOT, 'prisma', databaseProvider(databaseUrl) === 'sqlite' ? 'migrations' : 'migrations-postgres');
  const committed = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'migration.sql')));
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
  if ((await pendingMigrations(databaseUrl)).length === 0) return;
  // Another process of the system (a second API, a worker) may be writing while this one starts;
  // the schema engine then meets a locked SQLite database (it says SocketTimeout): run it again.
  for (let attempt = 1; ; attempt++) {
    try {
      await run('bash', [path.join(PROJECT_ROOT, 'scripts', 'prisma.sh'), 'migrate', 'deploy'], {
        env: { ...process.env, DATABASE_URL: url },
      });
      break;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      const output = `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`;
      if (sqlite && attempt < 8 && /SocketTimeout|SQLITE_BUSY|database is locked/.test(output)) {
        await new Promise((r) => setTimeout(r, 250 * attempt));
        continue;
      }
      throw new Error(`Database migration failed: ${output}`);
    }
  }
  if (!sqlite) return;
  const prisma = createPrismaClient(databaseUrl);
  try {
    await prisma.$queryRawUnsafe('PRAGMA journal_mode=WAL');
  } finally {
    await prisma.$disconnect();
  }
}
