// The committed migrations, for SQLite and for PostgreSQL, build exactly prisma/schema.prisma (the
// PostgreSQL ones its derived copy), and the two folders hold the same migrations. Fails when the
// schema changed without `npm run db:migration -- <name>`, or when one folder was edited alone.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../infra/tools';
import { type PostgresCluster, postgresCluster, startPostgresCluster, testingOnPostgres } from '../helpers/postgres';

const run = promisify(execFile);
// Each check runs the Prisma CLI three times (a few seconds each, far more on a busy machine).
jest.setTimeout(300_000);
const script = (name: string) => path.join(PROJECT_ROOT, 'scripts', name);
const folders = { sqlite: 'prisma/migrations', postgresql: 'prisma/migrations-postgres' } as const;

const migrations = (folder: string) =>
  fs
    .readdirSync(path.join(PROJECT_ROOT, folder), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

/** The SQL that would take what the migrations build to the schema: only comments when none. */
async function drift(databaseUrl: string, schema: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-drift-'));
  try {
    const built = path.join(dir, 'built.prisma');
    const { stdout } = await run('bash', [script('schema-from-migrations.sh'), databaseUrl], { maxBuffer: 16 << 20 });
    fs.writeFileSync(built, stdout);
    // Diffing two datamodels touches no database; a SQLite URL keeps the CLI's adapter offline.
    const diff = await run('bash', [script('prisma.sh'), 'migrate', 'diff', '--from-schema-datamodel', built, '--to-schema-datamodel', schema, '--script'], {
      env: { ...process.env, DATABASE_URL: `file:${path.join(dir, 'unused.db')}` },
    });
    return diff.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const statements = (sql: string) => sql.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('--'));

describe('migrations', () => {
  let dir: string;
  let cluster: PostgresCluster;
  let ownCluster = false;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-migrations-'));
    if (testingOnPostgres()) cluster = postgresCluster(Number(process.env.PF_TEST_POSTGRES_PORT));
    else {
      cluster = await startPostgresCluster(dir);
      ownCluster = true;
    }
  });
  afterAll(async () => {
    if (ownCluster) await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hold the same migrations for SQLite and PostgreSQL, each folder locked to its provider', () => {
    expect(migrations(folders.postgresql)).toEqual(migrations(folders.sqlite));
    for (const [provider, folder] of Object.entries(folders)) {
      expect(fs.readFileSync(path.join(PROJECT_ROOT, folder, 'migration_lock.toml'), 'utf8')).toContain(`provider = "${provider}"`);
    }
  });

  it('build prisma/schema.prisma on SQLite', async () => {
    const sql = await drift(`file:${path.join(dir, 'scratch.db')}`, path.join(PROJECT_ROOT, 'prisma', 'schema.prisma'));
    expect(statements(sql)).toEqual([]);
  });

  it('build the derived schema on PostgreSQL', async () => {
    const name = `drift_${randomUUID().replaceAll('-', '')}`;
    cluster.createDatabase(name);
    try {
      const { stdout: schema } = await run('bash', [script('postgres-schema.sh')]);
      const sql = await drift(cluster.url(name), schema.trim());
      expect(statements(sql)).toEqual([]);
    } finally {
      await cluster.dropDatabase(name);
    }
  });
});
