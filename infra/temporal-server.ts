// The Temporal server itself (not the dev server) on PostgreSQL: schemas set up with the server's
// SQL tool, the server started from infra/temporal-server/postgres.yaml, the namespace registered.
// scripts/cluster.ts runs it for the multi-process topology; docs/operations.md describes it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { logTail, probeTemporal, waitUntilReady } from './readiness';
import { freePortIn } from './net';
import { PROJECT_ROOT, temporalCliPath, temporalServerPaths } from './tools';

const run = promisify(execFile);

export const TEMPORAL_SERVER_CONFIG = path.join(PROJECT_ROOT, 'infra', 'temporal-server', 'postgres.yaml');

/** Where the Temporal server keeps its state: one PostgreSQL server, two databases on it. */
export interface TemporalPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Persistence (history, executions, tasks); visibility (workflow lists) is the other. */
  database?: string;
  visibilityDatabase?: string;
}

/**
 * Creates the two databases if missing and brings both schemas to the version this server build
 * ships (idempotent: update-schema applies only the versions not yet applied). Run it before
 * starting a new server version: that is the upgrade step as well as the first set-up.
 */
export async function setupTemporalSchemas(pg: TemporalPostgres): Promise<void> {
  const { sqlTool, schemaDir } = temporalServerPaths();
  const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user];
  const env = { ...process.env, SQL_PASSWORD: pg.password };
  const dbs: Array<[string, string]> = [
    [pg.database ?? 'temporal', path.join(schemaDir, 'postgresql', 'v12', 'temporal', 'versioned')],
    [pg.visibilityDatabase ?? 'temporal_visibility', path.join(schemaDir, 'postgresql', 'v12', 'visibility', 'versioned')],
  ];
  for (const [db, dir] of dbs) {
    const tool = async (...args: string[]) => {
      try {
        return await run(sqlTool, [...base, '--db', db, ...args], { env });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`temporal-sql-tool ${args[0]} on ${db} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    };
    // Each step is idempotent: an existing database is kept, the versioning tables are created only
    // if missing, and update-schema applies only the versions not applied yet.
    await tool('create-database');
    await tool('setup-schema', '-v', '0.0');
    await tool('update-schema', '-d', dir);
  }
}

export interface TemporalServerOptions {
  pg: TemporalPostgres;
  /** Directory for the server's log (temporal-server.log). */
  dir: string;
  namespace: string;
  /** How long closed workflow histories are kept. */
  retention?: string;
  historyShards?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface TemporalServer {
  /** The frontend's gRPC address, for TEMPORAL_ADDRESS. */
  address: string;
  /** The server's own Prometheus endpoint. */
  metricsUrl: string;
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts the server (all four services in one process) on free ports, waits until its frontend
 * answers, and registers the namespace unless it exists. Schemas must be set up first.
 */
export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServer> {
  // A port found free can be taken before the server binds it (other processes pick ports too):
  // the server then exits at once, and another set of ports is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTakenError)) throw err;
    }
  }
}

class PortTakenError extends Error {}

/** Ten ports, all below 32768: outside the range the kernel hands out for outgoing connections
 * (32768-60999), and membership ports must fit the server's smallint column anyway. */
async function choosePorts(): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  const names = ['FRONTEND', 'FRONTEND_HTTP', 'HISTORY', 'MATCHING', 'WORKER', 'METRICS',
    'FRONTEND_MEMBERSHIP', 'HISTORY_MEMBERSHIP', 'MATCHING_MEMBERSHIP', 'WORKER_MEMBERSHIP'];
  const taken = new Set<number>();
  for (const name of names) {
    let port: number;
    do port = await freePortIn(20_000, 32_767);
    while (taken.has(port));
    taken.add(port);
    ports[`TS_${name}_PORT`] = port;
  }
  return ports;
}

async function startOnce(opts: TemporalServerOptions): Promise<TemporalServer> {
  const { server } = temporalServerPaths();
  const ports = await choosePorts();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    TS_BIND: '127.0.0.1',
    TS_LOG_LEVEL: opts.logLevel ?? 'warn',
    TS_HISTORY_SHARDS: String(opts.historyShards ?? 4),
    TS_PG_HOST: opts.pg.host,
    TS_PG_PORT: String(opts.pg.port),
    TS_PG_USER: opts.pg.user,
    TS_PG_PASSWORD: opts.pg.password,
    TS_DB: opts.pg.database ?? 'temporal',
    TS_VISIBILITY_DB: opts.pg.visibilityDatabase ?? 'temporal_visibility',
  };
  fs.mkdirSync(opts.dir, { recursive: true });
  const logFile = path.join(opts.dir, 'temporal-server.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(server, ['--config-file', TEMPORAL_SERVER_CONFIG, '--allow-no-auth', 'start'], {
    env,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const address = `127.0.0.1:${ports.TS_FRONTEND_PORT}`;
  try {
    await waitUntilReady({
      name: 'The Temporal server', child, logFile, timeoutMs: 120_000, intervalMs: 500,
      probe: () => probeTemporal(address, (c) => c.workflowService.getSystemInfo({})),
    });
    await registerNamespace(address, opts.namespace, opts.retention ?? '720h');
    // The frontend serves a namespace once its namespace cache has it (refreshed every few seconds):
    // listing workflows goes through that cache, so this waits for exactly that.
    await waitUntilReady({
      name: 'The Temporal server', child, logFile, timeoutMs: 60_000, intervalMs: 500,
      probe: () => probeTemporal(address, (c) => c.workflowService.listWorkflowExecutions({ namespace: opts.namespace, pageSize: 1 })),
    });
  } catch (err) {
    await stop();
    if (/address already in use/.test(logTail(logFile, 200))) {
      fs.appendFileSync(logFile, '\n[launcher] a port was taken before the server bound it: retrying on other ports\n');
      throw new PortTakenError((err as Error).message);
    }
    throw err;
  }
  return { address, metricsUrl: `http://127.0.0.1:${ports.TS_METRICS_PORT}/metrics`, process: child, logFile, stop };
}

/** `temporal operator namespace create` unless the namespace exists (the CLI says so). */
async function registerNamespace(address: string, namespace: string, retention: string): Promise<void> {
  const cli = temporalCliPath(process.env.TEMPORAL_CLI_PATH);
  try {
    await run(cli, ['operator', 'namespace', 'describe', '--address', address, '--namespace', namespace]);
    return;
  } catch {
    // Not there yet: create it below.
  }
  try {
    await run(cli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace, '--retention', retention]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    if (!/already (exists|registered)/i.test(`${e.message}${e.stderr ?? ''}`)) {
      throw new Error(`Registering namespace ${namespace} failed: ${e.message}\n${e.stderr ?? ''}`);
    }
  }
}

