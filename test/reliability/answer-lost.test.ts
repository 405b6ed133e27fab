// A write that commits while its answer cannot be kept (the connection lost between the two, as
// PostgreSQL's terminated backends do in test/db/connection-dropped.test.ts, where it was seen): the
// retry with the same Idempotency-Key must not write again. Here the database refuses to keep any
// idempotent answer (a trigger on the real table) while drafts, programmes and users are created,
// then accepts again. Kept after the commit, each answer was lost, the 5xx dropped the key and the
// retry wrote a second row (or, for a user, answered 409); kept inside the write's transaction, the
// write fails with it.
import Database from 'better-sqlite3';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { type TestSystem, startSystem } from '../helpers/system';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

function refuseAnswers(refuse: boolean) {
  const db = new Database(sys.db.url.slice('file:'.length));
  db.exec(
    refuse
      ? `CREATE TRIGGER refuse_answers BEFORE UPDATE OF status ON IdempotencyRecord WHEN NEW.status IS NOT NULL
         BEGIN SELECT RAISE(ABORT, 'injected: the answer cannot be kept'); END`
      : 'DROP TRIGGER refuse_answers',
  );
  db.close();
}

it('a retried creation whose first answer was lost after its write creates one row', async () => {
  const officer = await sys.user('officer');
  const applicant = await sys.user('applicant');
  const admin = { key: sys.adminKey };
  const programme = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() });
  const stamp = Date.now();
  const requests = [
    { key: applicant.key, url: '/applications', body: draftBody(programme.body.id, { title: `Answer lost ${stamp}` }), rows: () => sys.db.prisma.application.count({ where: { title: `Answer lost ${stamp}` } }) },
    { key: officer.key, url: '/programmes', body: programmeBody({ code: `LOST-${stamp}` }), rows: () => sys.db.prisma.programme.count({ where: { code: `LOST-${stamp}` } }) },
    { key: admin.key, url: '/users', body: { email: `lost.${stamp}@example.cn`, displayName: 'Lost answer', role: 'applicant' }, rows: () => sys.db.prisma.user.count({ where: { email: `lost.${stamp}@example.cn` } }) },
  ];
  const send = (r: (typeof requests)[number]) => sys.call('POST', r.url, { key: r.key, body: r.body, headers: { 'idempotency-key': `lost-${r.url.slice(1)}-${stamp}` } });

  refuseAnswers(true);
  try {
    for (const r of requests) {
      const first = await send(r);
      expect({ url: r.url, failed: first.status >= 500 }).toEqual({ url: r.url, failed: true });
      expect({ url: r.url, rows: await r.rows() }).toEqual({ url: r.url, rows: 0 });
    }
  } finally {
    refuseAnswers(false);
  }
  for (const r of requests) {
    const retry = await send(r);
    expect({ url: r.url, status: retry.status }).toEqual({ url: r.url, status: 201 });
    const again = await send(r);
    expect({ url: r.url, status: again.status, replayed: again.headers.get('idempotent-replayed') }).toEqual({ url: r.url, status: 201, replayed: 'true' });
    expect({ url: r.url, rows: await r.rows() }).toEqual({ url: r.url, rows: 1 });
  }
});
