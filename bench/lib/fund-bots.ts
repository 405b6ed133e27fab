// Bots that drive talent-fund cases through the HTTP API the way their users would (the happy path:
// submitted, accepted, scored by a panel of five, defended, awarded, noticed, signed, paid in two
// tranches, two milestone checks, accepted at the end), timing every action. Used by the lifecycle
// and contention measurements. Time is compressed by the programme's own `timeScale`; every
// deadline is long enough (in compressed days) that the bots never miss one.
import { FINAL_STAGES, runningMilestoneCheck } from '../../shared';
import type { ProgrammeConfigInput } from '../../shared/programme-config';
import { type Api, log } from './http';

/**
 * A day passes in 43 ms: a case's two milestone checks come 1.3 s and 2.6 s after signing, and the
 * longest deadline (3,650 days) is 158 s away, longer than the bots ever take.
 */
export const BENCH_TIME_SCALE = 2_000_000;

/** The bench's call; `timeScale` 1 keeps parked cases where they are (no deadline passes during a run). */
export function benchFundConfig(timeScale = BENCH_TIME_SCALE, field = 'new-energy'): ProgrammeConfigInput {
  const long = 3_650;
  return {
    timeScale,
    tiers: [{ code: 'A', amountFen: 800_000_000 }],
    eligibility: { fields: [field] },
    formalReview: { revisionDays: long },
    review: {
      rubric: [
        { code: 'innovation', label: 'Technical innovation', weight: 50, max: 10 },
        { code: 'team', label: 'Team strength', weight: 50, max: 10 },
      ],
      panelSize: 5,
      quorum: 3,
      passScore: 70,
      deadlineDays: long,
      replaceSilentAfterDays: long,
    },
    publicNotice: { workingDays: 1 },
    agreement: { signDays: long },
    finance: { approvalsRequired: 1 },
    tranches: [
      { code: 'T1', percent: 60, after: 'signing' },
      { code: 'T2', percent: 40, after: 'midterm' },
    ],
    milestones: [
      { code: 'midterm', label: 'mid-term check', monthsAfterSigning: 1, passScore: 60, graceDays: long },
      { code: 'final', label: 'final acceptance', monthsAfterSigning: 2, passScore: 60, graceDays: long, final: true },
    ],
  };
}

export interface FundRun {
  programmeId: string;
  caseIds: string[];
  /** Each case with its applicant's key. */
  cases: Array<{ id: string; key: string }>;
  /** Milliseconds of each successful action, by action. */
  latencies: Record<string, number[]>;
  /** Every successful action in the order sent: its case, when it left (ms since the first), how long it took. */
  trace: TracedAction[];
  /** Refused or failed calls by action and status (a bot acting on a stale view is refused, 409). */
  refusals: Record<string, number>;
  /** Successful actions (update round trips) per case. */
  actionsPerCase: number;
  /** From the call's closing (nothing moves before) until every case reached `until`. */
  wallMs: number;
  /** Cases left out because their submission came after the call had closed (a slow machine). */
  late: number;
  /** Polling calls the bots made to see what to do (reads, not counted as actions). */
  polls: number;
  finalStages: Record<string, number>;
  officerKey: string;
  financeKey: string;
  /** Reviewers' keys by user id. */
  reviewerKeys: Map<string, string>;
}

export interface TracedAction {
  caseId: string;
  action: string;
  atMs: number;
  ms: number;
}

export interface FundRunOptions {
  cases: number;
  /** Drive every case to this stage and stop (contention stops at 'agreement'); default: to the end. */
  until?: 'agreement' | 'expert_review';
  budgetFen?: number;
  reviewers?: number;
  /** The programme's time compression (BENCH_TIME_SCALE by default); 1 for cases left parked after the run. */
  timeScale?: number;
  timeoutMs?: number;
  label: string;
  /**
   * Called as the bots' work begins (users, keys and the programme made; the first draft next),
   * pauses (every case submitted; waiting for the call to close) and resumes (the call closed).
   */
  onPhase?: (phase: 'start' | 'pause' | 'resume') => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runFundCases(api: Api, adminKey: string, o: FundRunOptions): Promise<FundRun> {
  // Panels are drawn from every reviewer of the field: a field of its own keeps each run's panels
  // to the reviewers its bots hold the keys of.
  const field = `bench-${o.label}`;
  const officer = await api.user(adminKey, 'officer', `${o.label} officer`);
  const finance = await api.user(adminKey, 'finance', `${o.label} finance`);
  const reviewers = new Map<string, string>();
  for (let i = 0; i < (o.reviewers ?? 10); i++) {
    const r = await api.user(adminKey, 'reviewer', `${o.label} reviewer ${i}`, [field]);
    reviewers.set(r.id, r.key);
  }
  const applicants = [];
  for (let i = 0; i < o.cases; i++) applicants.push(await api.user(adminKey, 'applicant', `${o.label} lead ${i}`));
  // A key's first use in an API process verifies its secret with scrypt (~35 ms of CPU on the
  // thread pool; `npm run bench:auth`), later uses do not. The reviewers' first use was their timed
  // declaration, 150 of them in one wave; the applicants' was their draft and finance's its first
  // inbox, untimed but inside the bots' CPU windows, their scrypt (~1 s of CPU a round of 30) beside
  // the timed submissions. Each person is seen once first, as a running API would have seen them: a
  // key's first verification is a cost per person and process, not per case, and the bare baseline
  // authenticates nobody.
  await Promise.all([finance.key, ...reviewers.values(), ...applicants.map((a) => a.key)].map((key) => api.must(key, 'GET', '/me')));

  // The call closes once every case has been submitted (a case waits for it before formal review);
  // a case whose submission the machine was too slow to make in time is left out, and counted.
  const closesIn = 10_000 + o.cases * 400;
  const programme = await api.must(officer.key, 'POST', '/programmes', {
    code: `BENCH-${o.label}-${Date.now()}`,
    title: `Bench ${o.label}`,
    kind: 'talent_fund',
    budgetFen: o.budgetFen ?? o.cases * 800_000_000,
    opensAt: new Date(Date.now() - 60_000).toISOString(),
    closesAt: new Date(Date.now() + closesIn).toISOString(),
    config: benchFundConfig(o.timeScale ?? BENCH_TIME_SCALE, field),
  });

  o.onPhase?.('start');
  const t0 = Date.now();
  const latencies: Record<string, number[]> = {};
  const trace: TracedAction[] = [];
  const refusals: Record<string, number> = {};
  let polls = 0;
  const done = new Map<string, Set<string>>();
  let actions = 0;
  /** Runs an action once (per case and step); a refusal is counted and tried again next round. */
  const once = async (caseId: string, step: string, action: string, run: () => Promise<{ status: number; ms: number; body: any }>) => {
    const steps = done.get(caseId) ?? done.set(caseId, new Set()).get(caseId)!;
    if (steps.has(step)) return;
    steps.add(step); // no second attempt while this one is in flight
    const atMs = Date.now() - t0;
    const res = await run();
    if (res.status < 400) {
      (latencies[action] ??= []).push(res.ms);
      // A reviewer's steps are kept under "<case>:<reviewer>".
      trace.push({ caseId: caseId.split(':')[0]!, action, atMs, ms: res.ms });
      actions++;
    } else {
      steps.delete(step);
      refusals[`${action} ${res.status}${res.body?.code ? ` ${res.body.code}` : ''}`] = (refusals[`${action} ${res.status}${res.body?.code ? ` ${res.body.code}` : ''}`] ?? 0) + 1;
    }
  };

  const cases: Array<{ id: string; key: string }> = [];
  await Promise.all(
    applicants.map(async (a, i) => {
      const draft = await api.must(a.key, 'POST', '/applications', {
        programmeId: programme.id,
        title: `Bench case ${i}`,
        summary: 'A pilot line with a host enterprise in the zone.',
        field,
        requestedFen: 800_000_000,
        unitName: `Bench Unit ${i} Co., Ltd.`,
        members: ['Li Na'],
      });
      await once(draft.id, 'submit', 'submit', () => api.call(a.key, 'POST', `/applications/${draft.id}/submit`));
      if (done.get(draft.id)?.has('submit')) cases.push({ id: draft.id, key: a.key });
    }),
  );
  const late = applicants.length - cases.length;
  // Nothing moves before the call closes: throughput counts from then.
  const closedAt = t0 + closesIn;
  o.onPhase?.('pause');
  await sleep(Math.max(0, closedAt - Date.now()));
  o.onPhase?.('resume');
  log(`${o.label}: ${cases.length} cases submitted in ${Date.now() - t0} ms; the call closes ${Math.max(0, closesIn - (Date.now() - t0))} ms from now`);

  const finals = new Set<string>(FINAL_STAGES);
  const reached = (stage: string) => finals.has(stage) || stage === o.until;
  const deadline = Date.now() + (o.timeoutMs ?? 20 * 60_000);
  let lastReport = 0;
  let stageOf = new Map<string, { stage: string; waitingOn: string | null }>();
  for (;;) {
    polls++;
    const list = await api.must(officer.key, 'GET', `/applications?programmeId=${programme.id}&limit=200`);
    stageOf = new Map(list.items.map((a: { id: string; stage: string; next: { waitingOn: string | null } }) => [a.id, { stage: a.stage, waitingOn: a.next.waitingOn }]));
    for (let cursor = list.nextCursor; cursor; ) {
      polls++;
      const page = await api.must(officer.key, 'GET', `/applications?programmeId=${programme.id}&limit=200&cursor=${cursor}`);
      for (const a of page.items) stageOf.set(a.id, { stage: a.stage, waitingOn: a.next.waitingOn });
      cursor = page.nextCursor;
    }
    const stages = [...stageOf.values()].map((s) => s.stage);
    if (stages.length >= cases.length && cases.every((c) => reached(stageOf.get(c.id)?.stage ?? 'draft'))) break;
    if (Date.now() > deadline) throw new Error(`${o.label}: the cases did not finish in time: ${JSON.stringify(countBy(stages))}`);
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`${o.label}: ${((Date.now() - t0) / 1000).toFixed(0)} s  ${Object.entries(countBy(stages)).map(([s, n]) => `${s} ${n}`).join(', ')}`);
    }

    const work: Array<Promise<unknown>> = [];
    for (const c of cases) {
      const s = stageOf.get(c.id);
      if (!s || reached(s.stage)) continue;
      const url = `/applications/${c.id}`;
      switch (s.stage) {
        case 'formal_review':
          if (s.waitingOn === 'officer') work.push(once(c.id, 'formal', 'formal-review', () => api.call(officer.key, 'POST', `${url}/formal-review`, { decision: 'accept' })));
          break;
        case 'review_stalled':
          work.push(once(c.id, `restart-${Date.now() >> 12}`, 'stalled-review', () => api.call(officer.key, 'POST', `${url}/stalled-review`, { decision: 'restart', reason: 'A fresh panel' })));
          break;
        case 'defence':
          work.push(
            (async () => {
              for (const kind of ['defence', 'site_visit']) {
                await once(c.id, kind, 'assessments/record', () => api.call(officer.key, 'POST', `${url}/assessments/record`, { kind, outcome: 'pass', notes: 'Prototype demonstrated' }));
              }
            })(),
          );
          break;
        case 'committee':
          work.push(once(c.id, 'award', 'award', () => api.call(officer.key, 'POST', `${url}/award`, { decision: 'award', tier: 'A', amountFen: 800_000_000 })));
          break;
        case 'agreement':
          work.push(
            (async () => {
              await once(c.id, 'sign', 'sign', () => api.call(c.key, 'POST', `${url}/sign`, {}));
              await once(c.id, 'countersign', 'countersign', () => api.call(officer.key, 'POST', `${url}/countersign`, {}));
            })(),
          );
          break;
        case 'in_progress':
        case 'final_acceptance':
          work.push(
            (async () => {
              polls++;
              const view = await api.call(c.key, 'GET', url);
              const wf = view.body?.workflow;
              if (!wf) return;
              const check = runningMilestoneCheck(wf);
              if (check) {
                await once(c.id, `report-${check}`, 'milestone/report', () => api.call(c.key, 'POST', `${url}/milestone/report`, { summary: 'Progress as planned' }));
                await once(c.id, `score-${check}`, 'milestone/score', () => api.call(officer.key, 'POST', `${url}/milestone/score`, { score: 85 }));
              } else if (s.stage === 'final_acceptance' && wf.next.waitingOn === 'officer') {
                await once(c.id, 'final', 'final-decision', () => api.call(officer.key, 'POST', `${url}/final-decision`, { outcome: 'pass', reason: 'Targets met' }));
              }
            })(),
          );
          break;
        default:
          break;
      }
    }
    // Reviewers: what the read model says is theirs to declare and score.
    if (stages.includes('expert_review') && o.until !== 'expert_review') {
      for (const status of ['assigned', 'accepted'] as const) {
        polls++;
        const open = await api.must(officer.key, 'GET', `/review-assignments?programmeId=${programme.id}&status=${status}&limit=200`);
        for (const a of open.items as Array<{ caseId: string; reviewerId: string }>) {
          const key = reviewers.get(a.reviewerId);
          if (!key) continue;
          const url = `/applications/${a.caseId}/review`;
          work.push(
            (async () => {
              if (status === 'assigned') await once(`${a.caseId}:${a.reviewerId}`, 'declare', 'review/declaration', () => api.call(key, 'POST', `${url}/declaration`, { conflict: false }));
              await once(`${a.caseId}:${a.reviewerId}`, 'score', 'review/score', () =>
                api.call(key, 'POST', `${url}/score`, { scores: { innovation: 8, team: 8 }, comment: 'Credible team and market', recommendation: 'fund' }),
              );
            })(),
          );
        }
      }
    }
    // Finance approves released tranches.
    if (stages.includes('in_progress') || stages.includes('final_acceptance')) {
      polls++;
      const inbox = await api.must(finance.key, 'GET', '/inbox?kind=payment&limit=500');
      for (const item of inbox.items as Array<{ kind: string; caseId: string; ref: string }>) {
        if (item.kind === 'payment' && stageOf.has(item.caseId)) {
          work.push(once(item.caseId, `approve-${item.ref}`, 'tranches/approve', () => api.call(finance.key, 'POST', `/applications/${item.caseId}/tranches/${item.ref}/approve`, {})));
        }
      }
    }
    await Promise.all(work);
    await sleep(200);
  }
  const wallMs = Date.now() - closedAt;
  return {
    late,
    programmeId: programme.id,
    caseIds: cases.map((c) => c.id),
    cases,
    latencies,
    trace: trace.sort((a, b) => a.atMs - b.atMs),
    refusals,
    actionsPerCase: actions / cases.length,
    wallMs,
    polls,
    finalStages: countBy([...stageOf.values()].map((s) => s.stage)),
    officerKey: officer.key,
    financeKey: finance.key,
    reviewerKeys: reviewers,
  };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
