// What the workflow side costs, ours beside the bare workflow's, away from the live system's noise:
// recorded histories replayed in this process by the SDK's replayer, which runs the same workflow
// code in the same sandbox (its promise hook and stack traces too) through Core's same state
// machines, with no server, database or HTTP around it. The lifecycle's round trips wait in the
// queues of a saturated machine and move ±0.3x between runs; a replay's CPU per update waits for
// nothing (though the machine's other load still moves it), and its count of the sandbox's
// promises is exact for the same code and histories: a change to workflow code shows here first.
import v8 from 'node:v8';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { RecordedHistory } from './history';

export interface ReplayCost {
  workflows: number;
  /** Updates in one pass over the histories. */
  updates: number;
  passes: number;
  /** CPU of this process (every thread: the sandbox, Core, the replayer) per update replayed. */
  cpuMsPerUpdate: number;
  /** Promises made in the workflows' sandbox per update, each of which the SDK takes a stack trace of. */
  promisesPerUpdate: number;
}

let runtimeQuiet = false;

/** The replayer's workers log each start and stop at INFO; the bench's output has no use for them. */
function quietRuntime(): void {
  if (runtimeQuiet) return;
  runtimeQuiet = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already: its logger stays.
  }
}

async function replayAll(workflowBundle: { code: string }, histories: RecordedHistory[]): Promise<void> {
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    if (result.error) throw new Error(`replay of ${result.workflowId} failed: ${String(result.error)}`);
  }
}

/**
 * Replays `histories` with the workflows of `workflowsPath`, `passes` times after one pass that is
 * not timed, in which the promises made in the sandbox are counted.
 */
export async function replayCost(workflowsPath: string, histories: RecordedHistory[], passes: number): Promise<ReplayCost> {
  quietRuntime();
  const updates = histories.reduce((n, h) => n + (h.history.events ?? []).filter((e) => e.workflowExecutionUpdateCompletedEventAttributes).length, 0);
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });

  // A workflow's promises are its sandbox's: their constructor is not this realm's Promise.
  let promises = 0;
  const stop = v8.promiseHooks.onInit((promise: Promise<unknown>) => {
    if (promise.constructor !== Promise) promises++;
  });
  try {
    await replayAll(workflowBundle, histories);
  } finally {
    stop();
  }

  const all = Array.from({ length: passes }, () => histories).flat();
  const before = process.cpuUsage();
  await replayAll(workflowBundle, all);
  const cpu = process.cpuUsage(before);
  const replayed = Math.max(1, updates * passes);
  return {
    workflows: histories.length,
    updates,
    passes,
    cpuMsPerUpdate: Math.round(((cpu.user + cpu.system) / 1000 / replayed) * 1000) / 1000,
    promisesPerUpdate: Math.round((promises / Math.max(1, updates)) * 10) / 10,
  };
}
