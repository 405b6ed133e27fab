// PostgreSQL connections dropped under the API's feet (the server terminates every backend of the
// database while drafts are being written): each request either succeeds or answers a clean 503,
// nothing is half-written, and the same requests retried with their Idempotency-Key succeed once.
// Only meaningful on PostgreSQL (npm run test:postgres); SQLite has no connection to drop.
import { draftBody, programmeBody } from '../helpers/fixtures';
import { createLogger } from '../../infra/logger';
import { testingOnPostgres } from '../helpers/postgres';
import { type TestSystem, startSystem } from '../helpers/system';

const onPostgres = testingOnPostgres();
let sys: TestSystem;

beforeAll(async () => {
  if (onPostgres) sys = await startSystem({ logger: createLogger(process.env.PF_DEBUG ? 'error' : 'silent'), idempotencyLeaseMs: 2_000 });
});
afterAll(async () => {
  await sys?.stop();
});

(onPostgres ? it : it.skip)('answers 503 or succeeds when the connections drop, writes whole or nothing, and retries act once', async () => {
  const officer = await sys.user('officer');
  const applicant = await sys.user('applicant');
  const programme = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() });
  const titles = Array.from({ length: 20 }, (_, i) => `Written through dropped connections ${i}`);
  const send = (title: string) =>
    sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programme.body.id, { title }), headers: { 'idempotency-key': `drop-${title.replace(/\W/g, '-')}` } });

  // Terminate every other backend of this database, again and again, while the drafts are written.
  let dropping = true;
  let terminated = 0;
  const dropper = (async () => {
    while (dropping) {
      const rows = await sys.db.prisma
        .$queryRawUnsafe<Array<{ t: boolean }>>('SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
        .catch(() => []);
      terminated += rows.filter((r) => r.t).length;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const first = await Promise.all(titles.map(send));
  dropping = false;
  await dropper;

  const statuses = first.map((r) => r.status);
  console.log(`connections terminated: ${terminated}; first answers: ${statuses.filter((s) => s === 201).length} created, ${statuses.filter((s) => s === 503).length} unavailable`);
  for (const res of first) {
    expect([201, 503]).toContain(res.status);
    if (res.status === 503) expect(res.body).toMatchObject({ code: 'Unavailable' });
  }
  expect(terminated).toBeGreaterThan(0);

  for (const title of titles) {
    let res = await send(title);
    // A key whose first answer could not be recorded (the connection was gone) is held until the
    // lease ends, then taken over (409 meanwhile).
    for (let i = 0; i < 50 && [409, 503].includes(res.status); i++) {
      await new Promise((r) => setTimeout(r, 200));
      res = await send(title);
    }
    expect({ title, status: res.status }).toEqual({ title, status: 201 });
  }
  for (const title of titles) {
    expect({ title, rows: await sys.db.prisma.application.count({ where: { title } }) }).toEqual({ title, rows: 1 });
  }
  const drafts = (await sys.db.prisma.auditEntry.findMany({ where: { action: 'application.draft' } })).filter((a) => titles.some((t) => JSON.stringify(a.after).includes(t)));
  expect(drafts).toHaveLength(titles.length);
  const verify = await sys.call('GET', '/audit/verify', { key: officer.key });
  expect(verify.body).toMatchObject({ intact: true });
});
