// The baseline workflow: the same number of update and activity round trips as a fund case, with
// empty bodies. Whatever a case costs beyond this is ours (validation, state, projection, audit).
import { allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export const bareStepUpdate = defineUpdate<number, []>('bareStep');

export interface BareInput {
  updates: number;
  activities: number;
}

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30 s' });

export async function bareWorkflow(input: BareInput): Promise<number> {
  let updates = 0;
  let activities = 0;
  // Each update runs its share of the activities before it answers, as a case's updates project theirs.
  const share = (n: number) => Math.floor(input.activities / input.updates) + (n <= input.activities % input.updates ? 1 : 0);
  setHandler(bareStepUpdate, async () => {
    const n = ++updates;
    for (let i = 0; i < share(n); i++, activities++) await noop();
    return n;
  });
  await condition(() => updates >= input.updates && allHandlersFinished());
  return activities;
}
