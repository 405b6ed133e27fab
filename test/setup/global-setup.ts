// Once per test run: one workflow bundle, one migrated template database, one Temporal dev server.
// Each test file then copies the template into a database of its own and runs its own worker on
// its own task queue, so files neither share state nor depend on order.
// PF_TEST_DATABASE=postgres (npm run test:postgres): the template and the copies live in a private
// PostgreSQL cluster started here (scripts/postgres.sh) instead of SQLite files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrateDatabase } from '../../infra/migrate';
import { startDevServer } from '../../infra/temporal-dev-server';
import { temporalCliPath } from '../../infra/tools';
import { freePort } from '../../infra/net';
import { type PostgresCluster, startPostgresCluster, testingOnPostgres } from '../helpers/postgres';

const POSTGRES_TEMPLATE = 'pf_template';

export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'programme-flow-test-'));
  process.env.PF_TEST_DIR = dir;
  const [bundle, , devServer] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger }),
    testingOnPostgres() ? postgresTemplate(dir) : migrateDatabase(`file:${path.join(dir, 'template.db')}`),
    freePort().then((port) =>
      startDevServer({
        cliPath: temporalCliPath(process.env.TEMPORAL_CLI_PATH),
        port,
        logFile: path.join(dir, 'temporal-dev-server.log'),
      }),
    ),
  ]);
  fs.writeFileSync(path.join(dir, 'workflows.js'), bundle.code);

  process.env.PF_TEST_TEMPLATE_DB = path.join(dir, 'template.db');
  process.env.PF_TEST_WORKFLOW_BUNDLE = path.join(dir, 'workflows.js');
  process.env.PF_TEST_TEMPORAL_ADDRESS = devServer.address;
  (globalThis as { __pfDevServer?: typeof devServer }).__pfDevServer = devServer;
}

async function postgresTemplate(dir: string): Promise<void> {
  const cluster: PostgresCluster = await startPostgresCluster(dir);
  (globalThis as { __pfPostgres?: PostgresCluster }).__pfPostgres = cluster;
  cluster.createDatabase(POSTGRES_TEMPLATE);
  await migrateDatabase(cluster.url(POSTGRES_TEMPLATE));
  process.env.PF_TEST_POSTGRES_PORT = String(cluster.port);
  process.env.PF_TEST_POSTGRES_TEMPLATE = POSTGRES_TEMPLATE;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string, meta?: unknown) {
    console.warn(message, meta ?? '');
  },
  error(message: string, meta?: unknown) {
    console.error(message, meta ?? '');
  },
};
