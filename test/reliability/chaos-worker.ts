// The real worker process (worker/main.ts) with one addition: a fault injector that SIGKILLs the
// process inside chosen activities, at the worst moments: before the activity has done anything, or
// after it has done its work (a payment written) but before Temporal has heard that it completed.
// Run by the worker-kill tests as a child process; never part of the product.
import fs from 'node:fs';
import { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { runWorkerProcess } from '../../worker/main';

const targets = new Set((process.env.PF_CHAOS_KILL_IN ?? '').split(',').filter(Boolean));
const probability = Number(process.env.PF_CHAOS_KILL_PROBABILITY ?? '0');
const killLog = process.env.PF_CHAOS_KILL_LOG;
/**
 * At most this many deaths inside activities over the whole run, counted in the kill log (each
 * death starts a new process). A budget rather than a rate alone: every death fails all the money
 * activities then in flight, and each of their retries rolls again, so several cases committing or
 * paid at once can keep the worker dying for minutes.
 */
const budget = process.env.PF_CHAOS_KILL_BUDGET ? Number(process.env.PF_CHAOS_KILL_BUDGET) : Infinity;

function deathsSoFar(): number {
  return killLog && fs.existsSync(killLog) ? fs.readFileSync(killLog, 'utf8').split('\n').filter(Boolean).length : 0;
}

function maybeDie(moment: 'before' | 'after'): void {
  const { activityType, workflowExecution } = Context.current().info;
  if (!targets.has(activityType) || Math.random() >= probability || deathsSoFar() >= budget) return;
  if (killLog) fs.appendFileSync(killLog, `${JSON.stringify({ activityType, moment, workflowId: workflowExecution?.workflowId, at: new Date().toISOString() })}\n`);
  process.kill(process.pid, 'SIGKILL');
}

class KillInsideActivities implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    maybeDie('before');
    const result = await next(input);
    maybeDie('after');
    return result;
  }
}

runWorkerProcess({ interceptors: { activity: [() => ({ inbound: new KillInsideActivities() })] } }).catch((err) => {
  console.error(err);
  process.exit(1);
});
