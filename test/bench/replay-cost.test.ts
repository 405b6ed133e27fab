// The bench's replay of recorded histories (bench/lib/replay-cost.ts): it replays a case's
// histories with the workflow code, and counts the promises made in the workflows' sandbox, the
// figure that tells one workflow change from another where the lifecycle's round trips cannot.
import path from 'node:path';
import { replayCost } from '../../bench/lib/replay-cost';
import { HISTORIES_DIR, readRecordedHistory } from '../workflows/history-scenarios';

jest.setTimeout(120_000);

const recorded = (file: string) => readRecordedHistory(path.join(HISTORIES_DIR, file));

it("replays a case's histories and counts the promises its workflows made per update", async () => {
  const histories = ['fund-round-keeps-its-timer.json', 'fund-round-keeps-its-timer--1-reviewRoundWorkflow.json'].map(recorded);
  const cost = await replayCost(path.resolve(__dirname, '../../workflows'), histories, 2);

  // The recording's two updates on the case (submit, formal review) and ten on its round.
  expect(cost).toMatchObject({ workflows: 2, updates: 12, passes: 2 });
  expect(cost.cpuMsPerUpdate).toBeGreaterThan(0);
  // Each update takes the SDK a dozen promises or more (its handler, the answer, the task's end);
  // none counted would mean the replayer ran the sandbox where this process's hook cannot see it.
  expect(cost.promisesPerUpdate).toBeGreaterThan(10);
});

it('fails loudly on a history the workflow code does not replay', async () => {
  const [round] = ['fund-round-keeps-its-timer--1-reviewRoundWorkflow.json'].map(recorded);
  // The round's history replayed with the bare workflow's code: another workflow type entirely.
  await expect(replayCost(path.resolve(__dirname, '../../bench/bare/workflow.ts'), [round!], 1)).rejects.toThrow(/replay of .* failed/);
});
