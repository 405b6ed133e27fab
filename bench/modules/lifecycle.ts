// 1. Lifecycle throughput: N talent-fund cases driven through the API from submission to close-out,
// against a bare workflow making as many update and activity round trips with empty bodies.
import { runFundCases } from '../lib/fund-bots';
import { meanHistoryCost } from '../lib/history';
import { log } from '../lib/http';
import { type BenchContext, type ModuleResult, fmt, ms } from '../lib/context';
import { pool, ratio, summarise } from '../lib/stats';

export async function lifecycle(ctx: BenchContext): Promise<ModuleResult> {
  const asked = ctx.quick ? 3 : 30;
  log(`lifecycle: ${asked} cases, submission to close-out`);
  const run = await runFundCases(ctx.api, ctx.info.adminKey, { cases: asked, label: 'lifecycle', reviewers: Math.max(8, Math.ceil(asked / 2)) });
  const n = run.cases.length;
  ctx.shared.lifecycleCaseIds = run.caseIds;
  const cost = await meanHistoryCost(ctx.temporal, run.caseIds.slice(0, 3));
  const byAction = Object.fromEntries(Object.entries(run.latencies).map(([a, v]) => [a, summarise(v)]));
  const all = Object.values(run.latencies).flat();
  const ours = summarise(all);
  const casesPerSecond = n / (run.wallMs / 1000);
  log(`lifecycle: ${n} cases in ${fmt(run.wallMs / 1000)} s (${fmt(casesPerSecond, 3)}/s); ${fmt(run.actionsPerCase)} actions and ${cost.activities} activities per case`);

  // The baseline: as many cases, each making the same number of update round trips (each running
  // its share of the same number of activities), over HTTP to a bare route on the same server.
  const updates = Math.round(run.actionsPerCase);
  const activities = Math.round(cost.activities);
  const steps: number[] = [];
  const t0 = Date.now();
  await pool(Array.from({ length: n }), n, async () => {
    const { id } = await ctx.bare.must(null, 'POST', '/bare/cases', { updates, activities });
    for (let i = 0; i < updates; i++) {
      const r = await ctx.bare.call(null, 'POST', `/bare/cases/${id}/step`);
      if (r.status >= 400) throw new Error(`bare step: ${r.status} ${JSON.stringify(r.body)}`);
      steps.push(r.ms);
    }
  });
  const bareWallMs = Date.now() - t0;
  const bare = summarise(steps);
  const bareCasesPerSecond = n / (bareWallMs / 1000);
  const busyRatio = ratio(ours.meanMs, bare.meanMs);
  log(`lifecycle: baseline ${n} bare cases in ${fmt(bareWallMs / 1000)} s; mean round trip ${ours.meanMs} ms vs ${bare.meanMs} ms bare`);

  return {
    rows: [
      {
        measure: `Lifecycle: cases per second (${n} cases${run.late ? `, ${run.late} more too late for the call` : ''}; from the call's closing to the last close-out, compressed timers included)`,
        figure: fmt(casesPerSecond, 3),
        baseline: `${fmt(bareCasesPerSecond, 3)} bare`,
        ratio: `${ratio(bareCasesPerSecond, casesPerSecond)}x slower`,
      },
      {
        measure: `Lifecycle: mean update round trip (${updates} per case, ${activities} activities)`,
        figure: ms(ours.meanMs),
        baseline: `${ms(bare.meanMs)} bare`,
        ratio: `${busyRatio}x`,
        target: '≤ 1.3x',
        met: busyRatio !== null && busyRatio <= 1.3,
      },
      { measure: 'Lifecycle: update round trip p50 / p95 / p99', figure: `${ms(ours.p50Ms)} / ${ms(ours.p95Ms)} / ${ms(ours.p99Ms)}`, baseline: `${ms(bare.p50Ms)} / ${ms(bare.p95Ms)} / ${ms(bare.p99Ms)} bare` },
      ...Object.entries(byAction).map(([action, s]) => ({
        measure: `Lifecycle: ${action} (n=${s.n}) p50 / p95 / p99`,
        figure: `${ms(s.p50Ms)} / ${ms(s.p95Ms)} / ${ms(s.p99Ms)}`,
        baseline: `${ms(bare.p50Ms)} / ${ms(bare.p95Ms)} / ${ms(bare.p99Ms)} bare`,
      })),
    ],
    data: {
      cases: n,
      late: run.late,
      wallMs: run.wallMs,
      casesPerSecond,
      actionsPerCase: run.actionsPerCase,
      historyPerCase: cost,
      polls: run.polls,
      refusals: run.refusals,
      finalStages: run.finalStages,
      roundTrip: ours,
      byAction,
      baseline: { updatesPerCase: updates, activitiesPerCase: activities, wallMs: bareWallMs, casesPerSecond: bareCasesPerSecond, roundTrip: bare },
      ratios: { throughput: ratio(bareCasesPerSecond, casesPerSecond), meanRoundTrip: busyRatio },
    },
  };
}
