import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';

/** Read-model writes: retried until the database takes them. */
export const projection = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Money and rules: business refusals (BudgetExhausted...) are non-retryable ApplicationFailures. */
export const business = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['BudgetExhausted', 'InvalidAction', 'QuotaReached', 'ExpertOverCommitted'] },
});
