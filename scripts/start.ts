// `npm start`: the whole system on its embedded default, in one process tree: the Temporal dev
// server (persisted under data/, with its web UI), the worker and the API, on SQLite under data/.
// With TEMPORAL_ADDRESS set, no dev server starts and the worker and API use that cluster.
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { closeServer, listen } from '../api/server';
import { createApp } from '../api/app';
import { ensureAdmin } from '../api/use-cases/users';
import { loadConfigOrExit } from '../infra/config';
import { createPrismaClient } from '../infra/db';
import { createLogger } from '../infra/logger';
import { migrateDatabase } from '../infra/migrate';
import { connectClient, connectWorker } from '../infra/temporal';
import { type DevServer, startDevServer } from '../infra/temporal-dev-server';
import { temporalCliPath } from '../infra/tools';
import { createWorker } from '../worker/worker';

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

async function main() {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'programme-flow');
  // We stop the worker ourselves, in order, below.
  Runtime.install({ shutdownSignals: [] });
  const dataDir = path.resolve(config.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });

  let devServer: DevServer | null = null;
  if (!config.TEMPORAL_ADDRESS) {
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
    config.TEMPORAL_ADDRESS = devServer.address;
  }

  await migrateDatabase(config.DATABASE_URL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const admin = await ensureAdmin(prisma, { email: config.BOOTSTRAP_ADMIN_EMAIL, apiKey: config.BOOTSTRAP_ADMIN_API_KEY });
  if (admin.apiKey) {
    const keyFile = path.join(dataDir, 'admin-api-key');
    fs.writeFileSync(keyFile, `${admin.apiKey}\n`, { mode: 0o600 });
    logger.info(`Created administrator ${admin.email}; API key saved to ${keyFile} (shown once): ${admin.apiKey}`);
  }

  const workerConnection = await connectWorker(config);
  const worker = await createWorker({
    connection: workerConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    prisma,
  });
  const workerDone = worker.run();

  const temporal = await connectClient(config);
  const app = createApp({ prisma, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger });
  const server = await listen(app, config.HOST, config.PORT);

  const lines = [
    `API          http://${config.HOST}:${config.PORT}   (health: /healthz)`,
    `Temporal     ${config.TEMPORAL_ADDRESS}   namespace ${config.TEMPORAL_NAMESPACE}${devServer ? ' (embedded dev server)' : ''}`,
    devServer?.uiUrl ? `Temporal UI  ${devServer.uiUrl}` : null,
    `Worker       task queue ${config.TEMPORAL_TASK_QUEUE}`,
    `Database     ${config.databaseFile}`,
  ].filter(Boolean);
  console.log(`\nProgramme Flow is running. Ctrl-C stops it.\n  ${lines.join('\n  ')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: API, then worker (draining), then Temporal');
    await closeServer(server);
    worker.shutdown();
    await workerDone;
    await temporal.connection.close();
    await workerConnection.close();
    await prisma.$disconnect();
    await devServer?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await workerDone.catch(async (err) => {
    logger.fatal({ err }, 'worker failed');
    await devServer?.stop();
    process.exit(1);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
