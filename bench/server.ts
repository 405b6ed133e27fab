// The system under test, in a process of its own (the load generator runs in the parent): the
// embedded default (Temporal dev server, worker, API, SQLite) in a fresh data directory on free
// ports, plus the baselines on the same Temporal server and in the same process: a bare Express
// app with a constant route, and a bare workflow driven by bare routes. Started by bench/run.ts,
// which it tells where everything listens over the IPC channel.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import path from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import express from 'express';
import { closeServer, listen } from '../api/server';
import { loadConfig } from '../infra/config';
import { startEmbedded } from '../infra/embedded';
import { createLogger } from '../infra/logger';
import { piiHashKey } from '../infra/pii';
import { freePort } from '../infra/net';
import { type BareInput, bareStepUpdate } from './bare/workflow';

export interface ServerInfo {
  apiUrl: string;
  bareUrl: string;
  adminKey: string;
  databaseUrl: string;
  dataDir: string;
  temporalAddress: string;
  pid: number;
}

/** The system process's own account of its memory (GET /stats on the bare app). */
export interface ServerStats {
  mainHeapUsedMb: number;
  mainHeapTotalMb: number;
  externalMb: number;
  cachedWorkflows: number;
}

/** The main thread's pauses over a window (GET /pauses on the bare app, which starts the next). */
export interface ServerPauses {
  /** The event loop's longest delay: how long at most a request that arrived could not be taken. */
  eventLoopLongestMs: number;
  /** Garbage collections of the main thread's heap: how many, the longest, and all of them. */
  gcs: number;
  gcLongestMs: number;
  gcTotalMs: number;
}

/**
 * Watches the main thread (API, activities, database driver) for pauses, so that a latency
 * measured at a fixed rate can be read beside what held the process meanwhile.
 */
function watchPauses(): () => ServerPauses {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gc = { gcs: 0, gcLongestMs: 0, gcTotalMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.gcs++;
      gc.gcLongestMs = Math.max(gc.gcLongestMs, e.duration);
      gc.gcTotalMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return () => {
    const window = { eventLoopLongestMs: loop.max / 1e6, ...gc };
    loop.reset();
    gc = { gcs: 0, gcLongestMs: 0, gcTotalMs: 0 };
    return window;
  };
}

const BARE_QUEUE = 'bench-bare';

async function main() {
  const dataDir = process.env.BENCH_DATA_DIR;
  if (!dataDir) throw new Error('BENCH_DATA_DIR is not set: start this through bench/run.ts');
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('ERROR') });
  const databaseUrl = `file:${path.join(dataDir, 'app.db')}`;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PORT: String(await freePort()),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_ADDRESS: '',
    // The bench is many callers behind one key; the limit itself is not what it measures.
    RATE_LIMIT_PER_MINUTE: '1000000',
    // Production mode requires the key; the bench's throwaway data directory keeps its own.
    PII_HASH_KEY: piiHashKey({ DATA_DIR: dataDir, PII_HASH_KEY: undefined }),
  });
  const system = await startEmbedded(config, createLogger(config.LOG_LEVEL, 'bench'));

  const bareConnection = await NativeConnection.connect({ address: system.temporalAddress });
  const bareWorker = await Worker.create({
    connection: bareConnection,
    taskQueue: BARE_QUEUE,
    workflowsPath: require.resolve('./bare/workflow'),
    activities: { async noop() {} },
  });
  const bareRunning = bareWorker.run();
  const connection = await Connection.connect({ address: system.temporalAddress });
  const client = new Client({ connection });

  const bare = express();
  bare.use(express.json());
  bare.get('/constant', (_req, res) => {
    res.json({ ok: true });
  });
  const pauses = watchPauses();
  bare.get('/pauses', (_req, res) => {
    res.json(pauses() satisfies ServerPauses);
  });
  // What the system process holds, for the scale module: the main thread's heap (the API, the
  // activities, Prisma) and how many running workflows the system's worker keeps in its cache.
  bare.get('/stats', (_req, res) => {
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    const m = process.memoryUsage();
    res.json({
      mainHeapUsedMb: mb(m.heapUsed),
      mainHeapTotalMb: mb(m.heapTotal),
      externalMb: mb(m.external),
      cachedWorkflows: system.workerStatus().numCachedWorkflows,
    } satisfies ServerStats);
  });
  bare.post('/bare/cases', async (req, res) => {
    const id = `bare-${randomUUID()}`;
    await client.workflow.start('bareWorkflow', { workflowId: id, taskQueue: BARE_QUEUE, args: [req.body as BareInput] });
    res.status(201).json({ id });
  });
  // A bare case's first step starts its workflow in the same call (update-with-start), as a case's
  // submit does; the workflow's start is then in that round trip for both.
  bare.post('/bare/cases/:id/first-step', async (req, res) => {
    const start = new WithStartWorkflowOperation('bareWorkflow', {
      workflowId: req.params.id,
      taskQueue: BARE_QUEUE,
      args: [req.body as BareInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const n = await client.workflow.executeUpdateWithStart(bareStepUpdate, { startWorkflowOperation: start });
    res.json({ n });
  });
  bare.post('/bare/cases/:id/step', async (req, res) => {
    const n = await client.workflow.getHandle(req.params.id).executeUpdate(bareStepUpdate);
    res.json({ n });
  });
  const bareServer: http.Server = await listen(bare, '127.0.0.1', 0);
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as { port: number }).port}`;

  const info: ServerInfo = {
    apiUrl: system.apiUrl,
    bareUrl,
    adminKey: system.adminKey!,
    databaseUrl,
    dataDir,
    temporalAddress: system.temporalAddress,
    pid: process.pid,
  };
  process.send!({ ready: info });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await closeServer(bareServer);
    bareWorker.shutdown();
    await bareRunning;
    await connection.close();
    await bareConnection.close();
    await system.stop();
    // Lets --cpu-prof write its profile on the way out.
    process.exit(0);
  };
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop) void stop();
  });
  process.on('disconnect', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
