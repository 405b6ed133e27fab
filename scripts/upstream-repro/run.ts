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
//    does not run and replay fails with a nondeterminism error. A worker that must replay the case
//    (another kill, a cache eviction) fails its workflow task the same way, and the case stops.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../../infra/net';
import { temporalCliPath } from '../../infra/tools';
import { startDevServer } from '../../infra/temporal-dev-server';
import { type Branch, arrive, arrived } from './workflow';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    await handle.result();
    const history = await handle.fetchHistory();
    try {
      await Worker.runReplayHistory({ workflowsPath: require.resolve('./workflow') }, history, handle.workflowId);
      console.log('NOT REPRODUCED: the recorded history replays');
    } catch (err) {
      console.log(`REPRODUCED: the recorded history does not replay: ${(err as Error).message.split('\n')[0]!.slice(0, 400)}`);
    }
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
