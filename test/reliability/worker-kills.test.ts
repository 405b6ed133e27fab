// The bounded worker-kill run, in `npm test` (CI): 12 cases, one of each fate, 10 SIGKILLs at
// random moments plus up to 12 inside money activities (one moment in four). The long run with at
// least 30 kill points is worker-kills.chaos.ts (`npm run test:chaos`).
import { CHAOS_PERSONAS, moneyDiscrepancies, replayEveryHistory, runWorkerKills } from './worker-kills';
import { expectedFinalStage } from '../../scripts/simulation/fund-programme';

jest.setTimeout(30 * 60_000);

/** One persona of each fate (and the objection, the revision, the rectification), 12 cases in all. */
function everyFate() {
  const seen = new Set<string>();
  return CHAOS_PERSONAS.filter((p) => {
    const fate = `${expectedFinalStage(p)}:${p.formal ?? ''}:${p.committeeRejects ?? ''}:${p.score}:${p.objection ?? ''}:${p.midterm ?? ''}`;
    if (seen.has(fate)) return false;
    seen.add(fate);
    return true;
  });
}

it('survives SIGKILLs of the worker at random moments and inside payments: every case ends as scripted, no money moved twice or lost', async () => {
  const { report, sys } = await runWorkerKills({
    personas: everyFate(),
    kills: { count: 10, between: [3_000, 8_000] },
    insideMoneyProbability: 0.25,
    // Bounded, as the run is: unbounded, 14-26 deaths came in runs of 257-458 s, and one CI run
    // did not finish its programme in 1,200 s (likely this: each death fails every money activity
    // then in flight, and each retry rolls again).
    insideMoneyBudget: 12,
  });
  try {
    const { result, externalKills, insideKills } = report;
    console.log(
      `worker kills: ${externalKills} at random moments + ${insideKills.length} inside money activities ` +
        `(${insideKills.map((k) => `${k.activityType}/${k.moment}`).join(', ')}); ${report.workerStarts} worker starts; ` +
        `${result.cases.length} cases closed in ${report.seconds.toFixed(0)} s`,
    );
    expect(result.cases.map((c) => [c.persona.title, c.stage])).toEqual(result.cases.map((c) => [c.persona.title, expectedFinalStage(c.persona)]));
    expect(await moneyDiscrepancies(sys, result)).toEqual([]);
    expect(result.ledger.reconciled).toBe(true);
    expect(externalKills).toBe(10);
    expect(insideKills.length).toBeGreaterThan(0);
    expect(insideKills.length).toBeLessThanOrEqual(12);
    const { replayed, failures } = await replayEveryHistory(sys);
    expect(failures).toEqual([]);
    expect(replayed).toBeGreaterThan(result.cases.length);
  } finally {
    await sys.stop();
  }
});
