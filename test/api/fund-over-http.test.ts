// A whole talent-fund case through the HTTP API, with the roles that act on it, against a real
// worker, dev server and database. The programme runs 864,000 times faster than the calendar (a day
// in 100 ms) by its own configuration, so its months pass in seconds.
import { keyedHash } from '../../infra/pii';
import { applicationViewQuery } from '../../shared';
import { DAY, draftBody, fundConfig, programmeBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(180_000);

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});


const SCALE = 864_000;

/**
 * Every case read of this test is checked against the workflow: whenever the workflow stood still
 * from before the read until after a query made beside it (its history unchanged, no activity in
 * flight, so its last projection has landed), the view the read served (kept by the API under the
 * read model's view token) must be the query's answer. A change the workflow made without
 * projecting a new token would serve the old view here and fail. (While a projection is in flight,
 * a read serves the view of the last one that landed, as the row it reads does.)
 */
let viewChecks = 0;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
/** A view with every timestamp replaced by the word 'time'. */
const timesAsTimes = (view: unknown) => JSON.parse(JSON.stringify(view), (_k, v) => (typeof v === 'string' && ISO_TIME.test(v) ? 'time' : v));
let unchecked: TestSystem['call'];
beforeEach(() => {
  const call = (unchecked = sys.call);
  sys.call = async (method, path, opts) => {
    const one = /^\/applications\/([0-9a-f-]{36})$/.exec(path);
    if (method !== 'GET' || !one) return call(method, path, opts);
    const handle = sys.client.workflow.getHandle(one[1]!);
    const before = await handle.describe().catch(() => null);
    const res = await call(method, path, opts);
    if (before && res.status === 200 && res.body.workflow) {
      const live = await handle.query(applicationViewQuery);
      const after = await handle.describe();
      const idle = (d: typeof after) => (d.raw.pendingActivities?.length ?? 0) === 0;
      if (after.runId === before.runId && after.historyLength === before.historyLength && idle(before) && idle(after)) {
        // A closed workflow's query is answered by replaying its history, and a time the workflow read
        // after a local activity can come out milliseconds off the first run's (a 'completed' entry
        // 13 ms later was seen; local activities move the workflow's clock): its times are compared
        // as times, the rest as is.
        const running = after.status.name === 'RUNNING';
        expect(running ? res.body.workflow : timesAsTimes(res.body.workflow)).toEqual(running ? live : timesAsTimes(live));
        viewChecks += 1;
      }
    }
    return res;
  };
});
afterEach(() => {
  sys.call = unchecked;
});

it('takes a case from call to close-out over HTTP, each role seeing and doing what it should', async () => {
  const admin = sys.adminKey;
  const officer = await sys.user('officer');
  const applicant = await sys.user('applicant');
  const finance = await sys.user('finance');
  const reviewers: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < 5; i++) {
    const res = await sys.call('POST', '/users', {
      key: admin,
      body: { email: `expert${i}-${Date.now()}@experts.cn`, displayName: `Prof. ${i}`, role: 'reviewer', expertise: ['new-energy'] },
    });
    expect(res.status).toBe(201);
    reviewers.push({ id: res.body.user.id as string, key: res.body.apiKey as string });
  }

  const config = fundConfig({
    timeScale: SCALE,
    review: { ...fundConfig().review, deadlineDays: 3650, replaceSilentAfterDays: 3650 },
    agreement: { signDays: 3650 },
    // Long enough (about 2.8 s here) for the objection below to be filed on a busy machine.
    publicNotice: { workingDays: 20 },
    milestones: [
      { code: 'midterm', label: 'mid-term check', monthsAfterSigning: 1, passScore: 60 },
      { code: 'final', label: 'final acceptance', monthsAfterSigning: 2, passScore: 60, final: true },
    ],
  });
  // Each key's first use pays for its scrypt check; pay it before the short call window opens.
  for (const k of [officer.key, applicant.key]) expect((await sys.call('GET', '/me', { key: k })).status).toBe(200);
  const programme = await sys.call('POST', '/programmes', {
    key: officer.key,
    body: programmeBody({ config, closesAt: new Date(Date.now() + 1_500).toISOString(), opensAt: new Date(Date.now() - DAY).toISOString() }),
  });
  expect(programme.status).toBe(201);
  const programmeId = programme.body.id as string;

  const draft = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId) });
  const id = draft.body.id as string;
  const submitted = await sys.call('POST', `/applications/${id}/submit`, { key: applicant.key });
  expect(submitted.body.stage).toBe('submitted');

  // The call closes by itself; the officer sees the formal review waiting in the inbox.
  await eventually('formal review', async () => (await sys.call('GET', `/applications/${id}`, { key: officer.key })).body.stage === 'formal_review');
  const inbox = await sys.call('GET', '/inbox', { key: officer.key });
  expect(inbox.body.items.map((i: { caseId: string }) => i.caseId)).toContain(id);
  const accepted = await sys.call('POST', `/applications/${id}/formal-review`, { key: officer.key, body: { decision: 'accept' } });
  expect(accepted.status).toBe(200);
  expect(accepted.body.stage).toBe('expert_review');

  // Reviewers find their assignments, declare, and score blind.
  const seated = await eventually('the panel', async () => {
    const lists = await Promise.all(reviewers.map((r) => sys.call('GET', '/reviews', { key: r.key })));
    const mine = reviewers.filter((_r, i) => lists[i]!.body.items.some((a: { caseId: string }) => a.caseId === id));
    return mine.length === 5 ? mine : undefined;
  });
  const first = seated[0]!;
  const second = seated[1]!;
  expect((await sys.call('POST', `/applications/${id}/review/score`, {
    key: first.key,
    body: { scores: { innovation: 8, team: 8, market: 8, fit: 8 }, comment: 'Strong', recommendation: 'fund' },
  })).body.code).toBe('WrongStage'); // declare first
  for (const [i, r] of seated.entries()) {
    expect((await sys.call('POST', `/applications/${id}/review/declaration`, { key: r.key, body: { conflict: false } })).status).toBe(200);
    if (i === 0) {
      const s = await sys.call('POST', `/applications/${id}/review/score`, {
        key: r.key,
        body: { scores: { innovation: 9, team: 8, market: 8, fit: 7 }, comment: 'Strong team', recommendation: 'fund' },
      });
      expect(s.status).toBe(200);
    }
  }
  // Blind: the second reviewer sees only their own row before scoring; the first sees all.
  const blind = await sys.call('GET', `/applications/${id}/reviews`, { key: second.key });
  expect(blind.body.items.map((a: { reviewerId: string }) => a.reviewerId)).toEqual([second.id]);
  expect((await sys.call('GET', `/applications/${id}/reviews`, { key: first.key })).body.items).toHaveLength(5);
  for (const r of seated.slice(1)) {
    await sys.call('POST', `/applications/${id}/review/score`, {
      key: r.key,
      body: { scores: { innovation: 8, team: 8, market: 8, fit: 8 }, comment: 'Good', recommendation: 'fund' },
    });
  }

  await eventually('defence', async () => (await sys.call('GET', `/applications/${id}`, { key: officer.key })).body.stage === 'defence');
  for (const kind of ['defence', 'site_visit']) {
    await sys.call('POST', `/applications/${id}/assessments/schedule`, { key: officer.key, body: { kind, at: '2027-03-01T09:00:00+08:00', place: 'Foshan' } });
    const r = await sys.call('POST', `/applications/${id}/assessments/record`, { key: officer.key, body: { kind, outcome: 'pass', notes: 'ok' } });
    expect(r.status).toBe(200);
  }
  await eventually('committee', async () => (await sys.call('GET', `/applications/${id}`, { key: officer.key })).body.stage === 'committee');
  const awarded = await sys.call('POST', `/applications/${id}/award`, { key: officer.key, body: { decision: 'award', tier: 'A', amountFen: 800_000_000 } });
  expect(awarded.body.stage).toBe('public_notice');

  // The public sees the notice and may object by real name only; the raw ID number is not stored.
  const notices = await sys.call('GET', '/notices');
  expect(notices.body.items.map((n: { id: string }) => n.id)).toContain(id);
  const badId = await sys.call('POST', `/notices/${id}/objections`, { body: { name: 'Chen Wei', idNumber: '440604199001010011', contact: '138', text: 'x' } });
  expect(badId.status).toBe(400);
  const objection = await sys.call('POST', `/notices/${id}/objections`, {
    body: { name: 'Chen Wei', idNumber: '11010519491231002X', contact: '13800000000', text: 'Same project funded elsewhere' },
  });
  expect(objection).toMatchObject({ status: 202 });
  const stored = await sys.db.prisma.objection.findFirstOrThrow({ where: { caseId: id } });
  expect(stored.filerIdMasked).toBe('110105********002X');
  expect(JSON.stringify(stored)).not.toContain('11010519491231002X');
  // A keyed hash: duplicates still match, but it cannot be enumerated back without the server's key.
  expect(stored.filerIdHash).toBe(keyedHash(sys.piiHashKey, '11010519491231002X'));
  const officerInbox = await sys.call('GET', '/inbox', { key: officer.key });
  expect(officerInbox.body.items.some((i: { kind: string }) => i.kind === 'objection')).toBe(true);
  const resolved = await sys.call('POST', `/applications/${id}/objections/${encodeURIComponent(stored.id)}/resolve`, {
    key: officer.key,
    body: { resolution: 'dismissed', reason: 'A different project' },
  });
  expect(resolved.status).toBe(200);

  await eventually('agreement', async () => (await sys.call('GET', `/applications/${id}`, { key: applicant.key })).body.stage === 'agreement');
  const applicantInbox = await sys.call('GET', '/inbox', { key: applicant.key });
  expect(applicantInbox.body.items[0]).toMatchObject({ caseId: id, kind: 'case' });
  expect((await sys.call('POST', `/applications/${id}/countersign`, { key: officer.key, body: {} })).body.code).toBe('WrongStage');
  expect((await sys.call('POST', `/applications/${id}/sign`, { key: applicant.key, body: {} })).status).toBe(200);
  const running = await sys.call('POST', `/applications/${id}/countersign`, { key: officer.key, body: {} });
  expect(running.body.stage).toBe('in_progress');

  // Finance: officers cannot pay; finance approves the released tranche and it is paid once.
  expect((await sys.call('POST', `/applications/${id}/tranches/T1/approve`, { key: officer.key, body: {} })).status).toBe(403);
  const financeInbox = await sys.call('GET', '/inbox', { key: finance.key });
  expect(financeInbox.body.items.some((i: { caseId: string; kind: string }) => i.caseId === id && i.kind === 'payment')).toBe(true);
  const paid = await sys.call('POST', `/applications/${id}/tranches/T1/approve`, { key: finance.key, body: {} });
  expect(paid.body.tranches[0].status).toBe('paid');
  expect((await sys.call('POST', `/applications/${id}/tranches/T1/approve`, { key: finance.key, body: {} })).status).toBe(409);

  // Milestones: report and score over HTTP; then the final decision, published, and close-out.
  for (const [score, final] of [[75, false], [85, true]] as const) {
    await eventually('a milestone check', async () => (await sys.call('GET', `/applications/${id}`, { key: applicant.key })).body.workflow?.active.milestoneCheck);
    const reported = await sys.call('POST', `/applications/${id}/milestone/report`, { key: applicant.key, body: { summary: 'On track' } });
    expect(reported.status).toBe(200);
    expect((await sys.call('POST', `/applications/${id}/milestone/score`, { key: officer.key, body: { score } })).status).toBe(200);
    if (!final) {
      await eventually('T2 released', async () => (await sys.call('GET', `/applications/${id}`, { key: finance.key })).body.workflow.tranches[1].status === 'released');
      expect((await sys.call('POST', `/applications/${id}/tranches/T2/approve`, { key: finance.key, body: {} })).body.tranches[1].status).toBe('paid');
      await eventually('the final check', async () => (await sys.call('GET', `/applications/${id}`, { key: officer.key })).body.stage === 'final_acceptance', 60_000);
    }
  }
  await eventually('the final decision', async () => {
    const v = (await sys.call('GET', `/applications/${id}`, { key: officer.key })).body.workflow;
    return v.next.waitingOn === 'officer' && !v.active.milestoneCheck;
  });
  const decided = await sys.call('POST', `/applications/${id}/final-decision`, { key: officer.key, body: { outcome: 'pass', reason: 'Targets met' } });
  expect(decided.body.stage).toBe('public_notice');
  const closed = await eventually('completion', async () => {
    const r = await sys.call('GET', `/applications/${id}`, { key: applicant.key });
    return r.body.stage === 'completed' ? r.body : undefined;
  });
  expect(closed.history.map((h: { stage: string }) => h.stage)).toContain('final_acceptance');

  const ledger = await sys.call('GET', `/programmes/${programmeId}/ledger`, { key: finance.key });
  expect(ledger.body).toMatchObject({ reconciled: true, totals: { committedFen: 800_000_000, paidFen: 800_000_000, remainingFen: 9_700_000_000 - 800_000_000 } });
  expect(ledger.body.entries.map((e: { kind: string }) => e.kind)).toEqual(['commit', 'payment', 'payment']);
  expect((await sys.call('GET', `/programmes/${programmeId}/ledger`, { key: applicant.key })).status).toBe(403);
  // The check above ran at quiet points all through the case, not once or never.
  expect(viewChecks).toBeGreaterThanOrEqual(10);
});
