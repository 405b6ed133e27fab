import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';

// Every activity here is one short database transaction (milliseconds; SQLite waits up to 10 s for
// a lock). The start-to-close timeout is also how long a task stays stuck when its worker dies
// mid-activity, so it is kept close to that bound rather than generous. Timeouts are not part of the
// replay check: changing them needs no patch.

/** Read-model writes: retried until the database takes them. */
export const projection = proxyActivities<Activities>({
  startToCloseTimeout: '12 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The same read-model writes as local activities: run by the worker that runs the workflow task,
 * inside that task, with no activity task of their own on the server (see Projector). While one is
 * retried in the worker, the worker keeps its workflow task alive by completing it and taking a new
 * one every 8 s (three events each); so a write that still fails after the first retries (~15 s: a
 * database down, not a lock) waits for its next attempt on a workflow timer instead: a few events
 * a minute rather than twenty.
 */
export const localProjection = proxyLocalActivities<Activities>({
  startToCloseTimeout: '12 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Pure computations (working-day arithmetic on the official calendar): local activities, run in the
 * worker within the workflow task that asks, their result kept in history like any activity's.
 */
export const calculation = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});

/** Money and rules: business refusals (BudgetExhausted...) are non-retryable ApplicationFailures. */
export const business = proxyActivities<Activities>({
  startToCloseTimeout: '12 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['BudgetExhausted', 'InvalidAction', 'QuotaReached', 'ExpertOverCommitted'] },
});
