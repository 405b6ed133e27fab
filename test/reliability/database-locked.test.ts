// The database locked by another connection: requests wait and retry while the lock is short, answer
// a clear 503 when it outlasts their retries, and never leave half a change behind. The workflow's
// read-model writes fail, are retried by Temporal, and land whole once the lock is gone.
import Database from 'better-sqlite3';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(3 * 60_000);

let sys: TestSystem;
let applicant: { id: string; key: string };
let programmeId: string;

beforeAll(async () => {
  sys = await startSystem({ dbLockTimeoutMs: 300 });
  const officer = await sys.user('officer');
  applicant = await sys.user('applicant');
  const programme = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() });
  programmeId = programme.body.id;
});
afterAll(async () => {
  await sys?.stop();
});

/** Another process's connection holding the write lock until `release()`. */
function lockDatabase() {
  const other = new Database(sys.db.url.slice('file:'.length));
  other.exec('BEGIN EXCLUSIVE');
  return {
    release() {
      other.exec('ROLLBACK');
      other.close();
    },
  };
}

const countByTitle = async (title: string) => ({
  applications: await sys.db.prisma.application.count({ where: { title } }),
  audits: (await sys.db.prisma.auditEntry.findMany({ where: { action: 'application.draft' } })).filter((a) => JSON.stringify(a.after).includes(title)).length,
});

it('waits out a short lock and writes once', async () => {
  const lock = lockDatabase();
  const pending = sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId, { title: 'Written after a short lock' }) });
  await new Promise((r) => setTimeout(r, 1_500));
  lock.release();
  const res = await pending;
  expect(res.status).toBe(201);
  expect(await countByTitle('Written after a short lock')).toEqual({ applications: 1, audits: 1 });
});

it('answers 503 with a problem when the lock outlasts the retries, writes nothing, and the retry succeeds once', async () => {
  const lock = lockDatabase();
  const body = draftBody(programmeId, { title: 'Refused while locked' });
  let res;
  try {
    res = await sys.call('POST', '/applications', { key: applicant.key, body });
  } finally {
    lock.release();
  }
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(res.body).toMatchObject({ code: 'Unavailable', status: 503 });
  expect(await countByTitle('Refused while locked')).toEqual({ applications: 0, audits: 0 });

  const again = await sys.call('POST', '/applications', { key: applicant.key, body, headers: { 'idempotency-key': 'draft-after-lock' } });
  const replay = await sys.call('POST', '/applications', { key: applicant.key, body, headers: { 'idempotency-key': 'draft-after-lock' } });
  expect([again.status, replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
  expect(await countByTitle('Refused while locked')).toEqual({ applications: 1, audits: 1 });
});

it('lets the workflow move while the read model is locked, and lands the stage, its history and its audit entry together afterwards', async () => {
  const draft = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId, { title: 'Submitted while locked' }) });
  const id = draft.body.id as string;
  const lock = lockDatabase();
  const pending = sys.call('POST', `/applications/${id}/submit`, { key: applicant.key });
  try {
    // The workflow has moved; the projector's activity fails and is retried: nothing of it is visible.
    await eventually('the workflow to take the submission', async () => (await sys.client.workflow.getHandle(id).describe().catch(() => null))?.status.name === 'RUNNING');
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await sys.db.prisma.application.findUniqueOrThrow({ where: { id } })).stage).toBe('draft');
    expect(await sys.db.prisma.stageHistory.count({ where: { caseId: id } })).toBe(0);
  } finally {
    lock.release();
  }
  const submitted = await pending;
  expect(submitted.status).toBe(200);
  expect(submitted.body.stage).toBe('submitted');
  const row = await eventually('the read model to catch up', async () => {
    const app = await sys.db.prisma.application.findUniqueOrThrow({ where: { id } });
    return app.stage === 'submitted' && app;
  });
  expect(row.stage).toBe('submitted');
  expect((await sys.db.prisma.stageHistory.findMany({ where: { caseId: id } })).map((s) => s.stage)).toEqual(['submitted']);
  expect(await sys.db.prisma.auditEntry.count({ where: { targetId: id, action: 'application.submitted' } })).toBe(1);
});

it('waits out a longer outage on a workflow timer rather than a kept-alive workflow task, then lands the projection once', async () => {
  const draft = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId, { title: 'Submitted during an outage' }) });
  const id = draft.body.id as string;
  const lock = lockDatabase();
  // The answer waits for the projection: past WORKFLOW_WAIT_MS (30 s) it is a 503, and either is
  // right here; what matters is what the workflow did meanwhile and what the read model holds after.
  const pending = sys.call('POST', `/applications/${id}/submit`, { key: applicant.key });
  try {
    // Each attempt of the local projector gives up after its own short retries (5-10 s here); the
    // waits between attempts (1, 2, 4, 8 s) pass in the worker, the next (16 s) on a workflow
    // timer: scheduled 35-55 s into the outage.
    await new Promise((r) => setTimeout(r, 60_000));
    expect((await sys.db.prisma.application.findUniqueOrThrow({ where: { id } })).stage).toBe('draft');
  } finally {
    lock.release();
  }
  expect([200, 503]).toContain((await pending).status);
  await eventually('the read model to catch up', async () => (await sys.db.prisma.application.findUniqueOrThrow({ where: { id } })).stage === 'submitted', 60_000);
  expect(await sys.db.prisma.auditEntry.count({ where: { targetId: id, action: 'application.submitted' } })).toBe(1);
  const events = (await sys.client.workflow.getHandle(id).fetchHistory()).events!;
  // The retry past localRetryThreshold (10 s) waited on a workflow timer of its backoff (16 s); the
  // case's own timers wait for the call to close, days away.
  const backoffs = events.filter((e) => {
    const s = Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? -1);
    return s >= 10 && s <= 60;
  });
  expect(backoffs.length).toBeGreaterThanOrEqual(1);
});
