// The committed migrations, for SQLite and for PostgreSQL, build exactly prisma/schema.prisma (the
// PostgreSQL ones its derived copy), and the two folders hold the same migrations. Fails when the
// schema changed without `npm run db:migration -- <name>`, or when one folder was edited alone.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { insertRows } from '../../bench/data/generate';
import { createPrismaClient } from '../../infra/db';
import { migrateDatabase } from '../../infra/migrate';
import { PROJECT_ROOT } from '../../infra/tools';
import { DAY } from '../helpers/fixtures';
import { seedProgramme } from '../helpers/seed';
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

  // Rows written before 0003 carried no programme: 0003 takes it from their case, an application
  // or a station. The database is brought to 0002 by the committed SQL (marked applied for Prisma),
  // holds such rows, then migrates as a deployed system would (infra/migrate.ts).
  it.each(['sqlite', 'postgresql'] as const)('0003 gives rows already in a %s database their case’s programme', async (provider) => {
    const folder = path.join(PROJECT_ROOT, folders[provider]);
    const before = migrations(folders[provider]).filter((m) => m < '0003');
    expect(before).toEqual(['0001_init', '0002_programmes_cases_and_stations']);
    let url: string;
    let drop = async (): Promise<void> => undefined;
    if (provider === 'sqlite') {
      url = `file:${path.join(dir, `backfill-${randomUUID()}.db`)}`;
      const db = new Database(url.slice('file:'.length));
      for (const m of before) db.exec(fs.readFileSync(path.join(folder, m, 'migration.sql'), 'utf8'));
      // `migrate resolve` on SQLite wants Prisma's own table to exist: made as Prisma makes it, in a scratch database.
      const scratch = path.join(dir, `prisma-table-${randomUUID()}.db`);
      await migrateDatabase(`file:${scratch}`);
      const made = new Database(scratch, { readonly: true });
      db.exec(made.prepare("SELECT sql FROM sqlite_master WHERE name = '_prisma_migrations'").pluck().get() as string);
      made.close();
      db.close();
    } else {
      const name = `backfill_${randomUUID().replaceAll('-', '')}`;
      cluster.createDatabase(name);
      url = cluster.url(name);
      drop = () => cluster.dropDatabase(name);
      for (const m of before) await run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', path.join(folder, m, 'migration.sql')]);
    }
    try {
      for (const m of before) {
        await run('bash', [script('prisma.sh'), 'migrate', 'resolve', '--applied', m], { env: { ...process.env, DATABASE_URL: url } });
      }
      const prisma = createPrismaClient(url);
      const window = { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) };
      let ids: { appA: string; stationA: string; appB: string; programmeA: string; programmeB: string };
      try {
        const a = await seedProgramme(prisma, window);
        const b = await seedProgramme(prisma, window);
        const host = await prisma.user.create({ data: { email: `host-${randomUUID()}@corp.cn`, displayName: 'Host', role: 'applicant' } });
        // Cases as 0002 made their tables: raw inserts, for the client knows only today's columns.
        const [appA, appB, stationA] = [randomUUID(), randomUUID(), randomUUID()];
        const made = new Date();
        await insertRows(prisma, 'Application', [
          { id: appA, programmeId: a.programmeId },
          { id: appB, programmeId: b.programmeId },
        ].map((r) => ({ ...r, applicantId: host.id, title: 'Pilot line', summary: 'A pilot line', field: 'new-energy', requestedFen: 800_000_000, unitName: 'Cell Co.', updatedAt: made })));
        await insertRows(prisma, 'Station', [
          { id: stationA, programmeId: a.programmeId, hostId: host.id, hostName: 'Host Co.', type: 'academician_workstation', name: 'Workstation', field: 'advanced-manufacturing', updatedAt: made },
        ]);
        ids = { appA, stationA, appB, programmeA: a.programmeId, programmeB: b.programmeId };
        // The tables as 0002 made them, without programmeId (the bench's raw inserts: the client knows only the new shape).
        const cases = [appA, stationA, appB];
        const now = new Date();
        await insertRows(prisma, 'ReviewAssignment', cases.map((caseId) => ({ id: `${caseId}:r`, caseId, round: 1, reviewerId: host.id, status: 'assigned', dueAt: now, rev: 1 })));
        await insertRows(prisma, 'Objection', cases.map((caseId) => ({ id: `${caseId}:o`, caseId, noticeId: 'n', filerName: 'Chen Wei', filerIdMasked: 'x', filerIdHash: 'h', contact: 'c', text: 't', status: 'open', filedAt: now, rev: 1 })));
        await insertRows(prisma, 'Milestone', cases.map((caseId) => ({ id: `${caseId}:m`, caseId, code: 'midterm', attempt: 1, dueAt: now, status: 'awaiting_report', rev: 1 })));
      } finally {
        await prisma.$disconnect();
      }

      await migrateDatabase(url);

      const after = createPrismaClient(url);
      try {
        const expected = [
          { caseId: ids.appA, programmeId: ids.programmeA },
          { caseId: ids.stationA, programmeId: ids.programmeA },
          { caseId: ids.appB, programmeId: ids.programmeB },
        ].sort((x, y) => x.caseId.localeCompare(y.caseId));
        const read = async (rows: Promise<Array<{ caseId: string; programmeId: string }>>) => (await rows).sort((x, y) => x.caseId.localeCompare(y.caseId));
        const select = { caseId: true, programmeId: true } as const;
        expect(await read(after.reviewAssignment.findMany({ select }))).toEqual(expected);
        expect(await read(after.objection.findMany({ select }))).toEqual(expected);
        expect(await read(after.milestone.findMany({ select }))).toEqual(expected);
        // The rest of each row came through the rebuild (SQLite) as it was.
        expect(await after.reviewAssignment.findUniqueOrThrow({ where: { id: `${ids.stationA}:r` } })).toMatchObject({ round: 1, status: 'assigned', rev: 1 });
        expect(await after.objection.findUniqueOrThrow({ where: { id: `${ids.appB}:o` } })).toMatchObject({ filerName: 'Chen Wei', status: 'open' });
        expect(await after.milestone.findUniqueOrThrow({ where: { id: `${ids.appA}:m` } })).toMatchObject({ code: 'midterm', status: 'awaiting_report' });
      } finally {
        await after.$disconnect();
      }
    } finally {
      await drop();
    }
  });
});
