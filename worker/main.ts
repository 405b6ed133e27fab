// `npm run worker`: the worker as its own process, against TEMPORAL_ADDRESS.
import { Runtime, type WorkerOptions } from '@temporalio/worker';
import { loadConfigOrExit } from '../infra/config';
import { createPrismaClient } from '../infra/db';
import { createLogger } from '../infra/logger';
import { createReadStore } from '../infra/read-store';
import { connectClient, connectWorker } from '../infra/temporal';
import { createWorker, ensureDispatcher } from './worker';

/**
 * Runs a worker process until SIGINT/SIGTERM. `interceptors` is for processes that wrap the real
 * worker (the fault-injection worker of the chaos tests); production passes none.
 */
export async function runWorkerProcess(opts: { interceptors?: WorkerOptions['interceptors'] } = {}): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  if (config.TEMPORAL_METRICS_BIND) {
    // Before any connection: the runtime is created once per process, with its telemetry.
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: config.TEMPORAL_METRICS_BIND } } } });
  }
  const prisma = createPrismaClient(config.DATABASE_URL);
  const reads = createReadStore(config.DATABASE_URL, prisma);
  const connection = await connectWorker(config);
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    prisma,
    reads,
    notify: { smtpUrl: config.SMTP_URL, from: config.SMTP_FROM },
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    workflowBundle: config.WORKFLOW_BUNDLE_PATH ? { codePath: config.WORKFLOW_BUNDLE_PATH } : undefined,
    interceptors: opts.interceptors,
  });
  const client = await connectClient(config);
  await ensureDispatcher(client, config.TEMPORAL_TASK_QUEUE, config.NOTIFY_IDLE_MS);
  logger.info(
    { address: config.TEMPORAL_ADDRESS, taskQueue: config.TEMPORAL_TASK_QUEUE, metrics: config.TEMPORAL_METRICS_BIND ?? null },
    'worker running',
  );
  // The SDK shuts the worker down on SIGINT/SIGTERM, letting running tasks finish.
  await worker.run();
  await connection.close();
  await client.connection.close();
  reads.close();
  await prisma.$disconnect();
  logger.info('worker stopped');
}

if (require.main === module) {
  runWorkerProcess().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
