// A talent-fund programme driven through the HTTP API by the people who use it: an officer opens a
// call, team leads apply, reviewers score, finance approves tranches, the public objects, until every
// case has closed. Each persona scripts one applicant's fate. `npm run demo` prints it; the chaos
// tests run it while they kill the worker, and check every case ends as its persona says.

import { runningMilestoneCheck } from '../../shared';

export const SCALE = 1_296_000; // one day in 1/15 s
export const FIELDS = ['new-energy', 'advanced-manufacturing', 'biomedicine', 'electronics'];
export const TIERS = { A: 800_000_000, B: 500_000_000, C: 200_000_000 } as const;

export type Tier = keyof typeof TIERS;
export interface Persona {
  title: string;
  field: string;
  tier: Tier;
  score: number; // what reviewers give, per criterion, out of 10
  formal?: 'reject' | 'return';
  committeeRejects?: boolean;
  neverSigns?: boolean;
  withdrawsInReview?: boolean;
  objection?: boolean;
  midterm?: number[]; // scores per attempt
  final?: 'pass' | 'close';
  forceTerminate?: boolean;
}

export const PERSONAS: Persona[] = [
  { title: 'Solid-state battery pilot line', field: 'new-energy', tier: 'A', score: 9, objection: true },
  { title: 'Hydrogen fuel-cell stack for buses', field: 'new-energy', tier: 'A', score: 9 },
  { title: 'Perovskite tandem solar modules', field: 'new-energy', tier: 'B', score: 8 },
  { title: 'Five-axis machining centre controller', field: 'advanced-manufacturing', tier: 'B', score: 8 },
  { title: 'Collaborative welding robots', field: 'advanced-manufacturing', tier: 'C', score: 8 },
  { title: 'Ceramic 3D printing for dental crowns', field: 'advanced-manufacturing', tier: 'C', score: 8 },
  { title: 'mRNA vaccine delivery lipids', field: 'biomedicine', tier: 'A', score: 9 },
  { title: 'Point-of-care sepsis test', field: 'biomedicine', tier: 'B', score: 8 },
  { title: 'Silicon carbide power modules', field: 'electronics', tier: 'A', score: 9 },
  { title: 'Micro-LED display drivers', field: 'electronics', tier: 'C', score: 8 },
  { title: 'Recycled carbon-fibre panels', field: 'advanced-manufacturing', tier: 'C', score: 8, final: 'close' },
  { title: 'Smart-grid edge controller', field: 'electronics', tier: 'C', score: 8, withdrawsInReview: true },
  { title: 'Luxury serviced apartments', field: 'real-estate', tier: 'C', score: 5, formal: 'reject' },
  { title: 'Wearable ECG patch', field: 'biomedicine', tier: 'B', score: 8, formal: 'return' },
  { title: 'Graphene heating film', field: 'new-energy', tier: 'C', score: 5 },
  { title: 'AI quality inspection cameras', field: 'electronics', tier: 'B', score: 8, committeeRejects: true },
  { title: 'Sodium-ion storage cabinets', field: 'new-energy', tier: 'B', score: 8, neverSigns: true },
  { title: 'Bio-based nylon from castor oil', field: 'biomedicine', tier: 'C', score: 8, midterm: [45, 72] },
  { title: 'Laser cladding repair service', field: 'advanced-manufacturing', tier: 'C', score: 8, midterm: [40, 50] },
  { title: 'Gene-sequencing reagent kits', field: 'biomedicine', tier: 'B', score: 8, forceTerminate: true },
];

export class Api {
  constructor(readonly base: string) {}
  async call(key: string | null, method: string, url: string, body?: unknown, idempotencyKey?: string) {
    let res: Response;
    try {
      res = await fetch(this.base + url, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      // fetch says only "fetch failed"; what failed is in its cause.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${method} ${url}: ${(err as Error).message}: ${cause?.code ?? ''} ${cause?.message ?? ''}`, { cause: err });
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  async must(key: string | null, method: string, url: string, body?: unknown) {
    const res = await this.call(key, method, url, body);
    if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** An answer in a few characters: its status, and its problem's code if refused. */
const answer = (res: { status: number; body?: { code?: string } }) => (res.status < 400 ? String(res.status) : `${res.status} ${res.body?.code ?? ''}`.trim());

export const yuan = (fen: number) => `${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })} yuan`;

export interface FundProgrammeOptions {
  personas?: Persona[];
  /** Adjusts the programme's configuration (deadlines, milestones...) before it is created. */
  configure?: (config: Record<string, any>) => void;
  log?: (line: string) => void;
  /** Gives up when the cases have not all closed by then; 10 minutes by default. */
  timeoutMs?: number;
  /** How long the call stays open for the personas to apply; 4 s by default. */
  callOpenMs?: number;
}

export interface FundProgrammeResult {
  programmeId: string;
  officer: string;
  finance: string[];
  cases: Array<{ id: string; persona: Persona; stage: string }>;
  // The ledger as GET /programmes/:id/ledger answers it.
  ledger: { totals: Record<string, number>; entries: Array<Record<string, unknown>>; reconciled: boolean; discrepancies: string[] };
}

/** Where a persona's case must end. */
export function expectedFinalStage(p: Persona): string {
  if (p.formal === 'reject' || p.committeeRejects || p.score < 7) return 'rejected';
  if (p.withdrawsInReview) return 'withdrawn';
  if (p.neverSigns) return 'lapsed';
  if (p.forceTerminate) return 'force_terminated';
  if (p.midterm && p.midterm.every((s) => s < 60)) return 'terminated';
  if (p.final === 'close') return 'closed_without_penalty';
  return 'completed';
}

export async function runFundProgramme(api: Api, adminKey: string, opts: FundProgrammeOptions = {}): Promise<FundProgrammeResult> {
  const personas = opts.personas ?? PERSONAS;
  const log = opts.log ?? console.log;
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const callOpenMs = opts.callOpenMs ?? 4_000;
  const stamp = Date.now();
  const user = async (role: string, name: string, expertise?: string[]) =>
    (await api.must(adminKey, 'POST', '/users', { email: `${role}.${name.replace(/\W/g, '').toLowerCase()}.${stamp}@demo.cn`, displayName: name, role, expertise }))
      .apiKey as string;

  log('Creating people: an officer, two finance approvers, 20 team leads, 28 reviewers');
  const officer = await user('officer', 'Officer Li');
  const finance = [await user('finance', 'Finance Zhao'), await user('finance', 'Finance Qian')];
  const reviewers: string[] = [];
  for (const field of FIELDS) for (let i = 1; i <= 7; i++) reviewers.push(await user('reviewer', `Prof ${field} ${i}`, [field]));

  const leads: string[] = [];
  for (const [i] of personas.entries()) leads.push(await user('applicant', `Lead ${i + 1}`));
  const now = Date.now();
  const config: Record<string, any> = {
    timeScale: SCALE,
    tiers: Object.entries(TIERS).map(([code, amountFen]) => ({ code, amountFen })),
    eligibility: { fields: FIELDS },
    formalReview: { revisionDays: 150 },
    review: {
      rubric: [
        { code: 'innovation', label: 'Technical innovation', weight: 30, max: 10 },
        { code: 'team', label: 'Team strength', weight: 30, max: 10 },
        { code: 'market', label: 'Industrialisation prospects', weight: 25, max: 10 },
        { code: 'fit', label: 'Fit with the zone’s industries', weight: 15, max: 10 },
      ],
      panelSize: 5,
      quorum: 3,
      passScore: 70,
      aggregation: 'trimmed_mean',
      deadlineDays: 90,
      replaceSilentAfterDays: 30,
    },
    publicNotice: { workingDays: 7 },
    agreement: { signDays: 180 },
    finance: { approvalsRequired: 2 },
    tranches: [
      { code: 'T1', percent: 60, after: 'signing' },
      { code: 'T2', percent: 40, after: 'midterm' },
    ],
    milestones: [
      { code: 'midterm', label: 'mid-term check', monthsAfterSigning: 18, passScore: 60, graceDays: 30 },
      { code: 'final', label: 'final acceptance', monthsAfterSigning: 36, passScore: 60, graceDays: 30, final: true },
    ],
    limits: { maxExtensions: 1, rectificationMonths: 6 },
  };
  opts.configure?.(config);
  const programme = await api.must(officer, 'POST', '/programmes', {
    code: `FS-DEMO-${stamp}`,
    title: 'Foshan hi-tech zone talent-team special guidance fund (demo)',
    kind: 'talent_fund',
    budgetFen: 9_700_000_000,
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + callOpenMs).toISOString(),
    config,
  });
  log(`Programme ${programme.code}: budget ${yuan(programme.budgetFen)}; the call closes in ${callOpenMs / 1000} s\n`);

  // The team leads have accounts already; they all apply as the call opens (it is short).
  // `review`: what the reviewer bots last saw of the case's panel, for a run that times out.
  const cases: Array<{ id: string; key: string; p: Persona; done: Set<string>; tries: Map<string, { key: number; unknown: number }>; review?: string }> = [];
  const submitted = personas.map(async (p, i) => {
    const key = leads[i]!;
    const draft = await api.must(key, 'POST', '/applications', {
      programmeId: programme.id,
      title: p.title,
      summary: `${p.title}: a team of ${3 + (i % 4)} with a host enterprise in Foshan.`,
      field: p.field,
      requestedFen: TIERS[p.tier],
      unitName: `Foshan ${p.title.split(' ')[0]} Technology Co., Ltd.`,
      members: [`Member ${i}a`, `Member ${i}b`],
    });
    await api.must(key, 'POST', `/applications/${draft.id}/submit`);
    return { id: draft.id, key, p, done: new Set<string>(), tries: new Map<string, { key: number; unknown: number }>() };
  });
  cases.push(...(await Promise.all(submitted)));
  log(`${cases.length} applications submitted; driving them to close-out...`);

  const started = Date.now();
  let lastReport = 0;
  // Each step once, as a careful client does it: an answer that is not known yet (503: the case did
  // not answer in time) is asked again with the same Idempotency-Key, which reaches the first
  // attempt's update; a refusal (4xx, kept for its key) is tried again later under a new key, and
  // so is an answer still unknown after three tries (the workflow's own rules refuse a repeat).
  const once = async (c: (typeof cases)[number], step: string, act: (idempotencyKey: string) => Promise<{ status: number; body?: { code?: string } }>) => {
    if (c.done.has(step)) return;
    const tries = c.tries.get(step) ?? { key: 0, unknown: 0 };
    c.tries.set(step, tries);
    const res = await act(`${c.id}:${step}:${tries.key}`);
    if (res.status < 400) c.done.add(step);
    else if (res.status >= 500 || res.body?.code === 'IdempotencyKeyInProgress') {
      if (++tries.unknown >= 3) Object.assign(tries, { key: tries.key + 1, unknown: 0 });
    } else Object.assign(tries, { key: tries.key + 1, unknown: 0 });
  };
  const finalStages = new Set(['withdrawn', 'rejected', 'lapsed', 'cancelled', 'completed', 'closed_without_penalty', 'terminated', 'force_terminated']);

  const timing = process.env.DEMO_TIMING ? (label: string, t0: number) => log(`    ${label} ${Date.now() - t0} ms`) : () => undefined;
  // Stages come from the read model (one list call); the live workflow view only for the cases
  // that need it now, so the bots add little load of their own.
  const NEEDS_VIEW = new Set(['formal_review', 'revision_requested', 'agreement', 'in_progress', 'final_acceptance']);
  for (;;) {
    let t0 = Date.now();
    const list = await api.must(officer, 'GET', `/applications?programmeId=${programme.id}&limit=200`);
    const stageOf = new Map<string, string>(list.items.map((a: { id: string; stage: string }) => [a.id, a.stage]));
    const views = await Promise.all(
      cases.map(async (c) =>
        NEEDS_VIEW.has(stageOf.get(c.id)!) ? api.call(officer, 'GET', `/applications/${c.id}`) : { status: 200, body: { stage: stageOf.get(c.id), workflow: null } },
      ),
    );
    timing('views', t0);
    const stages = new Set(stageOf.values());
    if ([...stages].every((st) => finalStages.has(st))) break;
    if (Date.now() - started > timeoutMs) {
      // Which cases are stuck, where, and what their bots last did: the first thing to ask of a run that timed out.
      const open = cases
        .filter((c) => !finalStages.has(stageOf.get(c.id)!))
        .map((c) => `${c.p.title} (${c.id}): ${stageOf.get(c.id)}, steps done ${[...c.done].join(' ') || 'none'}${c.review ? `; reviewers last: ${c.review}` : ''}`);
      throw new Error(`the programme did not finish within ${timeoutMs / 1000} s; still open: ${open.join('; ')}`);
    }
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      const by: Record<string, number> = {};
      for (const st of stageOf.values()) by[st] = (by[st] ?? 0) + 1;
      log(`  ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s  ${Object.entries(by).map(([st, n]) => `${st} ${n}`).join(', ')}`);
    }
    t0 = Date.now();

    await Promise.all(
      cases.map(async (c, i) => {
        const view = views[i]!.body;
        const wf = view.workflow;
        if (finalStages.has(view.stage)) return;
        if (view.stage === 'public_notice' && c.p.objection && !c.done.has('objection')) {
          return once(c, 'objection', (k) => api.call(null, 'POST', `/notices/${c.id}/objections`, { name: 'Chen Wei', idNumber: '11010519491231002X', contact: '13800000000', text: 'The lead is said to hold a similar award elsewhere' }, k));
        }
        if (view.stage === 'expert_review' && c.p.withdrawsInReview) {
          return once(c, 'withdraw', (k) => api.call(c.key, 'POST', `/applications/${c.id}/withdraw`, { reason: 'The team moved to another city' }, k));
        }
        if (view.stage === 'review_stalled') {
          return once(c, `restart-${Date.now() >> 12}`, (k) => api.call(officer, 'POST', `/applications/${c.id}/stalled-review`, { decision: 'restart', reason: 'A fresh panel' }, k));
        }
        if (view.stage === 'defence') {
          for (const kind of ['defence', 'site_visit']) {
            await once(c, kind, (k) => api.call(officer, 'POST', `/applications/${c.id}/assessments/record`, { kind, outcome: 'pass', notes: 'Prototype demonstrated' }, k));
          }
          return;
        }
        if (view.stage === 'committee') {
          return once(c, 'committee', (k) =>
            api.call(officer, 'POST', `/applications/${c.id}/award`, c.p.committeeRejects
              ? { decision: 'reject', reason: 'The committee funds two projects in this field this year' }
              : { decision: 'award', tier: c.p.tier, amountFen: TIERS[c.p.tier] }, k),
          );
        }
        if (!wf) return;
        const { p } = c;
        const attempt = wf.milestones.length;
        switch (view.stage) {
          case 'formal_review':
            if (wf.next.waitingOn !== 'officer') return;
            if (p.formal === 'reject') return once(c, 'formal', (k) => api.call(officer, 'POST', `/applications/${c.id}/formal-review`, { decision: 'reject', reason: 'Outside the industries the zone funds' }, k));
            if (p.formal === 'return' && !c.done.has('returned')) return once(c, 'returned', (k) => api.call(officer, 'POST', `/applications/${c.id}/formal-review`, { decision: 'return', reason: 'Add the budget breakdown' }, k));
            return once(c, `formal-${wf.revisionsUsed}`, (k) => api.call(officer, 'POST', `/applications/${c.id}/formal-review`, { decision: 'accept' }, k));
          case 'revision_requested':
            await api.call(c.key, 'PATCH', `/applications/${c.id}`, { summary: `${p.title}: budget breakdown attached.` });
            return once(c, 'resubmitted', (k) => api.call(c.key, 'POST', `/applications/${c.id}/resubmit`, undefined, k));
          case 'agreement':
            if (p.neverSigns) return;
            await once(c, 'sign', (k) => api.call(c.key, 'POST', `/applications/${c.id}/sign`, {}, k));
            return once(c, 'countersign', (k) => api.call(officer, 'POST', `/applications/${c.id}/countersign`, {}, k));
          case 'in_progress':
          case 'final_acceptance': {
            if (p.forceTerminate) {
              // Terminated once its first tranche is paid, with no milestone reported meanwhile: else the
              // team's reports could race finance's approvals to the final acceptance.
              if (wf.tranches[0]?.status !== 'paid') return;
              return once(c, 'force', (k) => api.call(officer, 'POST', `/applications/${c.id}/force-terminate`, { reason: 'Research records were falsified' }, k));
            }
            const check = runningMilestoneCheck(wf);
            if (check) {
              await once(c, `report-${check}`, (k) => api.call(c.key, 'POST', `/applications/${c.id}/milestone/report`, { summary: 'Progress as planned' }, k));
              const m = wf.milestones[attempt - 1];
              const score = m.code === 'midterm' ? (p.midterm?.[m.attempt - 1] ?? 78) : 84;
              return once(c, `score-${check}`, (k) => api.call(officer, 'POST', `/applications/${c.id}/milestone/score`, { score }, k));
            }
            if (view.stage === 'final_acceptance' && wf.next.waitingOn === 'officer') {
              const outcome = p.final ?? 'pass';
              return once(c, `final-${attempt}`, (k) => api.call(officer, 'POST', `/applications/${c.id}/final-decision`, { outcome, reason: outcome === 'pass' ? 'Targets met' : 'Closed by agreement without penalty' }, k));
            }
            return;
          }
          default:
            return;
        }
      }),
    );

    timing('cases', t0);
    t0 = Date.now();
    // Reviewers: declare no conflict, then score (the persona decides how well), all at once.
    const seen = new Map<string, string[]>();
    await Promise.all(
      (stages.has('expert_review') ? reviewers : []).map(async (key) => {
        const mine = await api.call(key, 'GET', '/reviews');
        const open = mine.body.items.filter((x: { status: string }) => x.status === 'assigned' || x.status === 'accepted');
        await Promise.all(
          open.map(async (a: { caseId: string; status: string }) => {
            const c = cases.find((x) => x.id === a.caseId)!;
            // The persona withdraws during review: its panel leaves it be, or a withdrawal that
            // could not get through at once (a worker restarting) would find the review over.
            if (c.p.withdrawsInReview) return;
            const answers = [a.status];
            if (a.status === 'assigned') answers.push(answer(await api.call(key, 'POST', `/applications/${c.id}/review/declaration`, { conflict: false })));
            const s = c.p.score;
            const scored = await api.call(key, 'POST', `/applications/${c.id}/review/score`, {
              scores: { innovation: s, team: s, market: Math.max(0, s - 1), fit: s },
              comment: s >= 7 ? 'Credible team and market' : 'Weak industrialisation plan',
              recommendation: s >= 7 ? 'fund' : 'do_not_fund',
            });
            answers.push(answer(scored));
            seen.set(c.id, seen.get(c.id) ?? []).get(c.id)!.push(answers.join(' '));
          }),
        );
      }),
    );
    for (const c of cases) {
      const seats = seen.get(c.id);
      if (stageOf.get(c.id) === 'expert_review') c.review = seats ? `${seats.length} open seats (${seats.join(', ')})` : 'no open seat';
    }
    timing('reviewers', t0);
    t0 = Date.now();
    // The officer resolves objections; finance approves released tranches, two people each.
    const objections = stages.has('public_notice') ? (await api.call(officer, 'GET', '/inbox?kind=objection&limit=500')).body.items : [];
    for (const item of objections.filter((x: { kind: string }) => x.kind === 'objection')) {
      await api.call(officer, 'POST', `/applications/${item.caseId}/objections/${encodeURIComponent(item.ref)}/resolve`, { resolution: 'dismissed', reason: 'The other award is for a different project' });
    }
    for (const approver of stages.has('in_progress') || stages.has('final_acceptance') ? finance : []) {
      for (const item of (await api.call(approver, 'GET', '/inbox?kind=payment&limit=500')).body.items.filter((x: { kind: string }) => x.kind === 'payment')) {
        await api.call(approver, 'POST', `/applications/${item.caseId}/tranches/${item.ref}/approve`, {});
      }
    }
    timing('officer and finance', t0);
    await new Promise((r) => setTimeout(r, 300));
  }

  const finals = await Promise.all(cases.map((c) => api.must(officer, 'GET', `/applications/${c.id}`)));
  log(`\nAll ${cases.length} cases closed in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  log('Summary by final stage');
  const by: Record<string, string[]> = {};
  for (const v of finals) (by[v.stage] ??= []).push(v.title);
  for (const [stage, titles] of Object.entries(by).sort()) log(`  ${stage.padEnd(24)} ${String(titles.length).padStart(2)}  ${titles.join('; ')}`);

  const ledger = await api.must(finance[0]!, 'GET', `/programmes/${programme.id}/ledger`);
  const t = ledger.totals;
  log('\nLedger');
  for (const [label, v] of [
    ['budget', t.budgetFen],
    ['committed', t.committedFen],
    ['paid', t.paidFen],
    ['returned', t.returnedFen],
    ['clawed back', t.clawedBackFen],
    ['outstanding commitments', t.outstandingCommitmentFen],
    ['remaining', t.remainingFen],
  ] as const) {
    log(`  ${label.padEnd(24)} ${yuan(v).padStart(24)}`);
  }
  log(`  ${ledger.entries.length} entries; running totals ${ledger.reconciled ? 'reconcile with the ledger' : `DO NOT reconcile: ${ledger.discrepancies.join('; ')}`}`);
  return {
    programmeId: programme.id,
    finance,
    officer,
    cases: cases.map((c, i) => ({ id: c.id, persona: c.p, stage: finals[i]!.stage as string })),
    ledger,
  };
}
