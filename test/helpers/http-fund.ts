import { DAY, draftBody } from './fixtures';
import { eventually } from './eventually';
import { mapLimit } from './concurrency';
import type { ApiResponse, TestSystem } from './system';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type ApplicationWorkflowInput, type ProgrammeConfig, submitUpdate } from '../../shared';
import type { ProgrammeConfigInput } from '../../shared/programme-config';
import type { applicationWorkflow } from '../../workflows';

// Many talent-fund cases driven over HTTP as fast as the rules allow: the smallest pipeline the
// configuration schema accepts (a panel of one, no defence or site visit, one working day of
// notice) on a compressed clock (a day in 100 ms). Waits read the read model, one query for all.

export const SCALE = 864_000;
export const AWARD_FEN = 1_000_000;

/** A programme whose cases go from submission to agreement in a handful of actions. */
export function quickFundConfig(overrides: Partial<ProgrammeConfigInput> = {}): ProgrammeConfigInput {
  return {
    timeScale: SCALE,
    tiers: [{ code: 'A', amountFen: AWARD_FEN }],
    eligibility: { fields: ['new-energy'] },
    review: {
      rubric: [{ code: 'merit', label: 'Merit', weight: 100, max: 10 }],
      panelSize: 1,
      quorum: 1,
      passScore: 70,
      // Nobody is replaced or chased while a test drives hundreds of cases (3650 days = 6 minutes).
      deadlineDays: 3650,
      replaceSilentAfterDays: 3650,
    },
    defence: { required: false },
    siteVisit: { required: false },
    publicNotice: { workingDays: 1 },
    agreement: { signDays: 3650 },
    tranches: [
      { code: 'T1', percent: 60, after: 'signing' },
      { code: 'T2', percent: 40, after: 'midterm' },
    ],
    // Far off (a month is 3 s): a funded case stays in progress while a test looks at it.
    milestones: [
      { code: 'midterm', label: 'mid-term check', monthsAfterSigning: 100, passScore: 60 },
      { code: 'final', label: 'final acceptance', monthsAfterSigning: 120, passScore: 60, final: true },
    ],
    ...overrides,
  };
}

export interface Person {
  id: string;
  key: string;
}

export interface FundCall {
  programmeId: string;
  officer: Person;
  reviewer: Person;
  finance: Person[];
  /** Application ids, with their applicants. */
  cases: Array<{ id: string; applicant: Person }>;
}

/** Fails with the status and body of an answer that is not the one expected. */
export function expectStatus(res: ApiResponse, status: number, what: string): ApiResponse {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/**
 * Opens a call and drafts `count` applications in it over HTTP, then submits them. The submission
 * is the one step not taken over HTTP: it starts each case as the submit use case does (the same
 * update-with-start), but with the call closing for that case `closeAfterMs` (10 s) after its own
 * submission, so that hundreds of cases need not wait for the slowest submission on a busy machine
 * before their formal review starts.
 */
export async function submittedCases(
  sys: TestSystem,
  opts: { count: number; budgetFen: number; config?: ProgrammeConfigInput; concurrency?: number; closeAfterMs?: number },
): Promise<FundCall> {
  const concurrency = opts.concurrency ?? 8;
  const officer = await sys.user('officer');
  const finance = [await sys.user('finance'), await sys.user('finance')];
  const created = expectStatus(
    await sys.call('POST', '/users', {
      key: sys.adminKey,
      body: { email: `panel-${Date.now()}-${Math.random()}@experts.cn`, displayName: 'Prof. Panel', role: 'reviewer', expertise: ['new-energy'] },
    }),
    201,
    'reviewer',
  );
  const reviewer = { id: created.body.user.id as string, key: created.body.apiKey as string };
  const applicants: Person[] = [];
  for (let i = 0; i < opts.count; i++) applicants.push(await sys.user('applicant'));

  const programme = expectStatus(
    await sys.call('POST', '/programmes', {
      key: officer.key,
      body: {
        code: `RACE-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
        title: 'Race programme',
        kind: 'talent_fund',
        budgetFen: opts.budgetFen,
        opensAt: new Date(Date.now() - DAY).toISOString(),
        closesAt: new Date(Date.now() + DAY).toISOString(),
        config: opts.config ?? quickFundConfig(),
      },
    }),
    201,
    'programme',
  );
  const programmeId = programme.body.id as string;
  const row = await sys.db.prisma.programme.findUniqueOrThrow({ where: { id: programmeId } });

  /** One draft and its submission; null when the machine was too slow to submit before its call closed. */
  const submitOne = async (applicant: Person, i: number, closeAfterMs: number): Promise<string | null> => {
    const draft = expectStatus(
      await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId, { requestedFen: AWARD_FEN, title: `Race case ${i}` }) }),
      201,
      'draft',
    );
    const app = draft.body as { id: string; title: string; field: string; summary: string; unitName: string; members: string[] };
    const input: ApplicationWorkflowInput = {
      applicationId: app.id,
      applicantId: applicant.id,
      programme: {
        id: programmeId,
        configVersion: row.configVersion,
        opensAt: row.opensAt.toISOString(),
        closesAt: new Date(Date.now() + closeAfterMs).toISOString(),
        config: row.config as unknown as ProgrammeConfig,
      },
      application: { title: app.title, field: app.field, requestedFen: AWARD_FEN, summaryLength: app.summary.length, unitName: app.unitName, leadName: 'Team Lead', members: app.members },
    };
    const start = new WithStartWorkflowOperation<typeof applicationWorkflow>('applicationWorkflow', {
      workflowId: app.id,
      taskQueue: sys.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      await sys.client.workflow.executeUpdateWithStart(submitUpdate, { args: [{ actor: { id: applicant.id, role: 'applicant' } }], startWorkflowOperation: start });
      return app.id;
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === 'CallNotOpen') return null;
      throw err;
    }
  };
  // On a heavily loaded machine a submission can take longer than its call's margin: that draft is
  // left (its workflow ends when its call closes) and a new one is submitted with twice the margin.
  const cases = await mapLimit(applicants, concurrency, async (applicant, i) => {
    for (let margin = opts.closeAfterMs ?? 10_000, attempt = 1; attempt <= 3; attempt++, margin *= 2) {
      const id = await submitOne(applicant, i, margin);
      if (id) return { id, applicant };
    }
    throw new Error(`case ${i} could not be submitted before its call closed, three times`);
  });
  return { programmeId, officer, reviewer, finance, cases };
}

/** Waits until every one of `ids` is at `stage` in the read model. */
export async function allAtStage(sys: TestSystem, ids: string[], stage: string, timeoutMs = 120_000): Promise<void> {
  let last: Record<string, number> = {};
  try {
    await eventually(
      `${ids.length} cases at ${stage}`,
      async () => {
        const rows = await sys.db.prisma.application.findMany({ where: { id: { in: ids } }, select: { stage: true } });
        last = {};
        for (const r of rows) last[r.stage] = (last[r.stage] ?? 0) + 1;
        return last[stage] === ids.length;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; stages now ${JSON.stringify(last)}`);
  }
}

/** Takes submitted cases through formal review, expert review, committee and notice, and has each applicant sign. */
export async function toSignedAgreements(sys: TestSystem, call: FundCall, cases = call.cases, concurrency = 8): Promise<Record<string, number>> {
  const ids = cases.map((c) => c.id);
  const { officer, reviewer } = call;
  const lap = laps();
  await allAtStage(sys, ids, 'formal_review');
  lap('call closed');
  await mapLimit(cases, concurrency, async (c) => {
    expectStatus(await sys.call('POST', `/applications/${c.id}/formal-review`, { key: officer.key, body: { decision: 'accept' } }), 200, 'accept');
  });
  // The panel (of one) is drawn just after the stage change; its assignments are in the read model.
  lap('accepted');
  await eventually(
    'the panels',
    async () => (await sys.db.prisma.reviewAssignment.count({ where: { caseId: { in: ids }, reviewerId: reviewer.id } })) === ids.length,
    120_000,
  );
  await mapLimit(cases, concurrency, async (c) => {
    expectStatus(await sys.call('POST', `/applications/${c.id}/review/declaration`, { key: reviewer.key, body: { conflict: false } }), 200, 'declaration');
    expectStatus(
      await sys.call('POST', `/applications/${c.id}/review/score`, { key: reviewer.key, body: { scores: { merit: 8 }, comment: 'Sound', recommendation: 'fund' } }),
      200,
      'score',
    );
  });
  lap('panels drawn');
  await allAtStage(sys, ids, 'committee');
  lap('scored');
  await mapLimit(cases, concurrency, async (c) => {
    expectStatus(
      await sys.call('POST', `/applications/${c.id}/award`, { key: officer.key, body: { decision: 'award', tier: 'A', amountFen: AWARD_FEN } }),
      200,
      'award',
    );
  });
  lap('awarded');
  await allAtStage(sys, ids, 'agreement');
  lap('notice over');
  await mapLimit(cases, concurrency, async (c) => {
    expectStatus(await sys.call('POST', `/applications/${c.id}/sign`, { key: c.applicant.key, body: {} }), 200, 'sign');
  });
  lap('signed');
  return lap.times;
}

/** Milliseconds spent in each named phase, for the test's log. */
function laps() {
  let at = Date.now();
  const times: Record<string, number> = {};
  const lap = (name: string) => {
    times[name] = Date.now() - at;
    at = Date.now();
  };
  return Object.assign(lap, { times });
}
