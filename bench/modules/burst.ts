// The hot spot the previous session met: a panel's worth of reviewers on many cases acting at the
// same moment. K cases wait in expert review with their panels of five seated; every reviewer
// declares (no conflict) at once, then every reviewer scores at once. Baseline: as many bare
// updates at once, five to a workflow, on the same server.
import { applicationViewQuery } from '../../shared';
import { type BenchContext, type ModuleResult, fmt, ms } from '../lib/context';
import { runFundCases } from '../lib/fund-bots';
import { log } from '../lib/http';
import { pool, ratio, summarise } from '../lib/stats';

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

export async function burst(ctx: BenchContext): Promise<ModuleResult> {
  const k = ctx.quick ? 4 : 32;
  log(`burst: ${k} cases to expert review, panels of five seated`);
  // Time is not compressed: the cases stay parked after this module, and their deadlines would
  // otherwise fall due (158 s on) while later modules measure.
  const run = await runFundCases(ctx.api, ctx.info.adminKey, { cases: k, label: 'burst', until: 'expert_review', reviewers: 10, timeScale: 1 });
  let seated: Array<{ caseId: string; reviewerId: string }> = [];
  for (let i = 0; i < 120; i++) {
    seated = await ctx.prisma.reviewAssignment.findMany({ where: { caseId: { in: run.caseIds }, status: 'assigned' }, select: { caseId: true, reviewerId: true } });
    if (seated.length >= k * 5) break;
    await sleep(500);
  }
  // What a reviewer action asks of the case workflow before it reaches the round: the view query
  // that names the running round (one per action), all at once.
  const q: number[] = [];
  const q0 = Date.now();
  await Promise.all(
    seated.map(async (a) => {
      const t = performance.now();
      await ctx.temporal.workflow.getHandle(a.caseId).query(applicationViewQuery);
      q.push(performance.now() - t);
    }),
  );
  const queries = { wallMs: Date.now() - q0, latency: summarise(q) };
  log(`burst: ${seated.length} case view queries at once in ${fmt(queries.wallMs / 1000)} s (p50 ${queries.latency.p50Ms} ms)`);
  const phases: Record<string, { wallMs: number; latency: ReturnType<typeof summarise>; refused: Record<string, number> }> = {};
  for (const phase of ['declaration', 'score'] as const) {
    const times: number[] = [];
    const refused: Record<string, number> = {};
    const t0 = Date.now();
    await Promise.all(
      seated.map(async (a) => {
        const key = run.reviewerKeys.get(a.reviewerId)!;
        const body = phase === 'declaration' ? { conflict: false } : { scores: { innovation: 8, team: 8 }, comment: 'Credible team', recommendation: 'fund' };
        const r = await ctx.api.call(key, 'POST', `/applications/${a.caseId}/review/${phase}`, body);
        if (r.status < 400) times.push(r.ms);
        else refused[`${r.status} ${r.body?.code ?? ''}`.trim()] = (refused[`${r.status} ${r.body?.code ?? ''}`.trim()] ?? 0) + 1;
      }),
    );
    phases[phase] = { wallMs: Date.now() - t0, latency: summarise(times), refused };
    log(`burst: ${seated.length} ${phase}s at once in ${fmt((Date.now() - t0) / 1000)} s (p50 ${summarise(times).p50Ms} ms, p99 ${summarise(times).p99Ms} ms; refused: ${JSON.stringify(refused)})`);
  }

  // Baseline: k bare workflows taking 10 updates each (5 at once, twice), each running a local
  // activity, as a reviewer's action is projected.
  const ids = await pool(Array.from({ length: k }), 16, async () => (await ctx.bare.must(null, 'POST', '/bare/cases', { updates: 10, activities: 0, localActivities: 10 })).id as string);
  const bare: Record<string, { wallMs: number; latency: ReturnType<typeof summarise> }> = {};
  for (const phase of ['declaration', 'score']) {
    const times: number[] = [];
    const t0 = Date.now();
    await Promise.all(ids.flatMap((id) => Array.from({ length: 5 }, async () => times.push((await ctx.bare.call(null, 'POST', `/bare/cases/${id}/step`)).ms))));
    bare[phase] = { wallMs: Date.now() - t0, latency: summarise(times) };
  }
  log(`burst: baseline ${ids.length * 5} bare updates at once: ${fmt(bare.declaration!.wallMs / 1000)} s, then ${fmt(bare.score!.wallMs / 1000)} s`);

  return {
    rows: [
      { measure: `Burst: ${seated.length} case view queries at once (what each reviewer action did first), wall / p50 / p99`, figure: `${fmt(queries.wallMs / 1000)} s / ${ms(queries.latency.p50Ms)} / ${ms(queries.latency.p99Ms)}` },
      ...(['declaration', 'score'] as const).map((phase) => ({
      measure: `Burst: ${seated.length} reviewer ${phase}s at once (${k} cases × 5), wall / p50 / p99`,
      figure: `${fmt(phases[phase]!.wallMs / 1000)} s / ${ms(phases[phase]!.latency.p50Ms)} / ${ms(phases[phase]!.latency.p99Ms)}`,
      baseline: `${fmt(bare[phase]!.wallMs / 1000)} s / ${ms(bare[phase]!.latency.p50Ms)} / ${ms(bare[phase]!.latency.p99Ms)} bare`,
      ratio: `${ratio(phases[phase]!.wallMs, bare[phase]!.wallMs)}x`,
      })),
    ],
    data: { cases: k, updates: seated.length, viewQueries: queries, phases, baseline: bare },
  };
}
