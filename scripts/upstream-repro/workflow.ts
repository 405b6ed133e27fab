import { allHandlersFinished, condition, defineQuery, defineSignal, defineUpdate, proxyActivities, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import type * as activities from './activities';

const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' });
const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export const arrive = defineUpdate<void>('arrive');
export const arrived = defineQuery<boolean>('arrived');
export const finish = defineSignal('finish');
export type Branch = 'local-activity' | 'activity' | 'timer';

/**
 * Waits up to 3 s for an update; if the timer wins, does one thing (the branch) first. Then waits for
 * a signal to finish. Nothing here is our product's: a workflow this small shows the SDK behaviour on
 * its own.
 */
export async function waitForArrival(branch: Branch): Promise<void> {
  let hasArrived = false;
  let finished = false;
  setHandler(finish, () => {
    finished = true;
  });
  setHandler(arrive, async () => {
    hasArrived = true;
    await local.note('update');
  });
  setHandler(arrived, () => hasArrived);
  await local.note('start');
  if (!(await condition(() => hasArrived, '3s'))) {
    if (branch === 'local-activity') await local.note('timer fired');
    else if (branch === 'activity') await remote.note('timer fired');
    else await sleep(10);
  }
  await condition(() => hasArrived && finished);
  await condition(allHandlersFinished);
}
