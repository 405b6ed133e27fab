// Bounded version for `npm test`; `npm run test:chaos` runs test/reliability/worker-kills.chaos.ts.
import { CHAOS_PERSONAS, moneyDiscrepancies, runWorkerKills } from './worker-kills';
import { expectedFinalStage } from '../../scripts/simulation/fund-programme';

jest.setTimeout(15 * 60_000);

it('survives SIGKILLs of the worker at random moments and inside payments: every case ends as scripted, no money moved twice or lost', async () => {
  const { report, sys } = await runWorkerKills({
    personas: CHAOS_PERSONAS.slice(0, 12),
    between: [2_000, 5_000],
    insideMoneyProbability: 0.2,
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
    expect(externalKills + insideKills.length).toBeGreaterThanOrEqual(8);
  } finally {
    await sys.stop();
  }
});
