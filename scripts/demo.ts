// `npm run demo`: a realistic talent-fund programme, driven through the HTTP API by the people who
// use it: a call with 20 applications, a pool of reviewers, officers, two finance approvers and the
// public, through decisions, notices, tranches and milestone checks to close-out. The programme's
// own configuration compresses its durations: a day passes in 1/15 s, the 36 months of a project
// in about 72 s, and the people answer within the deadlines. Then a station programme (academician
// workstations and doctoral innovation stations) runs its first three-year term the same way.
//
// It starts its own embedded system in a fresh data directory (data/demo-<time>) on free ports;
// set DEMO_API_URL and DEMO_ADMIN_KEY to run it against a system that is already running, and
// DEMO_TIMING=1 to see how long each round of the bots takes.
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../infra/config';
import { startEmbedded } from '../infra/embedded';
import { createLogger } from '../infra/logger';
import { freePort } from '../infra/net';

const SCALE = 1_296_000; // one day in 1/15 s
const FIELDS = ['new-energy', 'advanced-manufacturing', 'biomedicine', 'electronics'];
const TIERS = { A: 800_000_000, B: 500_000_000, C: 200_000_000 } as const;

type Tier = keyof typeof TIERS;
interface Persona {
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

const PERSONAS: Persona[] = [
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

class Api {
  constructor(readonly base: string) {}
  async call(key: string | null, method: string, url: string, body?: unknown) {
    const res = await fetch(this.base + url, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  async must(key: string | null, method: string, url: string, body?: unknown) {
    const res = await this.call(key, method, url, body);
    if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

const yuan = (fen: number) => `${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })} yuan`;

async function main() {
  let stopSystem: (() => Promise<void>) | null = null;
  let base = process.env.DEMO_API_URL;
  let adminKey = process.env.DEMO_ADMIN_KEY;
  if (!base) {
    Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
    const dir = path.join('data', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const config = loadConfig({
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      DATA_DIR: dir,
      DATABASE_URL: `file:./${dir}/app.db`,
      PORT: String(await freePort()),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '',
    });
    const system = await startEmbedded(config, createLogger(config.LOG_LEVEL, 'demo'));
    stopSystem = system.stop;
    base = system.apiUrl;
    adminKey = system.adminKey!;
    console.log(`Demo system (data in ${dir}):\n  ${system.lines.join('\n  ')}\n`);
  }
  if (!adminKey) throw new Error('Set DEMO_ADMIN_KEY with DEMO_API_URL');
  const api = new Api(base);

  try {
    // DEMO_PART=fund or DEMO_PART=stations runs one half only.
    if (process.env.DEMO_PART !== 'stations') await run(api, adminKey);
    if (process.env.DEMO_PART !== 'fund') await runStations(api, adminKey);
  } finally {
    await stopSystem?.();
  }
}

async function run(api: Api, adminKey: string) {
  const stamp = Date.now();
  const user = async (role: string, name: string, expertise?: string[]) =>
    (await api.must(adminKey, 'POST', '/users', { email: `${role}.${name.replace(/\W/g, '').toLowerCase()}.${stamp}@demo.cn`, displayName: name, role, expertise }))
      .apiKey as string;

  console.log('Creating people: an officer, two finance approvers, 20 team leads, 28 reviewers');
  const officer = await user('officer', 'Officer Li');
  const finance = [await user('finance', 'Finance Zhao'), await user('finance', 'Finance Qian')];
  const reviewers: string[] = [];
  for (const field of FIELDS) for (let i = 1; i <= 7; i++) reviewers.push(await user('reviewer', `Prof ${field} ${i}`, [field]));

  const now = Date.now();
  const programme = await api.must(officer, 'POST', '/programmes', {
    code: `FS-DEMO-${stamp}`,
    title: 'Foshan hi-tech zone talent-team special guidance fund (demo)',
    kind: 'talent_fund',
    budgetFen: 9_700_000_000,
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 4_000).toISOString(),
    config: {
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
    },
  });
  console.log(`Programme ${programme.code}: budget ${yuan(programme.budgetFen)}; the call closes in 4 s\n`);

  const cases: Array<{ id: string; key: string; p: Persona; done: Set<string> }> = [];
  for (const [i, p] of PERSONAS.entries()) {
    const key = await user('applicant', `Lead ${i + 1}`);
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
    cases.push({ id: draft.id, key, p, done: new Set() });
  }
  console.log(`${cases.length} applications submitted; driving them to close-out...`);

  const started = Date.now();
  let lastReport = 0;
  const once = async (c: (typeof cases)[number], step: string, act: () => Promise<{ status: number }>) => {
    if (c.done.has(step)) return;
    const res = await act();
    if (res.status < 400) c.done.add(step);
  };
  const finalStages = new Set(['withdrawn', 'rejected', 'lapsed', 'cancelled', 'completed', 'closed_without_penalty', 'terminated', 'force_terminated']);

  const timing = process.env.DEMO_TIMING ? (label: string, t0: number) => console.log(`    ${label} ${Date.now() - t0} ms`) : () => undefined;
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
    if (Date.now() - started > 10 * 60_000) throw new Error('the demo did not finish within 10 minutes');
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      const by: Record<string, number> = {};
      for (const st of stageOf.values()) by[st] = (by[st] ?? 0) + 1;
      console.log(`  ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s  ${Object.entries(by).map(([st, n]) => `${st} ${n}`).join(', ')}`);
    }
    t0 = Date.now();

    await Promise.all(
      cases.map(async (c, i) => {
        const view = views[i]!.body;
        const wf = view.workflow;
        if (finalStages.has(view.stage)) return;
        if (view.stage === 'public_notice' && c.p.objection && !c.done.has('objection')) {
          return once(c, 'objection', () => api.call(null, 'POST', `/notices/${c.id}/objections`, { name: 'Chen Wei', idNumber: '11010519491231002X', contact: '13800000000', text: 'The lead is said to hold a similar award elsewhere' }));
        }
        if (view.stage === 'expert_review' && c.p.withdrawsInReview) {
          return once(c, 'withdraw', () => api.call(c.key, 'POST', `/applications/${c.id}/withdraw`, { reason: 'The team moved to another city' }));
        }
        if (view.stage === 'review_stalled') {
          return once(c, `restart-${Date.now() >> 12}`, () => api.call(officer, 'POST', `/applications/${c.id}/stalled-review`, { decision: 'restart', reason: 'A fresh panel' }));
        }
        if (view.stage === 'defence') {
          for (const kind of ['defence', 'site_visit']) {
            await once(c, kind, () => api.call(officer, 'POST', `/applications/${c.id}/assessments/record`, { kind, outcome: 'pass', notes: 'Prototype demonstrated' }));
          }
          return;
        }
        if (view.stage === 'committee') {
          return once(c, 'committee', () =>
            api.call(officer, 'POST', `/applications/${c.id}/award`, c.p.committeeRejects
              ? { decision: 'reject', reason: 'The committee funds two projects in this field this year' }
              : { decision: 'award', tier: c.p.tier, amountFen: TIERS[c.p.tier] }),
          );
        }
        if (!wf) return;
        const { p } = c;
        const attempt = wf.milestones.length;
        switch (view.stage) {
          case 'formal_review':
            if (wf.next.waitingOn !== 'officer') return;
            if (p.formal === 'reject') return once(c, 'formal', () => api.call(officer, 'POST', `/applications/${c.id}/formal-review`, { decision: 'reject', reason: 'Outside the industries the zone funds' }));
            if (p.formal === 'return' && !c.done.has('returned')) return once(c, 'returned', () => api.call(officer, 'POST', `/applications/${c.id}/formal-review`, { decision: 'return', reason: 'Add the budget breakdown' }));
            return once(c, `formal-${wf.revisionsUsed}`, () => api.call(officer, 'POST', `/applications/${c.id}/formal-review`, { decision: 'accept' }));
          case 'revision_requested':
            await api.call(c.key, 'PATCH', `/applications/${c.id}`, { summary: `${p.title}: budget breakdown attached.` });
            return once(c, 'resubmitted', () => api.call(c.key, 'POST', `/applications/${c.id}/resubmit`));
          case 'agreement':
            if (p.neverSigns) return;
            await once(c, 'sign', () => api.call(c.key, 'POST', `/applications/${c.id}/sign`, {}));
            return once(c, 'countersign', () => api.call(officer, 'POST', `/applications/${c.id}/countersign`, {}));
          case 'in_progress':
          case 'final_acceptance': {
            if (p.forceTerminate && wf.tranches[0]?.status === 'paid') {
              return once(c, 'force', () => api.call(officer, 'POST', `/applications/${c.id}/force-terminate`, { reason: 'Research records were falsified' }));
            }
            if (wf.active.milestoneCheck) {
              const check = wf.active.milestoneCheck as string;
              await once(c, `report-${check}`, () => api.call(c.key, 'POST', `/applications/${c.id}/milestone/report`, { summary: 'Progress as planned' }));
              const m = wf.milestones[attempt - 1];
              const score = m.code === 'midterm' ? (p.midterm?.[m.attempt - 1] ?? 78) : 84;
              return once(c, `score-${check}`, () => api.call(officer, 'POST', `/applications/${c.id}/milestone/score`, { score }));
            }
            if (view.stage === 'final_acceptance' && wf.next.waitingOn === 'officer') {
              const outcome = p.final ?? 'pass';
              return once(c, `final-${attempt}`, () => api.call(officer, 'POST', `/applications/${c.id}/final-decision`, { outcome, reason: outcome === 'pass' ? 'Targets met' : 'Closed by agreement without penalty' }));
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
    await Promise.all(
      (stages.has('expert_review') ? reviewers : []).map(async (key) => {
        const mine = await api.call(key, 'GET', '/reviews');
        const open = mine.body.items.filter((x: { status: string }) => x.status === 'assigned' || x.status === 'accepted');
        await Promise.all(
          open.map(async (a: { caseId: string; status: string }) => {
            const c = cases.find((x) => x.id === a.caseId)!;
            if (a.status === 'assigned') await api.call(key, 'POST', `/applications/${c.id}/review/declaration`, { conflict: false });
            const s = c.p.score;
            await api.call(key, 'POST', `/applications/${c.id}/review/score`, {
              scores: { innovation: s, team: s, market: Math.max(0, s - 1), fit: s },
              comment: s >= 7 ? 'Credible team and market' : 'Weak industrialisation plan',
              recommendation: s >= 7 ? 'fund' : 'do_not_fund',
            });
          }),
        );
      }),
    );
    timing('reviewers', t0);
    t0 = Date.now();
    // The officer resolves objections; finance approves released tranches, two people each.
    const objections = stages.has('public_notice') ? (await api.call(officer, 'GET', '/inbox')).body.items : [];
    for (const item of objections.filter((x: { kind: string }) => x.kind === 'objection')) {
      await api.call(officer, 'POST', `/applications/${item.caseId}/objections/${encodeURIComponent(item.ref)}/resolve`, { resolution: 'dismissed', reason: 'The other award is for a different project' });
    }
    for (const approver of stages.has('in_progress') || stages.has('final_acceptance') ? finance : []) {
      for (const item of (await api.call(approver, 'GET', '/inbox')).body.items.filter((x: { kind: string }) => x.kind === 'payment')) {
        await api.call(approver, 'POST', `/applications/${item.caseId}/tranches/${item.ref}/approve`, {});
      }
    }
    timing('officer and finance', t0);
    await new Promise((r) => setTimeout(r, 300));
  }

  const finals = await Promise.all(cases.map((c) => api.must(officer, 'GET', `/applications/${c.id}`)));
  console.log(`\nAll ${cases.length} cases closed in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  console.log('Summary by final stage');
  const by: Record<string, string[]> = {};
  for (const v of finals) (by[v.stage] ??= []).push(v.title);
  for (const [stage, titles] of Object.entries(by).sort()) console.log(`  ${stage.padEnd(24)} ${String(titles.length).padStart(2)}  ${titles.join('; ')}`);

  const ledger = await api.must(finance[0]!, 'GET', `/programmes/${programme.id}/ledger`);
  const t = ledger.totals;
  console.log('\nLedger');
  for (const [label, v] of [
    ['budget', t.budgetFen],
    ['committed', t.committedFen],
    ['paid', t.paidFen],
    ['returned', t.returnedFen],
    ['clawed back', t.clawedBackFen],
    ['outstanding commitments', t.outstandingCommitmentFen],
    ['remaining', t.remainingFen],
  ] as const) {
    console.log(`  ${label.padEnd(24)} ${yuan(v).padStart(24)}`);
  }
  console.log(`  ${ledger.entries.length} entries; running totals ${ledger.reconciled ? 'reconcile with the ledger' : `DO NOT reconcile: ${ledger.discrepancies.join('; ')}`}`);
  if (!ledger.reconciled) process.exitCode = 1;
}

interface StationPersona {
  name: string;
  type: 'academician_workstation' | 'doctoral_station';
  scores: number[]; // yearly evaluation scores, rectification re-checks included
  renew?: boolean;
  siteVisitFails?: boolean;
  /** Waits for the other academician workstations, so that the quota decides. */
  last?: boolean;
}

const STATIONS: StationPersona[] = [
  { name: 'Ruian auto-parts academician workstation', type: 'academician_workstation', scores: [90, 82, 86], renew: true },
  { name: 'Yueqing electrical doctoral innovation station', type: 'doctoral_station', scores: [70, 72, 75] },
  { name: 'Wenzhou valve academician workstation', type: 'academician_workstation', scores: [50, 70, 68, 66] },
  { name: 'Longwan shoes doctoral innovation station', type: 'doctoral_station', scores: [30] },
  { name: 'Lucheng optics academician workstation', type: 'academician_workstation', scores: [], siteVisitFails: true },
  { name: 'Ouhai pharma academician workstation', type: 'academician_workstation', scores: [], last: true },
];

async function runStations(api: Api, adminKey: string) {
  const stamp = Date.now();
  const user = async (role: string, name: string, expertise?: string[]) =>
    (await api.must(adminKey, 'POST', '/users', { email: `${role}.${name.replace(/\W/g, '').toLowerCase()}.${stamp}@demo.cn`, displayName: name, role, expertise }))
      .apiKey as string;
  console.log('\nA station programme: 2 academician workstations at most, 3-year terms, yearly evaluations');
  const officer = await user('officer', 'Officer Chen');
  const reviewers: string[] = [];
  for (let i = 1; i <= 5; i++) reviewers.push(await user('reviewer', `Prof station ${i}`, ['smart-manufacturing']));
  const now = Date.now();
  const programme = await api.must(officer, 'POST', '/programmes', {
    code: `WZ-DEMO-${stamp}`,
    title: 'Wenzhou academician and expert workstations (demo)',
    kind: 'workstation',
    budgetFen: 500_000_000,
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 3_600_000).toISOString(),
    config: {
      timeScale: SCALE,
      stationTypes: [
        { code: 'academician_workstation', label: 'academician workstation', residentExperts: { min: 1, max: 3, titles: ['academician'] }, termYears: 3, subsidyFen: 50_000_000, quota: 2 },
        { code: 'doctoral_station', label: 'doctoral innovation station', hostKinds: ['enterprise', 'institution'], residentExperts: { min: 2, max: 5, titles: ['doctor', 'postdoc'] }, termYears: 3, subsidyFen: 20_000_000, quota: 100 },
      ],
      review: {
        rubric: [
          { code: 'host', label: 'Host enterprise strength', weight: 40, max: 10 },
          { code: 'experts', label: 'Resident experts', weight: 40, max: 10 },
          { code: 'plan', label: 'Work plan', weight: 20, max: 10 },
        ],
        panelSize: 3,
        quorum: 2,
        passScore: 70,
        deadlineDays: 90,
        replaceSilentAfterDays: 30,
      },
      publicNotice: { workingDays: 5 },
      evaluation: { graceDays: 60, rectificationMonths: 6 },
      renewal: { applyWithinDaysBeforeEnd: 300 },
    },
  });

  const stations: Array<{ id: string; key: string; p: StationPersona; done: Set<string>; evals: number }> = [];
  for (const [i, p] of STATIONS.entries()) {
    const key = await user('applicant', `Host ${i + 1}`);
    const experts = [];
    const titles = p.type === 'academician_workstation' ? ['academician'] : ['doctor', 'doctor'];
    for (const [j, title] of titles.entries()) {
      experts.push((await api.must(officer, 'POST', '/experts', { name: `${title} ${i}-${j}`, title, field: 'smart-manufacturing' })).id);
    }
    const draft = await api.must(key, 'POST', '/stations', { programmeId: programme.id, type: p.type, name: p.name, field: 'smart-manufacturing', hostName: p.name.split(' ').slice(0, 2).join(' ') + ' Co., Ltd.', experts });
    await api.must(key, 'POST', `/stations/${draft.id}/submit`);
    stations.push({ id: draft.id, key, p, done: new Set(), evals: 0 });
  }
  console.log(`${stations.length} station applications submitted; driving them through their first term...`);

  const FINAL = new Set(['rejected', 'withdrawn', 'cancelled', 'revoked', 'expired']);
  const started = Date.now();
  let lastReport = 0;
  const once = async (s: (typeof stations)[number], step: string, act: () => Promise<{ status: number }>) => {
    if (s.done.has(step)) return;
    if ((await act()).status < 400) s.done.add(step);
  };
  for (;;) {
    const list = await api.must(officer, 'GET', `/stations?programmeId=${programme.id}&limit=200`);
    const rows = new Map<string, { stage: string; term: number }>(list.items.map((x: { id: string; stage: string; term: number }) => [x.id, x]));
    const settled = (s: (typeof stations)[number]) => FINAL.has(rows.get(s.id)!.stage) || (s.p.renew && rows.get(s.id)!.term >= 2);
    if (stations.every(settled)) break;
    if (Date.now() - started > 10 * 60_000) throw new Error('the station demo did not finish within 10 minutes');
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      const by: Record<string, number> = {};
      for (const r of rows.values()) by[r.stage] = (by[r.stage] ?? 0) + 1;
      console.log(`  ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s  ${Object.entries(by).map(([st, n]) => `${st} ${n}`).join(', ')}`);
    }
    const academiciansSettled = stations.filter((s) => s.p.type === 'academician_workstation' && !s.p.last).every((s) => rows.get(s.id)!.stage !== 'site_visit' && rows.get(s.id)!.stage !== 'public_notice' && rows.get(s.id)!.stage !== 'expert_panel' && rows.get(s.id)!.stage !== 'formal_check' && rows.get(s.id)!.stage !== 'submitted');
    await Promise.all(
      stations.map(async (s) => {
        const stage = rows.get(s.id)!.stage;
        if (settled(s)) return;
        if (stage === 'formal_check') return once(s, 'formal', () => api.call(officer, 'POST', `/stations/${s.id}/formal-check`, { decision: 'accept' }));
        if (stage === 'site_visit') {
          if (s.p.last && !academiciansSettled) return;
          return once(s, 'visit', () => api.call(officer, 'POST', `/stations/${s.id}/site-visit`, { outcome: s.p.siteVisitFails ? 'fail' : 'pass', notes: s.p.siteVisitFails ? 'No laboratory on site' : 'Laboratory and staff in place' }));
        }
        if (stage === 'panel_stalled') return once(s, `restart-${Date.now() >> 12}`, () => api.call(officer, 'POST', `/stations/${s.id}/stalled-review`, { decision: 'restart', reason: 'A fresh panel' }));
        if (stage === 'renewal_review') return once(s, 'renewal-decided', () => api.call(officer, 'POST', `/stations/${s.id}/renewal/decide`, { approve: true, reason: 'Excellent first term' }));
        if (stage !== 'established' && stage !== 'rectifying') return;
        const wf = (await api.call(officer, 'GET', `/stations/${s.id}`)).body.workflow;
        if (!wf) return;
        if (s.p.renew && !wf.renewal.appliedAt) {
          const r = await api.call(s.key, 'POST', `/stations/${s.id}/renewal`, {});
          if (r.status >= 400 && !/Renewal opens/.test(r.body?.detail ?? '')) console.log(`    renewal: ${r.status} ${r.body?.detail}`);
        }
        const check = wf.active.milestoneCheck as string | null;
        if (!check) return;
        await once(s, `report-${check}`, () => api.call(s.key, 'POST', `/stations/${s.id}/evaluation/report`, { summary: 'Joint patents and a new product line' }));
        const score = s.p.scores[wf.evaluations.length - 1] ?? 75;
        return once(s, `score-${check}`, () => api.call(officer, 'POST', `/stations/${s.id}/evaluation/score`, { score }));
      }),
    );
    await Promise.all(
      reviewers.map(async (key) => {
        const open = (await api.call(key, 'GET', '/reviews')).body.items.filter((x: { status: string; caseKind: string }) => x.caseKind === 'station' && (x.status === 'assigned' || x.status === 'accepted'));
        await Promise.all(
          open.map(async (a: { caseId: string; status: string }) => {
            if (a.status === 'assigned') await api.call(key, 'POST', `/stations/${a.caseId}/review/declaration`, { conflict: false });
            await api.call(key, 'POST', `/stations/${a.caseId}/review/score`, { scores: { host: 8, experts: 8, plan: 8 }, comment: 'A capable host', recommendation: 'fund' });
          }),
        );
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
  }

  console.log(`\nStations after ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  for (const s of stations) {
    const v = await api.must(officer, 'GET', `/stations/${s.id}`);
    const evals = (v.workflow?.evaluations ?? []).filter((e: { outcome: string | null }) => e.outcome).map((e: { year: number; outcome: string; score: number }) => `y${e.year} ${e.outcome} (${e.score})`);
    const why = v.workflow?.closedReason ? ` — ${v.workflow.closedReason}` : '';
    console.log(`  ${v.stage.padEnd(12)} term ${v.term}  ${s.p.name}${evals.length ? `: ${evals.join(', ')}` : ''}${why}`);
  }
  const ledger = await api.must(officer, 'GET', `/programmes/${programme.id}/ledger`);
  console.log(`  subsidies committed ${yuan(ledger.totals.committedFen)}, paid ${yuan(ledger.totals.paidFen)}; ledger ${ledger.reconciled ? 'reconciles' : 'DOES NOT reconcile'}`);
  if (!ledger.reconciled) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
