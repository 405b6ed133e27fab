// The baseline workflow: the same number of update and activity round trips as a fund case, with
// empty bodies. Whatever a case costs beyond this is ours (validation, state, projection, audit).
import { allHandlersFinished, condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';

export const bareStepUpdate = defineUpdate<number, []>('bareStep');

export interface BareInput {
  updates: number;
  /** Activities with a task of their own on the server (a case's business activities). */
  activities: number;
  /** Local activities, run inside the workflow task (a case's projector batches). */
  localActivities?: number;
}

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30 s' });
const local = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30 s' });

/** The nth of `updates` shares of `total`, the remainder spread over the first updates. */
const share = (total: number, updates: number, n: number) => Math.floor(total / updates) + (n <= total % updates ? 1 : 0);

export async function bareWorkflow(input: BareInput): Promise<number> {
  let updates = 0;
  let activities = 0;
  // Each update runs its share of the activities before it answers, as a case's updates run their
  // business activity and then project what it changed.
  setHandler(bareStepUpdate, async () => {
    const n = ++updates;
    for (let i = 0; i < share(input.activities, input.updates, n); i++, activities++) await noop();
    for (let i = 0; i < share(input.localActivities ?? 0, input.updates, n); i++, activities++) await local.noop();
    return n;
  });
  await condition(() => updates >= input.updates && allHandlersFinished());
  return activities;
}
