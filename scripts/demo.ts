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
import { Api, SCALE, runFundProgramme, yuan } from './simulation/fund-programme';

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
  const result = await runFundProgramme(api, adminKey);
  if (!result.ledger.reconciled) process.exitCode = 1;
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
