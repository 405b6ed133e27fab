// 1. Lifecycle throughput: N talent-fund cases driven through the API from submission to close-out,
// against a bare workflow making as many update and activity round trips with empty bodies.
import { type TracedAction, runFundCases } from '../lib/fund-bots';
import { meanHistoryCost } from '../lib/history';
import { log } from '../lib/http';
import { type BenchContext, type ModuleResult, fmt, ms } from '../lib/context';
import { type CpuParts, cpuNow, cpuPer, cpuSpent, partsInOrder, sumParts } from '../lib/cpu';
import { pool, ratio, summarise } from '../lib/stats';

export async function lifecycle(ctx: BenchContext): Promise<ModuleResult> {
  const asked = ctx.quick ? 3 : 30;
  log(`lifecycle: ${asked} cases, submission to close-out`);
  // CPU is counted while the bots work, not while they wait for the call to close.
  const at: Partial<Record<'start' | 'pause' | 'resume', CpuParts | null>> = {};
  const run = await runFundCases(ctx.api, ctx.info.adminKey, {
    cases: asked,
    label: 'lifecycle',
    reviewers: Math.max(8, Math.ceil(asked / 2)),
    onPhase: (phase) => (at[phase] = cpuNow(ctx.info.pid)),
  });
  const cpu = sumParts(cpuSpent(at.start ?? null, at.pause ?? null), cpuSpent(at.resume ?? null, cpuNow(ctx.info.pid)));
  const n = run.cases.length;
  ctx.shared.lifecycleCaseIds = run.caseIds;
  const cost = await meanHistoryCost(ctx.temporal, run.caseIds.slice(0, 3));
  const byAction = Object.fromEntries(Object.entries(run.latencies).map(([a, v]) => [a, summarise(v)]));
  const all = Object.values(run.latencies).flat();
  const ours = summarise(all);
  const casesPerSecond = n / (run.wallMs / 1000);
  log(`lifecycle: ${n} cases in ${fmt(run.wallMs / 1000)} s (${fmt(casesPerSecond, 3)}/s); ${fmt(run.actionsPerCase)} actions, ${cost.activities} activities and ${cost.localActivities} local activities per case`);

  // The baseline: as many cases, each making the same number of update round trips (each running
  // its share of the same number of activities and local activities), over HTTP to a bare route on
  // the same server.
  const updates = Math.round(run.actionsPerCase);
  const activities = Math.round(cost.activities);
  const localActivities = Math.round(cost.localActivities);
  const steps: number[] = [];
  const bareCpuAtStart = cpuNow(ctx.info.pid);
  const t0 = Date.now();
  await pool(Array.from({ length: n }), n, async () => {
    const { id } = await ctx.bare.must(null, 'POST', '/bare/cases', { updates, activities, localActivities });
    for (let i = 0; i < updates; i++) {
      const r = await ctx.bare.call(null, 'POST', `/bare/cases/${id}/step`);
      if (r.status >= 400) throw new Error(`bare step: ${r.status} ${JSON.stringify(r.body)}`);
      steps.push(r.ms);
    }
  });
  const bareWallMs = Date.now() - t0;
  const bareCpu = cpuSpent(bareCpuAtStart, cpuNow(ctx.info.pid));
  // CPU per round trip, by part: the bots' run from its first draft to its last close-out, less the
  // wait for the call to close (the bots' polls and the notification dispatcher included), against
  // the closed-loop baseline.
  const cpuPerTrip = cpu && bareCpu ? { ours: cpuPer(cpu, all.length), bare: cpuPer(bareCpu, steps.length) } : null;
  const cpuRatio = cpuPerTrip ? ratio(cpuPerTrip.ours.total, cpuPerTrip.bare.total) : null;
  if (cpuPerTrip) log(`lifecycle: CPU per round trip ${cpuPerTrip.ours.total} ms vs ${cpuPerTrip.bare.total} ms bare (${cpuRatio}x)`);
  const bare = summarise(steps);
  const bareCasesPerSecond = n / (bareWallMs / 1000);
  const busyRatio = ratio(ours.meanMs, bare.meanMs);
  log(`lifecycle: baseline ${n} bare cases in ${fmt(bareWallMs / 1000)} s; mean round trip ${ours.meanMs} ms vs ${bare.meanMs} ms bare`);

  // A second baseline: the same calls at the same moments. The bots act in waves (150 reviewers'
  // declarations leave together), where the closed-loop baseline above keeps one call per case in
  // flight. Not the target's: ours against it moved between 1.05x and 1.42x over three runs of the
  // same system code (2.23x and 0.83x with an earlier replay that sent all of a case's calls to one
  // bare workflow; bench/README.md), where against the closed loop it stayed within 1.47-1.65x.
  const perUpdate = (k: number) => k / Math.max(1, cost.updates);
  const replay = await replayOnBare(ctx, run.trace, perUpdate(cost.activities), perUpdate(cost.localActivities));
  const replayed = summarise(replay.steps);
  const replayRatio = ratio(ours.meanMs, replayed.meanMs);
  log(`lifecycle: the same ${replay.steps.length} calls replayed on bare workflows at the bots' moments in ${fmt(replay.wallMs / 1000)} s; mean round trip ${ours.meanMs} ms vs ${replayed.meanMs} ms bare`);

  return {
    rows: [
      {
        measure: `Lifecycle: cases per second (${n} cases${run.late ? `, ${run.late} more too late for the call` : ''}; from the call's closing to the last close-out, compressed timers included)`,
        figure: fmt(casesPerSecond, 3),
        baseline: `${fmt(bareCasesPerSecond, 3)} bare`,
        ratio: `${ratio(bareCasesPerSecond, casesPerSecond)}x slower`,
      },
      {
        measure: `Lifecycle: mean update round trip (${updates} per case, ${activities} activities, ${localActivities} local activities)`,
        figure: ms(ours.meanMs),
        baseline: `${ms(bare.meanMs)} bare`,
        ratio: `${busyRatio}x`,
        target: '≤ 1.3x',
        met: busyRatio !== null && busyRatio <= 1.3,
      },
      ...(cpuPerTrip
        ? [
            {
              measure:
                "Lifecycle: CPU per update round trip: the system process's main thread (API, activities, database) + its other threads (workflow sandbox, V8 helpers) + Temporal Core's threads + the Temporal server + the bots",
              figure: `${cpuParts(cpuPerTrip.ours)} = ${fmt(cpuPerTrip.ours.total)} ms`,
              baseline: `${cpuParts(cpuPerTrip.bare)} = ${fmt(cpuPerTrip.bare.total)} ms bare`,
              ratio: `${cpuRatio}x`,
            },
          ]
        : []),
      { measure: 'Lifecycle: update round trip p50 / p95 / p99', figure: `${ms(ours.p50Ms)} / ${ms(ours.p95Ms)} / ${ms(ours.p99Ms)}`, baseline: `${ms(bare.p50Ms)} / ${ms(bare.p95Ms)} / ${ms(bare.p99Ms)} bare` },
      {
        measure: 'Lifecycle: mean update round trip, against the same calls replayed on bare workflows at the moments the bots sent them (one bare workflow for each of a case\'s: its own and its review round\'s)',
        figure: ms(ours.meanMs),
        baseline: `${ms(replayed.meanMs)} / p99 ${ms(replayed.p99Ms)} bare`,
        ratio: `${replayRatio}x`,
      },
      ...Object.entries(byAction).map(([action, s]) => {
        const same = summarise(replay.byAction[action] ?? []);
        return {
          measure: `Lifecycle: ${action} (n=${s.n}) p50 / p95 / p99`,
          figure: `${ms(s.p50Ms)} / ${ms(s.p95Ms)} / ${ms(s.p99Ms)}`,
          baseline: `${ms(same.p50Ms)} / ${ms(same.p95Ms)} / ${ms(same.p99Ms)} bare, replayed`,
          ratio: `${ratio(s.meanMs, same.meanMs)}x (mean)`,
        };
      }),
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
      baseline: { updatesPerCase: updates, activitiesPerCase: activities, localActivitiesPerCase: localActivities, wallMs: bareWallMs, casesPerSecond: bareCasesPerSecond, roundTrip: bare },
      replay: { calls: replay.steps.length, wallMs: replay.wallMs, idleCutMs: replay.idleCutMs, roundTrip: replayed, byAction: Object.fromEntries(Object.entries(replay.byAction).map(([a, v]) => [a, summarise(v)])) },
      cpuPerRoundTripMs: cpuPerTrip,
      ratios: { throughput: ratio(bareCasesPerSecond, casesPerSecond), meanRoundTrip: busyRatio, meanRoundTripReplayed: replayRatio, cpuPerRoundTrip: cpuRatio },
    },
  };
}

const cpuParts = (p: CpuParts) => partsInOrder(p).map((v) => fmt(v)).join(' + ');

/** Longest stretch with no call in flight that a replay keeps (the wait for the call to close, and the compressed timers, are cut to it). */
const REPLAY_IDLE_MS = 1_000;

/** The workflow of a case a call goes to: its review round's, or the case's own (its milestone checks' too). */
function targetOf(t: TracedAction): string {
  const child = t.action.startsWith('review/') ? 'round' : 'case';
  return `${t.caseId}:${child}`;
}

/**
 * Sends the bots' calls again to bare workflows (one for each workflow the calls went to: a case's and
 * its review round's; each taking as many updates as that one did, each
 * running its share of the activities and local activities), each call at the moment it left in the bots' run, whether
 * or not the calls before it have answered. Stretches where none of the bots' calls was in flight
 * are cut to REPLAY_IDLE_MS.
 */
async function replayOnBare(ctx: BenchContext, trace: TracedAction[], activitiesPerUpdate: number, localActivitiesPerUpdate: number) {
  const perTarget = new Map<string, number>();
  for (const t of trace) perTarget.set(targetOf(t), (perTarget.get(targetOf(t)) ?? 0) + 1);
  const bareIds = new Map<string, string>();
  await pool([...perTarget], 8, async ([target, updates]) => {
    const { id } = await ctx.bare.must(null, 'POST', '/bare/cases', {
      updates,
      activities: Math.round(updates * activitiesPerUpdate),
      localActivities: Math.round(updates * localActivitiesPerUpdate),
    });
    bareIds.set(target, id);
  });

  let cut = 0;
  let busyUntil = trace[0]?.atMs ?? 0;
  const schedule = trace.map((t) => {
    if (t.atMs - busyUntil > REPLAY_IDLE_MS) cut += t.atMs - busyUntil - REPLAY_IDLE_MS;
    busyUntil = Math.max(busyUntil, t.atMs + t.ms);
    return { ...t, atMs: t.atMs - cut };
  });
  const steps: number[] = [];
  const byAction: Record<string, number[]> = {};
  const t0 = Date.now();
  await Promise.all(
    schedule.map(async (t) => {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + t.atMs - Date.now())));
      const r = await ctx.bare.call(null, 'POST', `/bare/cases/${bareIds.get(targetOf(t))}/step`);
      if (r.status >= 400) throw new Error(`bare step: ${r.status} ${JSON.stringify(r.body)}`);
      steps.push(r.ms);
      (byAction[t.action] ??= []).push(r.ms);
    }),
  );
  return { steps, byAction, wallMs: Date.now() - t0, idleCutMs: Math.round(cut) };
}
