// `npm run cluster`: the system as separate processes, the way it runs in production: PostgreSQL
// (scripts/postgres.sh), the Temporal server on it (infra/temporal-server.ts), two worker processes
// and two API processes over the same Temporal cluster and application database (PostgreSQL too),
// every port chosen free.
// Ctrl-C stops it: APIs, then workers (draining), then Temporal, then PostgreSQL.
// `npm run test:cluster` starts the same topology from nothing and drives cases through it
// (test/cluster). State lives in CLUSTER_DIR (default data/cluster-<time>); kept after a stop.
import { piiHashKey } from '../infra/pii';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateApiKey } from '../api/auth/api-keys';
import { redactedDatabaseUrl } from '../infra/database-url';
import { migrateDatabase } from '../infra/migrate';
import { freePort } from '../infra/net';
import { waitUntilReady } from '../infra/readiness';
import { type TemporalServer, setupTemporalSchemas, startTemporalServer } from '../infra/temporal-server';
import { PROJECT_ROOT } from '../infra/tools';

const run = promisify(execFile);
const POSTGRES_SH = path.join(PROJECT_ROOT, 'scripts', 'postgres.sh');
// scripts/postgres.sh's superuser on its private, loopback-only cluster.
const PG_USER = 'pf';
const PG_PASSWORD = 'pf';

export interface ClusterOptions {
  /** Everything lives here: PostgreSQL's data, the app database, every process's log. */
  dir: string;
  workers?: number;
  apis?: number;
  namespace?: string;
  logLevel?: string;
  /** Tests trade PostgreSQL's durability for speed (fsync off); never for real data. */
  fastUnsafePostgres?: boolean;
  /** Extra environment for the API and worker processes. */
  env?: Record<string, string>;
}

/** One API or worker process of the topology. */
export interface ClusterProcess {
  name: string;
  kind: 'api' | 'worker';
  /** The API's base URL (APIs only). */
  url: string | null;
  /** The worker's Prometheus endpoint (workers only). */
  metricsUrl: string | null;
  child: ChildProcess;
  logFile: string;
  alive(): boolean;
  /** Sends a signal and waits until the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface Cluster {
  dir: string;
  postgres: { port: number; dataDir: string };
  temporal: TemporalServer;
  namespace: string;
  databaseUrl: string;
  adminKey: string;
  apis: ClusterProcess[];
  workers: ClusterProcess[];
  /** Seconds each start-up phase took. */
  timings: Record<string, number>;
  lines: string[];
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  // Under root, PostgreSQL runs as the postgres user, which must reach its data directory.
  fs.chmodSync(dir, 0o755);
  const namespace = opts.namespace ?? 'default';
  const timings: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await work();
    timings[name] = (Date.now() - t0) / 1000;
    return result;
  };
  const started: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop().catch((err) => console.error(err));
    started.length = 0;
  };

  try {
    const pgPort = await freePort();
    const pgData = path.join(dir, 'postgres');
    await phase('postgres', async () => {
      await postgres('start', pgData, String(pgPort), ...(opts.fastUnsafePostgres ? ['--no-fsync'] : []));
    });
    started.push(() => postgres('stop', pgData).then(() => undefined));

    const pg = { host: '127.0.0.1', port: pgPort, user: PG_USER, password: PG_PASSWORD };
    await phase('temporal schemas', () => setupTemporalSchemas(pg));
    const temporal = await phase('temporal server', () =>
      startTemporalServer({ pg, dir, namespace, logLevel: 'warn' }),
    );
    started.push(() => temporal.stop());

    // The application's database (read model, ledger, audit) on the same PostgreSQL server, migrated
    // once before any API starts (each API applies pending migrations at start too: none are left).
    // SQLite does not suit several processes: `prisma migrate deploy` at an API's start fails while
    // another process has the file open.
    await postgres('createdb', String(pgPort), 'programme_flow');
    const databaseUrl = (await postgres('url', String(pgPort), 'programme_flow')).trim();
    await phase('app database', () => migrateDatabase(databaseUrl));

    // The first administrator's key, kept with the state so that a restart on the same directory
    // (which finds the administrator) still prints a key that works.
    const keyFile = path.join(dir, 'admin-api-key');
    if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, `${(await generateApiKey()).key}\n`, { mode: 0o600 });
    const adminKey = fs.readFileSync(keyFile, 'utf8').trim();
    const env: Record<string, string> = {
      LOG_LEVEL: opts.logLevel ?? 'info',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      BOOTSTRAP_ADMIN_EMAIL: 'admin@cluster.local',
      BOOTSTRAP_ADMIN_API_KEY: adminKey,
      // One key for every API process, as production sets it (each would otherwise make its own).
      PII_HASH_KEY: piiHashKey({ DATA_DIR: dir, PII_HASH_KEY: undefined }),
      ...opts.env,
    };
    const apis: ClusterProcess[] = [];
    const workers: ClusterProcess[] = [];
    const stopProcesses = (list: ClusterProcess[]) => async () => {
      await Promise.all(list.filter((p) => p.alive()).map((p) => stopGracefully(p)));
    };
    started.push(stopProcesses(workers));
    started.push(stopProcesses(apis));

    await phase('processes', async () => {
      // APIs one after the other: the first creates the administrator, the others find it. Then
      // the workers, together.
      for (let i = 1; i <= (opts.apis ?? 2); i++) await startApi(dir, `api-${i}`, env, apis);
      const results = await Promise.allSettled(
        Array.from({ length: opts.workers ?? 2 }, (_, i) => startWorker(dir, `worker-${i + 1}`, env, workers)),
      );
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    });

    const lines = [
      `PostgreSQL   127.0.0.1:${pgPort}   data ${pgData}`,
      `Temporal     ${temporal.address}   namespace ${namespace}   metrics ${temporal.metricsUrl}`,
      ...apis.map((a) => `${a.name.padEnd(12)} ${a.url}   (pid ${a.child.pid})`),
      ...workers.map((w) => `${w.name.padEnd(12)} metrics ${w.metricsUrl}   (pid ${w.child.pid})`),
      `App database ${redactedDatabaseUrl(databaseUrl)}`,
      `Logs         ${dir}/*.log`,
    ];
    return {
      dir,
      postgres: { port: pgPort, dataDir: pgData },
      temporal,
      namespace,
      databaseUrl,
      adminKey,
      apis,
      workers,
      timings,
      lines,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function postgres(...args: string[]): Promise<string> {
  try {
    return (await run('bash', [POSTGRES_SH, ...args])).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/postgres.sh ${args[0]} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/** Runs a TypeScript entry point in one node process (tsx as a loader), so that a signal reaches it. */
function spawnEntry(dir: string, name: string, entry: string, env: Record<string, string>) {
  const logFile = path.join(dir, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  // Should the launcher die, do not leave its processes behind.
  process.once('exit', () => alive() && child.kill('SIGKILL'));
  return {
    child,
    logFile,
    alive,
    kill: async (signal: NodeJS.Signals) => {
      if (alive()) child.kill(signal);
      await exited;
    },
  };
}

/** Starts an API process, adds it to `into` at once (so that a failed start still stops it), waits until healthy. */
async function startApi(dir: string, name: string, env: Record<string, string>, into: ClusterProcess[]): Promise<ClusterProcess> {
  const port = await freePort();
  const p = spawnEntry(dir, name, 'api/server.ts', { ...env, HOST: '127.0.0.1', PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const proc: ClusterProcess = { name, kind: 'api', url, metricsUrl: null, ...p };
  into.push(proc);
  await waitFor(proc, 120_000, async () => {
    const res = await fetch(`${url}/healthz`);
    if (res.status !== 200) throw new Error(`healthz ${res.status}`);
  });
  return proc;
}

async function startWorker(dir: string, name: string, env: Record<string, string>, into: ClusterProcess[]): Promise<ClusterProcess> {
  const bind = `127.0.0.1:${await freePort()}`;
  const p = spawnEntry(dir, name, 'worker/main.ts', { ...env, TEMPORAL_METRICS_BIND: bind });
  const proc: ClusterProcess = { name, kind: 'worker', url: null, metricsUrl: `http://${bind}/metrics`, ...p };
  into.push(proc);
  // The worker logs this once it polls (after bundling the workflows, which takes a while).
  await waitFor(proc, 180_000, async () => {
    if (!fs.readFileSync(p.logFile, 'utf8').includes('"msg":"worker running"')) throw new Error('not running yet');
  });
  return proc;
}

/** Waits for `probe`; a process not ready by then is killed, so that nothing outlives the failure. */
async function waitFor(proc: ClusterProcess, ms: number, probe: () => Promise<void>): Promise<void> {
  try {
    await waitUntilReady({ name: proc.name, child: proc.child, logFile: proc.logFile, timeoutMs: ms, probe });
  } catch (err) {
    if (proc.alive()) await proc.kill('SIGKILL');
    throw err;
  }
}

/** SIGTERM (the worker drains its tasks, the API closes its server), SIGKILL after 30 s. */
async function stopGracefully(p: ClusterProcess): Promise<void> {
  const timer = setTimeout(() => p.alive() && p.child.kill('SIGKILL'), 30_000);
  await p.kill('SIGTERM');
  clearTimeout(timer);
}

async function main() {
  const dir = process.env.CLUSTER_DIR ?? path.join('data', `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const t0 = Date.now();
  const cluster = await startCluster({ dir, logLevel: process.env.LOG_LEVEL });
  console.log(`\nProgramme Flow cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s. Ctrl-C stops it.`);
  console.log(`  ${cluster.lines.join('\n  ')}`);
  console.log(`  Admin API key: ${cluster.adminKey}   (also in ${path.join(cluster.dir, 'admin-api-key')})\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: APIs, workers, Temporal, PostgreSQL');
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
