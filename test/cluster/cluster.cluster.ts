// `npm run test:cluster`: the production topology from nothing (PostgreSQL, the Temporal server on
// it, two worker processes, two API processes; scripts/cluster.ts), then whole fund cases driven
// over HTTP through both APIs alternately. Mid-run one worker and one API are killed with SIGKILL;
// the others carry on, every case ends where its persona says, and the ledger reconciles with no
// payment made twice. The programme's own configuration compresses time (a day in 1/15 s).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Cluster, type ClusterProcess, startCluster } from '../../scripts/cluster';
import { PROJECT_ROOT } from '../../infra/tools';
import { runningMilestoneCheck } from '../../shared';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'programme-flow-cluster-'));
let cluster: Cluster;

beforeAll(async () => {
  const t0 = Date.now();
  cluster = await startCluster({
    dir,
    fastUnsafePostgres: true,
    // Test bots poll hard from one address; the limit itself has its own test.
    env: { RATE_LIMIT_PER_MINUTE: '1000000', NOTIFY_IDLE_MS: '500' },
  });
  console.log(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(cluster.timings)}\n  ${cluster.lines.join('\n  ')}`);
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
  if (process.env.KEEP_CLUSTER_DIR) console.log(`cluster state kept in ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

const SCALE = 1_296_000; // one day in 1/15 s
const TIERS = { A: 800_000_000, B: 500_000_000, C: 200_000_000 } as const;
type Tier = keyof typeof TIERS;

interface Persona {
  title: string;
  tier: Tier;
  score: number;
  formalReject?: boolean;
  committeeRejects?: boolean;
  final?: 'pass' | 'close';
  /** Where the case must end, and how much of its award is paid by then. */
  ends: string;
  paidPercent: number;
}

const PERSONAS: Persona[] = [
  { title: 'Solid-state battery pilot line', tier: 'A', score: 9, ends: 'completed', paidPercent: 100 },
  { title: 'Hydrogen fuel-cell stack', tier: 'B', score: 8, ends: 'completed', paidPercent: 100 },
  { title: 'Perovskite tandem modules', tier: 'C', score: 8, ends: 'completed', paidPercent: 100 },
  { title: 'Sodium-ion storage cabinets', tier: 'B', score: 9, ends: 'completed', paidPercent: 100 },
  { title: 'Recycled carbon-fibre panels', tier: 'C', score: 8, final: 'close', ends: 'closed_without_penalty', paidPercent: 100 },
  { title: 'Luxury serviced apartments', tier: 'C', score: 8, formalReject: true, ends: 'rejected', paidPercent: 0 },
  { title: 'AI inspection cameras', tier: 'B', score: 8, committeeRejects: true, ends: 'rejected', paidPercent: 0 },
  { title: 'Graphene heating film', tier: 'C', score: 5, ends: 'rejected', paidPercent: 0 },
];
const FINAL = new Set(['withdrawn', 'rejected', 'lapsed', 'cancelled', 'completed', 'closed_without_penalty', 'terminated', 'force_terminated']);

/**
 * A client of the whole topology: each request goes to the next API in turn; when an API does not
 * answer (killed), the same request goes to the next one, as a load balancer would do.
 */
class Apis {
  private next = 0;
  readonly served = new Map<string, number>();
  constructor(readonly apis: ClusterProcess[]) {}

  async call(key: string | null, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.apis.length * 3; attempt++) {
      const api = this.apis[this.next++ % this.apis.length]!;
      try {
        const res = await fetch(api.url + url, {
          method,
          headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
        const text = await res.text();
        this.served.set(api.name, (this.served.get(api.name) ?? 0) + 1);
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      } catch (err) {
        lastError = err; // connection refused or reset: that API is gone; try the next
      }
    }
    throw lastError;
  }

  async must(key: string | null, method: string, url: string, body?: unknown) {
    const res = await this.call(key, method, url, body);
    if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

/** Sum of a Prometheus metric's samples over the label sets that contain `labels` (e.g. `workflow_type="x"`). */
function metricSum(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+)$/);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}
const CASE_TASKS = ['temporal_workflow_task_execution_latency_count', 'workflow_type="applicationWorkflow"'] as const;

test('each worker serves the Temporal SDK metrics in Prometheus format', async () => {
  for (const w of cluster.workers) {
    const text = await scrape(w.metricsUrl!);
    expect(text).toMatch(/^# TYPE temporal_\w+ \w+$/m);
    // Pollers for the workflow and activity task queues: the worker is connected and polling.
    expect(metricSum(text, 'temporal_num_pollers')).toBeGreaterThan(0);
  }
  // The server's own metrics are Prometheus too (what operators scrape for the cluster side).
  expect(await scrape(cluster.temporal.metricsUrl)).toMatch(/^# TYPE \w+ \w+$/m);
});

test('cases run to their ends through both APIs while a worker and an API are killed mid-run', async () => {
  const [apiKilled, apiLeft] = cluster.apis as [ClusterProcess, ClusterProcess];
  const [workerKilled, workerLeft] = cluster.workers as [ClusterProcess, ClusterProcess];
  const api = new Apis(cluster.apis);
  const stamp = Date.now();
  let n = 0;
  const user = async (role: string, expertise?: string[]) =>
    (await api.must(cluster.adminKey, 'POST', '/users', { email: `${role}.${++n}.${stamp}@cluster.cn`, displayName: `${role} ${n}`, role, expertise })).apiKey as string;

  const officer = await user('officer');
  const finance = [await user('finance'), await user('finance')];
  const reviewers: string[] = [];
  for (let i = 0; i < 5; i++) reviewers.push(await user('reviewer', ['new-energy']));
  const applicants: string[] = [];
  for (let i = 0; i < PERSONAS.length; i++) applicants.push(await user('applicant'));

  const now = Date.now();
  const programme = await api.must(officer, 'POST', '/programmes', {
    code: `FS-CLUSTER-${stamp}`,
    title: 'Talent-team fund on the cluster',
    kind: 'talent_fund',
    budgetFen: 9_700_000_000,
    opensAt: new Date(now - 60_000).toISOString(),
    // Every application is submitted well before the call closes, even on a loaded machine.
    closesAt: new Date(now + 25_000).toISOString(),
    config: {
      timeScale: SCALE,
      tiers: Object.entries(TIERS).map(([code, amountFen]) => ({ code, amountFen })),
      eligibility: { fields: ['new-energy'] },
      // People answer within seconds; deadlines are long enough (1000 days: over a minute here)
      // that the pause a killed worker causes (its running activities time out after 30 s) never
      // lapses a case.
      formalReview: { revisionDays: 1000 },
      review: {
        rubric: [
          { code: 'innovation', label: 'Technical innovation', weight: 50, max: 10 },
          { code: 'team', label: 'Team strength', weight: 50, max: 10 },
        ],
        panelSize: 3,
        quorum: 2,
        passScore: 70,
        deadlineDays: 1000,
        replaceSilentAfterDays: 1000,
      },
      publicNotice: { workingDays: 7 },
      agreement: { signDays: 1000 },
      finance: { approvalsRequired: 2 },
      tranches: [
        { code: 'T1', percent: 60, after: 'signing' },
        { code: 'T2', percent: 40, after: 'midterm' },
      ],
      milestones: [
        { code: 'midterm', label: 'mid-term check', monthsAfterSigning: 6, passScore: 60, graceDays: 1000 },
        { code: 'final', label: 'final acceptance', monthsAfterSigning: 12, passScore: 60, graceDays: 1000, final: true },
      ],
    },
  });

  const cases: Array<{ id: string; key: string; p: Persona; done: Set<string> }> = await Promise.all(
    PERSONAS.map(async (p, i) => {
      const key = applicants[i]!;
      const draft = await api.must(key, 'POST', '/applications', {
        programmeId: programme.id,
        title: p.title,
        summary: `${p.title}: a team with a host enterprise in Foshan.`,
        field: 'new-energy',
        requestedFen: TIERS[p.tier],
        unitName: `Foshan ${p.title} Co., Ltd.`,
        members: ['Li Na', 'Zhou Qiang'],
      });
      await api.must(key, 'POST', `/applications/${draft.id}/submit`);
      return { id: draft.id, key, p, done: new Set<string>() };
    }),
  );

  const once = async (c: (typeof cases)[number], step: string, act: () => Promise<{ status: number }>) => {
    if (c.done.has(step)) return;
    if ((await act()).status < 400) c.done.add(step);
  };
  let killedAt: number | null = null;
  let workerKilledMetrics = '';
  let workerLeftTasksAtKill = 0;
  const servedBeforeKill = new Map<string, number>();
  const started = Date.now();
  const NEEDS_VIEW = new Set(['formal_review', 'agreement', 'in_progress', 'final_acceptance']);

  for (;;) {
    const list = await api.must(officer, 'GET', `/applications?programmeId=${programme.id}&limit=200`);
    const stageOf = new Map<string, string>(list.items.map((a: { id: string; stage: string }) => [a.id, a.stage]));
    if (cases.every((c) => FINAL.has(stageOf.get(c.id)!))) break;
    if (Date.now() - started > 12 * 60_000) throw new Error(`cases did not finish within 12 minutes: ${JSON.stringify([...stageOf.values()])}`);

    // Mid-run: once the first case is paid its first tranche (others are still in review, notice
    // or agreement), kill one worker and one API without warning.
    if (killedAt === null && [...stageOf.values()].some((s) => s === 'in_progress')) {
      workerKilledMetrics = await scrape(workerKilled.metricsUrl!);
      workerLeftTasksAtKill = metricSum(await scrape(workerLeft.metricsUrl!), ...CASE_TASKS);
      for (const [k, v] of api.served) servedBeforeKill.set(k, v);
      await Promise.all([workerKilled.kill('SIGKILL'), apiKilled.kill('SIGKILL')]);
      killedAt = Date.now();
      console.log(`killed ${workerKilled.name} and ${apiKilled.name} after ${((killedAt - started) / 1000).toFixed(1)} s; stages ${JSON.stringify(Object.fromEntries([...new Set(stageOf.values())].map((s) => [s, [...stageOf.values()].filter((x) => x === s).length])))}`);
    }

    await Promise.all(
      cases.map(async (c) => {
        const stage = stageOf.get(c.id)!;
        if (FINAL.has(stage)) return;
        const { p } = c;
        if (stage === 'defence') {
          for (const kind of ['defence', 'site_visit']) {
            await once(c, kind, () => api.call(officer, 'POST', `/applications/${c.id}/assessments/record`, { kind, outcome: 'pass', notes: 'Prototype demonstrated' }));
          }
          return;
        }
        if (stage === 'committee') {
          return once(c, 'committee', () =>
            api.call(officer, 'POST', `/applications/${c.id}/award`, p.committeeRejects
              ? { decision: 'reject', reason: 'Two projects in this field this year' }
              : { decision: 'award', tier: p.tier, amountFen: TIERS[p.tier] }),
          );
        }
        if (!NEEDS_VIEW.has(stage)) return;
        const view = (await api.call(officer, 'GET', `/applications/${c.id}`)).body;
        const wf = view?.workflow;
        if (!wf) return;
        switch (view.stage) {
          case 'formal_review':
            if (wf.next.waitingOn !== 'officer') return;
            return once(c, 'formal', () =>
              api.call(officer, 'POST', `/applications/${c.id}/formal-review`, p.formalReject ? { decision: 'reject', reason: 'Outside the zone’s industries' } : { decision: 'accept' }),
            );
          case 'agreement':
            await once(c, 'sign', () => api.call(c.key, 'POST', `/applications/${c.id}/sign`, {}));
            return once(c, 'countersign', () => api.call(officer, 'POST', `/applications/${c.id}/countersign`, {}));
          case 'in_progress':
          case 'final_acceptance': {
            const check = runningMilestoneCheck(wf);
            if (check) {
              await once(c, `report-${check}`, () => api.call(c.key, 'POST', `/applications/${c.id}/milestone/report`, { summary: 'Progress as planned' }));
              return once(c, `score-${check}`, () => api.call(officer, 'POST', `/applications/${c.id}/milestone/score`, { score: 80 }));
            }
            if (view.stage === 'final_acceptance' && wf.next.waitingOn === 'officer') {
              const outcome = p.final ?? 'pass';
              return once(c, 'final', () => api.call(officer, 'POST', `/applications/${c.id}/final-decision`, { outcome, reason: outcome === 'pass' ? 'Targets met' : 'Closed by agreement' }));
            }
            return;
          }
          default:
            return;
        }
      }),
    );
    // Reviewers declare no conflict and score; finance approves released tranches, two people each.
    await Promise.all(
      reviewers.map(async (key) => {
        const open = (await api.call(key, 'GET', '/reviews')).body.items.filter((x: { status: string }) => x.status === 'assigned' || x.status === 'accepted');
        for (const a of open as Array<{ caseId: string; status: string }>) {
          const c = cases.find((x) => x.id === a.caseId)!;
          if (a.status === 'assigned') await api.call(key, 'POST', `/applications/${c.id}/review/declaration`, { conflict: false });
          const s = c.p.score;
          await api.call(key, 'POST', `/applications/${c.id}/review/score`, { scores: { innovation: s, team: s }, comment: 'Scored on the cluster', recommendation: s >= 7 ? 'fund' : 'do_not_fund' });
        }
      }),
    );
    for (const approver of finance) {
      for (const item of (await api.call(approver, 'GET', '/inbox?kind=payment&limit=500')).body.items.filter((x: { kind: string }) => x.kind === 'payment')) {
        await api.call(approver, 'POST', `/applications/${item.caseId}/tranches/${item.ref}/approve`, {});
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(`all ${cases.length} cases ended ${((Date.now() - started) / 1000).toFixed(1)} s after submission; requests served ${JSON.stringify(Object.fromEntries(api.served))}`);

  // The kill happened mid-run, with work on both sides of it.
  expect(killedAt).not.toBeNull();
  expect(workerKilled.alive()).toBe(false);
  expect(apiKilled.alive()).toBe(false);
  expect(workerKilled.child.signalCode).toBe('SIGKILL');
  expect(apiKilled.child.signalCode).toBe('SIGKILL');
  // The killed worker had been executing tasks, and both APIs had served the bots before the kill.
  expect(metricSum(workerKilledMetrics, ...CASE_TASKS)).toBeGreaterThan(0);
  expect(servedBeforeKill.get(apiKilled.name) ?? 0).toBeGreaterThan(0);
  expect(servedBeforeKill.get(apiLeft.name) ?? 0).toBeGreaterThan(0);
  // The survivors carried on and are still up.
  expect(workerLeft.alive()).toBe(true);
  expect(apiLeft.alive()).toBe(true);
  expect((api.served.get(apiLeft.name) ?? 0) - (servedBeforeKill.get(apiLeft.name) ?? 0)).toBeGreaterThan(0);
  expect(metricSum(await scrape(workerLeft.metricsUrl!), ...CASE_TASKS)).toBeGreaterThan(workerLeftTasksAtKill);

  // Every case ended where its persona says.
  const finals = await Promise.all(cases.map((c) => api.must(officer, 'GET', `/applications/${c.id}`)));
  expect(finals.map((v) => [v.title, v.stage])).toEqual(cases.map((c) => [c.p.title, c.p.ends]));

  // The ledger reconciles; each tranche of each case is paid once, and only what was awarded.
  const ledger = await api.must(finance[0]!, 'GET', `/programmes/${programme.id}/ledger`);
  expect(ledger.discrepancies).toEqual([]);
  expect(ledger.reconciled).toBe(true);
  const payments = (ledger.entries as Array<{ kind: string; caseId: string; trancheCode: string; amountFen: number | string }>).filter((e) => e.kind === 'payment');
  const keys = payments.map((e) => `${e.caseId}/${e.trancheCode}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const c of cases) {
    const paid = payments.filter((e) => e.caseId === c.id).reduce((sum, e) => sum + Number(e.amountFen), 0);
    expect([c.p.title, paid]).toEqual([c.p.title, (TIERS[c.p.tier] * c.p.paidPercent) / 100]);
  }
  expect(Number(ledger.totals.paidFen)).toBe(cases.reduce((sum, c) => sum + (TIERS[c.p.tier] * c.p.paidPercent) / 100, 0));

  // The Temporal server kept every case in PostgreSQL.
  const url = (await run('bash', [path.join(PROJECT_ROOT, 'scripts', 'postgres.sh'), 'url', String(cluster.postgres.port), 'temporal'])).stdout.trim();
  const { stdout } = await run('psql', [url, '-XtAc', 'SELECT workflow_id FROM current_executions']);
  const stored = new Set(stdout.split('\n'));
  for (const c of cases) expect(stored.has(c.id)).toBe(true);
}, 900_000);
