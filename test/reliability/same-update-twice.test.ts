// The same action sent twice over HTTP — in sequence and concurrently, without and with the same
// Idempotency-Key — has one effect: one stage transition and its audit entry, one score, one
// objection, one commitment, one approval and one payment. The second answer is the replay
// (Idempotent-Replayed: true, the same body) or a clean 4xx; never a 5xx, never a second effect.
// Four cases, one per way of sending, go through the same steps side by side.
import { randomUUID } from 'node:crypto';
import { DAY, draftBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { type FundCall, allAtStage, expectStatus, quickFundConfig, submittedCases } from '../helpers/http-fund';
import { type ApiResponse, type TestSystem, startSystem } from '../helpers/system';
import { reconcile } from '../../money/ledger';

jest.setTimeout(180_000);

const MODES = ['in sequence', 'concurrently', 'in sequence, same key', 'concurrently, same key'] as const;
type Mode = (typeof MODES)[number];

/** Clean refusals of a repeat: the action is done, the case has moved on, or the first is still running. */
const REPEAT_CODES = ['AlreadyDone', 'WrongStage', 'IdempotencyKeyInProgress'];

/** Sends a request twice the way `mode` says. */
async function twice(mode: Mode, send: (headers: Record<string, string>) => Promise<ApiResponse>): Promise<ApiResponse[]> {
  const headers: Record<string, string> = mode.endsWith('same key') ? { 'idempotency-key': `twice-${randomUUID()}` } : {};
  if (mode.startsWith('concurrently')) return Promise.all([send(headers), send(headers)]);
  const first = await send(headers);
  return [first, await send(headers)];
}

/** What the repeats were answered, by way of sending: printed at the end for the record. */
const repeats: Record<string, Record<string, number>> = {};

/** One answer is the action's success; the other is its replay or a clean refusal. */
function expectOneSuccess(mode: Mode, answers: ApiResponse[], ok: number): void {
  const summary = JSON.stringify(answers.map((a) => ({ status: a.status, replayed: a.headers.get('idempotent-replayed'), code: a.body?.code })));
  if (answers.some((a) => a.status >= 500)) throw new Error(`${mode}: a server error answered a repeat: ${summary}`);
  const fresh = answers.filter((a) => a.status === ok && a.headers.get('idempotent-replayed') !== 'true');
  expect({ mode, fresh: fresh.length, summary }).toEqual({ mode, fresh: 1, summary });
  const [first] = fresh;
  const other = answers.find((a) => a !== first)!;
  if (other.headers.get('idempotent-replayed') === 'true') {
    expect(mode).toMatch(/same key/);
    expect({ mode, status: other.status, body: other.body }).toEqual({ mode, status: first!.status, body: first!.body });
  } else {
    expect({ mode, status: other.status, summary }).toEqual({ mode, status: 409, summary });
    expect(other.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(REPEAT_CODES).toContain(other.body.code);
    if (other.body.code === 'IdempotencyKeyInProgress') expect(mode).toBe('concurrently, same key');
  }
  // In sequence with a key, the second is always the replay.
  if (mode === 'in sequence, same key') expect(other.headers.get('idempotent-replayed')).toBe('true');
  const kind = other.headers.get('idempotent-replayed') === 'true' ? `${other.status} replayed` : `${other.status} ${other.body.code}`;
  repeats[mode] ??= {};
  repeats[mode]![kind] = (repeats[mode]![kind] ?? 0) + 1;
}

let sys: TestSystem;
let call: FundCall;
beforeAll(async () => {
  sys = await startSystem();
  // A notice of 60 working days (about 8 s here) leaves time to object; two approvers per payment.
  call = await submittedCases(sys, {
    count: MODES.length,
    budgetFen: 100_000_000,
    config: quickFundConfig({ publicNotice: { workingDays: 60 }, finance: { approvalsRequired: 2 } }),
  });
});
afterAll(async () => {
  console.log(`same update twice, the repeats were answered: ${JSON.stringify(repeats)}`);
  await sys?.stop();
});

const prisma = () => sys.db.prisma;
const each = (fn: (mode: Mode, c: FundCall['cases'][number]) => Promise<void>) => Promise.all(MODES.map((m, i) => fn(m, call.cases[i]!)));
const stageRows = (caseId: string, stage: string) => prisma().stageHistory.count({ where: { caseId, stage } });
const auditRows = (targetId: string, action: string) => prisma().auditEntry.count({ where: { targetId, action } });

it('submits once', async () => {
  const applicants = await Promise.all(MODES.map(() => sys.user('applicant')));
  const programme = expectStatus(
    await sys.call('POST', '/programmes', {
      key: call.officer.key,
      body: {
        code: `TWICE-${Date.now()}`,
        title: 'Submit twice',
        kind: 'talent_fund',
        budgetFen: 100_000_000,
        opensAt: new Date(Date.now() - DAY).toISOString(),
        closesAt: new Date(Date.now() + DAY).toISOString(),
        config: quickFundConfig(),
      },
    }),
    201,
    'programme',
  );
  await Promise.all(
    MODES.map(async (mode, i) => {
      const applicant = applicants[i]!;
      const draft = expectStatus(await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programme.body.id) }), 201, 'draft');
      const id = draft.body.id as string;
      const answers = await twice(mode, (headers) => sys.call('POST', `/applications/${id}/submit`, { key: applicant.key, headers }));
      expectOneSuccess(mode, answers, 200);
      expect({ mode, rows: await stageRows(id, 'submitted'), audits: await auditRows(id, 'application.submitted') }).toEqual({ mode, rows: 1, audits: 1 });
    }),
  );
});

it("accepts at formal review once (an officer's decision)", async () => {
  await allAtStage(sys, call.cases.map((c) => c.id), 'formal_review');
  await each(async (mode, c) => {
    const answers = await twice(mode, (headers) => sys.call('POST', `/applications/${c.id}/formal-review`, { key: call.officer.key, body: { decision: 'accept' }, headers }));
    expectOneSuccess(mode, answers, 200);
    expect({ mode, rows: await stageRows(c.id, 'expert_review'), audits: await auditRows(c.id, 'application.expert_review') }).toEqual({ mode, rows: 1, audits: 1 });
  });
});

it("records a reviewer's score once", async () => {
  const reviewer = call.reviewer;
  await eventually('the panels', async () => (await prisma().reviewAssignment.count({ where: { caseId: { in: call.cases.map((c) => c.id) } } })) === MODES.length);
  await each(async (mode, c) => {
    expectStatus(await sys.call('POST', `/applications/${c.id}/review/declaration`, { key: reviewer.key, body: { conflict: false } }), 200, 'declaration');
    const body = { scores: { merit: 8 }, comment: 'Sound', recommendation: 'fund' };
    const answers = await twice(mode, (headers) => sys.call('POST', `/applications/${c.id}/review/score`, { key: reviewer.key, body, headers }));
    expectOneSuccess(mode, answers, 200);
    expect({ mode, audits: await auditRows(c.id, 'review.scored') }).toEqual({ mode, audits: 1 });
    const rows = await prisma().reviewAssignment.findMany({ where: { caseId: c.id } });
    expect(rows.map((r) => [r.status, r.total])).toEqual([['submitted', 80]]);
  });
});

it('decides the award once', async () => {
  await allAtStage(sys, call.cases.map((c) => c.id), 'committee');
  await each(async (mode, c) => {
    const body = { decision: 'award', tier: 'A', amountFen: 1_000_000 };
    const answers = await twice(mode, (headers) => sys.call('POST', `/applications/${c.id}/award`, { key: call.officer.key, body, headers }));
    expectOneSuccess(mode, answers, 200);
    expect({ mode, rows: await stageRows(c.id, 'public_notice'), audits: await auditRows(c.id, 'committee.awarded') }).toEqual({ mode, rows: 1, audits: 1 });
  });
});

it('files an objection once, and resolves it once', async () => {
  await each(async (mode, c) => {
    const body = { name: 'Chen Wei', idNumber: '11010519491231002X', contact: '13800000000', text: `The same project is funded elsewhere (${mode})` };
    const answers = await twice(mode, (headers) => sys.call('POST', `/notices/${c.id}/objections`, { body, headers }));
    expectOneSuccess(mode, answers, 202);
    const objections = await prisma().objection.findMany({ where: { caseId: c.id } });
    expect({ mode, objections: objections.length }).toEqual({ mode, objections: 1 });

    const resolution = { resolution: 'dismissed', reason: 'A different project' };
    const path = `/applications/${c.id}/objections/${encodeURIComponent(objections[0]!.id)}/resolve`;
    const resolved = await twice(mode, (headers) => sys.call('POST', path, { key: call.officer.key, body: resolution, headers }));
    expectOneSuccess(mode, resolved, 200);
    expect({ mode, audits: await auditRows(c.id, 'notice.objection_dismissed') }).toEqual({ mode, audits: 1 });
  });
});

it('commits the award once when the agreement is countersigned twice', async () => {
  await allAtStage(sys, call.cases.map((c) => c.id), 'agreement', 60_000);
  await each(async (mode, c) => {
    expectStatus(await sys.call('POST', `/applications/${c.id}/sign`, { key: c.applicant.key, body: {} }), 200, 'sign');
    const answers = await twice(mode, (headers) => sys.call('POST', `/applications/${c.id}/countersign`, { key: call.officer.key, body: {}, headers }));
    expectOneSuccess(mode, answers, 200);
    expect({ mode, rows: await stageRows(c.id, 'in_progress'), commits: await prisma().ledgerEntry.count({ where: { caseId: c.id, kind: 'commit' } }) }).toEqual({
      mode,
      rows: 1,
      commits: 1,
    });
  });
  expect(await reconcile(prisma(), call.programmeId)).toEqual([]);
});

it('counts one approver once, and pays the tranche once when the second approves', async () => {
  const [first, second] = call.finance as [FundCall['finance'][number], FundCall['finance'][number]];
  await each(async (mode, c) => {
    const path = `/applications/${c.id}/tranches/T1/approve`;
    const answers = await twice(mode, (headers) => sys.call('POST', path, { key: first.key, body: {}, headers }));
    expectOneSuccess(mode, answers, 200);
    const after = answers.find((a) => a.status === 200)!.body;
    expect(after.tranches[0]).toMatchObject({ status: 'released', approvals: [expect.objectContaining({ by: first.id })] });
    expect({ mode, audits: await auditRows(c.id, 'payment.approved') }).toEqual({ mode, audits: 1 });
    expect(await prisma().ledgerEntry.count({ where: { caseId: c.id, kind: 'payment' } })).toBe(0);

    // The second approver, twice as well: paid once.
    const paid = await twice(mode, (headers) => sys.call('POST', path, { key: second.key, body: {}, headers }));
    expectOneSuccess(mode, paid, 200);
    const payments = await prisma().ledgerEntry.findMany({ where: { caseId: c.id, kind: 'payment' } });
    expect({ mode, payments: payments.map((p) => [p.trancheCode, p.amountFen]) }).toEqual({ mode, payments: [['T1', 600_000n]] });
    expect({ mode, audits: await auditRows(c.id, 'payment.approved') }).toEqual({ mode, audits: 2 });
  });
  expect(await reconcile(prisma(), call.programmeId)).toEqual([]);
});
