import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  type ApplicationView,
  type ApplicationWorkflowInput,
  type StageChange,
  applicationViewQuery,
  submitUpdate,
  withdrawUpdate,
} from '../../shared';
import { ApplicationCase } from './application-case';

const { recordStageChange } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // The read model must catch up eventually: keep retrying a database that is down.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * One talent-fund application, from submission on. Started by the submit update (update-with-start)
 * with the application's id as workflow id.
 */
export async function applicationWorkflow(input: ApplicationWorkflowInput): Promise<ApplicationView> {
  const kase = new ApplicationCase(input);

  // Stage changes are written to the read model in the order they happened, even when updates overlap.
  let recorded: Promise<void> = Promise.resolve();
  const record = (change: StageChange): Promise<ApplicationView> => {
    recorded = recorded.then(() => recordStageChange(input.applicationId, change));
    return recorded.then(() => kase.view());
  };

  setHandler(submitUpdate, (cmd) => record(kase.submit(cmd, new Date())), {
    validator: (cmd) => kase.validateSubmit(cmd, new Date()),
  });
  setHandler(withdrawUpdate, (cmd) => record(kase.withdraw(cmd, new Date())), {
    validator: (cmd) => kase.validateWithdraw(cmd),
  });
  setHandler(applicationViewQuery, () => kase.view());

  // The submit update normally arrives with the start. If it was refused, the case ends with the call.
  const untilCallCloses = () => Math.max(1, kase.callClosesAt.getTime() - Date.now());
  const submitted = await condition(() => kase.currentStage !== 'draft', untilCallCloses());
  if (submitted) {
    // Submitted applications wait for the call to close, unless withdrawn first.
    await condition(() => kase.isFinal, untilCallCloses());
    if (!kase.isFinal) await record(kase.startFormalReview(new Date()));
    await condition(() => kase.isFinal);
  }

  await condition(allHandlersFinished);
  await recorded;
  return kase.view();
}
