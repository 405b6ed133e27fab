// `npm run test:chaos`: the long run. Every persona of the demo but the one whose fate is a missed
// deadline, 25 kills 3-8 s after each start and in one money-activity moment in eight, until at least
// 30 kill points have been survived (the programme is run again if it closed before).
import { CHAOS_PERSONAS, moneyDiscrepancies, replayEveryHistory, runWorkerKills } from './worker-kills';
import { expectedFinalStage } from '../../scripts/simulation/fund-programme';

jest.setTimeout(90 * 60_000);

it('survives at least 30 worker kills across whole programmes: every case ends as scripted, no money moved twice or lost', async () => {
  let killPoints = 0;
  let cases = 0;
  for (let round = 1; killPoints < 30; round++) {
    const { report, sys } = await runWorkerKills({ personas: CHAOS_PERSONAS, kills: { count: 25, between: [3_000, 8_000] }, insideMoneyProbability: 0.12 });
    try {
      const { result, externalKills, insideKills } = report;
      killPoints += externalKills + insideKills.length;
      cases += result.cases.length;
      console.log(
        `round ${round}: ${externalKills} kills at random moments + ${insideKills.length} inside money activities ` +
          `(${insideKills.map((k) => `${k.activityType}/${k.moment}`).join(', ')}); ${result.cases.length} cases closed in ` +
          `${report.seconds.toFixed(0)} s; so far ${killPoints} kill points over ${cases} cases`,
      );
      expect(result.cases.map((c) => [c.persona.title, c.stage])).toEqual(result.cases.map((c) => [c.persona.title, expectedFinalStage(c.persona)]));
      expect(await moneyDiscrepancies(sys, result)).toEqual([]);
      expect(result.ledger.reconciled).toBe(true);
      const { replayed, failures } = await replayEveryHistory(sys);
      expect(failures).toEqual([]);
      expect(replayed).toBeGreaterThan(result.cases.length);
    } finally {
      await sys.stop();
    }
  }
});
