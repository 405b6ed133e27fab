// A reproduction, on its own dev server, of a Temporal SDK behaviour that left two fund cases stuck
// in a worker-kill run (test/histories-failing/README.md). Run it with
//   npx tsx scripts/upstream-repro/run.ts [local-activity|activity|timer] [no-query]
// (`no-query` is the control: the same steps without the query, and the history replays.)
//
// 1. Worker A runs a workflow to a 3 s condition timeout, and is killed (SIGKILL).
// 2. A query is sent while no event is pending: the server dispatches it straight to A's sticky
//    queue, and after ~10 s without a poller there, to the normal queue.
// 3. The timer fires meanwhile: a workflow task waits on A's sticky queue.
// 4. Worker B starts and polls the query. Its task's history already holds the timer's firing, and
//    the SDK runs the workflow forward on it, outside any workflow task: the timer's branch runs.
// 5. An update arrives; the next workflow task takes it after the branch's commands.
// 6. Replaying the history delivers the update with the timer's firing, ahead of it, so the branch
//    does not run and replay fails with a nondeterminism error.
// 7. A worker that must replay the case fails its workflow task the same way, and the case stops:
//    worker B is killed, C starts, and the signal that should finish the workflow never does.
// 8. The recovery docs/operations.md gives: reset the workflow to the workflow task that recorded
//    the query's work (the first one completed after the sticky queue's task timed out). The signal
//    is applied again in the new run, which finishes, and its history replays.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../../infra/net';
import { temporalCliPath } from '../../infra/tools';
import { startDevServer } from '../../infra/temporal-dev-server';
import { type Branch, arrive, arrived, finish } from './workflow';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

async function replayError(handle: WorkflowHandle): Promise<string | null> {
  try {
    await Worker.runReplayHistory({ workflowsPath: require.resolve('./workflow') }, await handle.fetchHistory(), handle.workflowId);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!.slice(0, 400);
  }
}

function startWorker(address: string, taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', require.resolve('./worker'), address, taskQueue], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      process.stdout.write(d);
      if (String(d).includes('polling')) resolve(child);
    });
  });
}

async function main(): Promise<void> {
  const branch = (process.argv[2] ?? 'local-activity') as Branch;
  const withQuery = process.argv[3] !== 'no-query';
  const server = await startDevServer({ cliPath: temporalCliPath(process.env.TEMPORAL_CLI_PATH), port: await freePort() });
  const workers: ChildProcess[] = [];
  try {
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    const taskQueue = `repro-${randomUUID()}`;
    workers.push(await startWorker(server.address, taskQueue));
    const handle = await client.workflow.start('waitForArrival', { taskQueue, workflowId: `repro-${branch}-${Date.now()}`, args: [branch] });
    await pause(1000);
    workers[0]!.kill('SIGKILL');
    console.log('worker A killed');
    await pause(300);
    const sent = Date.now();
    const query = withQuery ? handle.query(arrived).then((v) => console.log(`query answered ${v} after ${Date.now() - sent} ms`)) : null;
    await pause(3500);
    workers.push(await startWorker(server.address, taskQueue));
    await (query ?? pause(10_000));
    await handle.executeUpdate(arrive);
    const error = await replayError(handle);
    if (!error) {
      console.log('NOT REPRODUCED: the recorded history replays');
      await handle.signal(finish);
      await handle.result();
      return;
    }
    console.log(`REPRODUCED: the recorded history does not replay: ${error}`);

    workers[1]!.kill('SIGKILL');
    workers.push(await startWorker(server.address, taskQueue));
    await handle.signal(finish);
    const failedTask = async () =>
      (await handle.fetchHistory()).events!.some((e) => e.workflowTaskFailedEventAttributes?.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
    for (let i = 0; i < 60 && !(await failedTask()); i++) await pause(500);
    if (!(await failedTask())) throw new Error('worker C did not fail the workflow task');
    console.log('STOPPED: worker C fails the workflow task with a nondeterminism error');

    const events = (await handle.fetchHistory()).events!;
    const timedOut = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    const recorded = events.slice(timedOut).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!;
    const { runId } = await client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: handle.workflowId },
      workflowTaskFinishEventId: recorded.eventId,
      requestId: randomUUID(),
      reason: 'a query ran the workflow forward outside a workflow task',
    });
    const reset = client.workflow.getHandle(handle.workflowId, runId!);
    await reset.result();
    const after = await replayError(reset);
    console.log(after ? `NOT RECOVERED: the reset run does not replay: ${after}` : `RECOVERED: reset to event ${recorded.eventId}; the new run finished and its history replays`);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
