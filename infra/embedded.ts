// The whole system in one process tree: the Temporal dev server (persisted under the data
// directory, with its web UI) unless TEMPORAL_ADDRESS names a cluster, the worker and the API.
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { WorkerStatus } from '@temporalio/worker';
import { closeServer, listen } from '../api/server';
import { createApp } from '../api/app';
import { ensureAdmin } from '../api/use-cases/users';
import type { Config } from './config';
import { redactedDatabaseUrl } from './database-url';
import { createPrismaClient } from './db';
import { createReadStore } from './read-store';
import type { Logger } from './logger';
import { migrateDatabase } from './migrate';
import { piiHashKey } from './pii';
import { connectClient, connectWorker } from './temporal';
import { type DevServer, startDevServer } from './temporal-dev-server';
import { temporalCliPath } from './tools';
import { createWorker, ensureDispatcher } from '../worker/worker';

export interface EmbeddedSystem {
  apiUrl: string;
  temporalAddress: string;
  uiUrl: string | null;
  adminKey: string | null;
  /** Where a new administrator's key was saved, when one was created. */
  adminKeyFile: string | null;
  lines: string[];
  /** Resolves if the worker stops by itself (a failure); stop() resolves it too. */
  workerDone: Promise<void>;
  /** The worker's state: its cached workflows, tasks in flight (the bench reports them). */
  workerStatus(): WorkerStatus;
  stop(): Promise<void>;
}

/** A dev server left running by a killed launcher holds the port and the database: stop it first. */
function stopStaleDevServer(pidFile: string): void {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('start-dev')) process.kill(pid, 'SIGKILL');
  } catch {
    // No pid file, or the process is gone: nothing to stop.
  }
}

export async function startEmbedded(config: Config, logger: Logger): Promise<EmbeddedSystem> {
  const dataDir = path.resolve(config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });

  let devServer: DevServer | null = null;
  let temporalAddress = config.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    const pidFile = path.join(dataDir, 'temporal-dev-server.pid');
    stopStaleDevServer(pidFile);
    devServer = await startDevServer({
      cliPath: temporalCliPath(config.TEMPORAL_CLI_PATH),
      dbFile: path.join(dataDir, 'temporal.db'),
      port: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      logFile: path.join(dataDir, 'temporal-dev-server.log'),
      // Its own process group: Ctrl-C reaches us, and we stop it after the worker has drained.
      detached: true,
    });
    fs.writeFileSync(pidFile, String(devServer.process.pid));
    const child = devServer.process;
    // Should this process die of an error, do not leave the server behind (SIGKILL: see above).
    process.on('exit', () => child.kill('SIGTERM'));
    temporalAddress = devServer.address;
  }
  const cfg: Config = { ...config, TEMPORAL_ADDRESS: temporalAddress };

  await migrateDatabase(cfg.DATABASE_URL);
  const prisma = createPrismaClient(cfg.DATABASE_URL);
  const reads = createReadStore(cfg.DATABASE_URL, prisma);
  const admin = await ensureAdmin(prisma, { email: cfg.BOOTSTRAP_ADMIN_EMAIL, apiKey: cfg.BOOTSTRAP_ADMIN_API_KEY });
  const keyFile = admin.apiKey ? path.join(dataDir, 'admin-api-key') : null;
  if (admin.apiKey && keyFile) {
    fs.writeFileSync(keyFile, `${admin.apiKey}\n`, { mode: 0o600 });
    // The key itself is never logged: logs travel further than the terminal. npm start prints it once.
    logger.info(`Created administrator ${admin.email}; API key saved to ${keyFile}`);
  }

  const workerConnection = await connectWorker(cfg);
  const worker = await createWorker({
    connection: workerConnection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    prisma,
    reads,
    notify: { smtpUrl: cfg.SMTP_URL, from: cfg.SMTP_FROM },
    maxCachedWorkflows: cfg.WORKER_MAX_CACHED_WORKFLOWS,
  });
  const workerDone = worker.run();

  const temporal = await connectClient(cfg);
  await ensureDispatcher(temporal, cfg.TEMPORAL_TASK_QUEUE, cfg.NOTIFY_IDLE_MS);
  const app = createApp({ prisma, reads, temporal, taskQueue: cfg.TEMPORAL_TASK_QUEUE, logger, corsOrigins: cfg.CORS_ORIGINS, rateLimitPerMinute: cfg.RATE_LIMIT_PER_MINUTE, piiHashKey: piiHashKey(cfg), idempotencyLeaseMs: cfg.IDEMPOTENCY_LEASE_MS, workflowWaitMs: cfg.WORKFLOW_WAIT_MS, authCacheMs: cfg.AUTH_CACHE_MS, reportMaxAgeMs: cfg.REPORT_MAX_AGE_MS });
  const server: http.Server = await listen(app, cfg.HOST, cfg.PORT);
  const { port } = server.address() as { port: number };
  const apiUrl = `http://${cfg.HOST}:${port}`;

  const lines = [
    `API          ${apiUrl}   (health: /healthz)`,
    `Temporal     ${temporalAddress}   namespace ${cfg.TEMPORAL_NAMESPACE}${devServer ? ' (embedded dev server)' : ''}`,
    devServer?.uiUrl ? `Temporal UI  ${devServer.uiUrl}` : null,
    `Worker       task queue ${cfg.TEMPORAL_TASK_QUEUE}`,
    `Database     ${cfg.databaseFile ?? redactedDatabaseUrl(cfg.DATABASE_URL)}`,
  ].filter((l): l is string => l !== null);

  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      logger.info('stopping: API, then worker (draining), then Temporal');
      await closeServer(server);
      worker.shutdown();
      await workerDone;
      await temporal.connection.close();
      await workerConnection.close();
      reads.close();
      await prisma.$disconnect();
      await devServer?.stop();
      logger.info('stopped');
    })());

  return {
    apiUrl,
    temporalAddress,
    uiUrl: devServer?.uiUrl ?? null,
    adminKey: admin.apiKey ?? null,
    adminKeyFile: keyFile,
    lines,
    workerDone,
    workerStatus: () => worker.getStatus(),
    stop,
  };
}
