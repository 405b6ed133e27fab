import { ActivityFailure, continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';

const { fanOutNotifications, markDeliveryFailed } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
/** Sending: retried with exponential backoff, for about an hour, then given up and marked failed. */
const { deliver } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 12, nonRetryableErrorTypes: ['NotConfigured'] },
});

export interface DispatcherInput {
  /** How long to wait when nothing is pending. */
  idleMs: number;
}

/**
 * Sends the notification outbox, for as long as the system runs: one workflow (a fixed id), which
 * continues as new every few hundred rounds so that its history stays small.
 */
export async function notificationDispatcherWorkflow(input: DispatcherInput): Promise<void> {
  // Deliveries run side by side: one receiver that keeps failing does not hold up the others.
  const inFlight = new Map<string, Promise<void>>();
  for (let round = 0; round < 500; round++) {
    const pending = await fanOutNotifications({ limit: 100 });
    for (const id of pending) {
      if (inFlight.has(id)) continue;
      const sending = deliver(id)
        .catch(async (err) => {
          if (!(err instanceof ActivityFailure)) throw err;
          await markDeliveryFailed(id);
        })
        .finally(() => inFlight.delete(id));
      inFlight.set(id, sending);
    }
    await sleep(input.idleMs);
  }
  await Promise.all(inFlight.values());
  await continueAsNew<typeof notificationDispatcherWorkflow>(input);
}
