// 4. Writes under contention: agreements signed and countersigned all at once against one
// programme's budget, which covers three in four of them; the ledger must reconcile after.
import { reconcile } from '../../money/ledger';
import { type BenchContext, type ModuleResult, fmt, ms } from '../lib/context';
import { runFundCases } from '../lib/fund-bots';
import { log } from '../lib/http';
import { pool, ratio, summarise } from '../lib/stats';

const AWARD = 800_000_000;

export async function contention(ctx: BenchContext): Promise<ModuleResult> {
  const n = ctx.quick ? 4 : 24;
  const fits = Math.floor(n * 0.75);
  log(`contention: ${n} cases to the agreement, a budget for ${fits}`);
  const run = await runFundCases(ctx.api, ctx.info.adminKey, { cases: n, label: 'contention', until: 'agreement', budgetFen: fits * AWARD, reviewers: Math.max(8, Math.ceil(n / 2)) });
  const keys = new Map(run.cases.map((c) => [c.id, c.key]));
  const sign: number[] = [];
  const countersign: number[] = [];
  const outcomes: Record<string, number> = {};
  const t0 = Date.now();
  await Promise.all(
    run.caseIds.map(async (id) => {
      const s = await ctx.api.call(keys.get(id)!, 'POST', `/applications/${id}/sign`, {});
      if (s.status < 400) sign.push(s.ms);
      const c = await ctx.api.call(run.officerKey, 'POST', `/applications/${id}/countersign`, {});
      if (c.status < 400) countersign.push(c.ms);
      const outcome = c.status < 400 ? 'committed' : `${c.status} ${c.body?.code ?? ''}`.trim();
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }),
  );
  const wallMs = Date.now() - t0;
  const perSecond = run.cases.length / (wallMs / 1000);

  const problems = await reconcile(ctx.prisma, run.programmeId);
  const commits = await ctx.prisma.ledgerEntry.count({ where: { programmeId: run.programmeId, kind: 'commit' } });
  const programme = await ctx.prisma.programme.findUniqueOrThrow({ where: { id: run.programmeId } });
  const committable = Math.min(fits, run.cases.length);
  const invariant = problems.length === 0 && commits === committable && programme.committedFen === BigInt(committable * AWARD);
  log(`contention: ${n} signings in ${fmt(wallMs / 1000)} s; ${JSON.stringify(outcomes)}; ledger ${invariant ? 'holds' : `BROKEN: ${problems.join('; ')}, ${commits} commits`}`);

  // Baseline: as many bare cases making the same two update round trips at once: each projected by
  // a local activity, and the countersignature's commitment an activity.
  const bareSteps: number[] = [];
  const ids = await pool(run.caseIds, n, async () => (await ctx.bare.must(null, 'POST', '/bare/cases', { updates: 2, activities: 1, localActivities: 2 })).id as string);
  const b0 = Date.now();
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; i < 2; i++) bareSteps.push((await ctx.bare.call(null, 'POST', `/bare/cases/${id}/step`)).ms);
    }),
  );
  const bareWallMs = Date.now() - b0;
  const barePerSecond = ids.length / (bareWallMs / 1000);

  // The cases' time runs compressed (their public notice has to pass), so their milestone checks and
  // sign deadlines would fall due while later modules measure: they are ended here (their children
  // with them), with nothing more to measure.
  await pool(run.caseIds, 8, (id) => ctx.temporal.workflow.getHandle(id).terminate('bench: contention measured'));
  const cs = summarise(countersign);
  const bs = summarise(bareSteps);

  return {
    rows: [
      { measure: `Contention: agreements signed and countersigned per second (${n} at once, budget for ${fits})`, figure: fmt(perSecond, 2), baseline: `${fmt(barePerSecond, 2)} bare`, ratio: `${ratio(barePerSecond, perSecond)}x slower` },
      { measure: 'Contention: countersign p50 / p95 / p99', figure: `${ms(cs.p50Ms)} / ${ms(cs.p95Ms)} / ${ms(cs.p99Ms)}`, baseline: `${ms(bs.p50Ms)} / ${ms(bs.p95Ms)} / ${ms(bs.p99Ms)} bare` },
      { measure: 'Contention: ledger invariant after (reconciles, exactly the budget committed, no overshoot)', figure: invariant ? 'holds' : `broken: ${problems.join('; ')}`, target: 'holds', met: invariant },
    ],
    data: { cases: n, fits, wallMs, perSecond, outcomes, sign: summarise(sign), countersign: cs, ledger: { problems, commits, committedFen: Number(programme.committedFen), budgetFen: Number(programme.budgetFen) }, invariant, toAgreement: { wallMs: run.wallMs, refusals: run.refusals }, baseline: { wallMs: bareWallMs, perSecond: barePerSecond, step: bs } },
  };
}
