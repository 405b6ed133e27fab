import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { probeTemporal, waitUntilReady } from './readiness';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file that persists the server's state; in memory when absent. */
  dbFile?: string;
  ip?: string;
  port: number;
  /** Web UI port; no UI when absent. */
  uiPort?: number;
  namespace?: string;
  /** Where the server's own output goes; discarded when absent. */
  logFile?: string;
  /** Run in its own process group, so that a terminal's Ctrl-C does not reach it. */
  detached?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The dev server's SQLite file otherwise keeps a rollback journal: each commit fsyncs the journal
 * and the database and shuts readers out while it writes, and that was the floor of every workflow
 * task and activity round trip on the embedded default (bench/README.md, the fourth session). A
 * write-ahead log commits with one fsync and lets reads go on beside the writer; `synchronous=full`
 * keeps that fsync, so a commit the server acknowledged survives a power cut as before.
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=full'] as const;

/**
 * Starts `temporal server start-dev` as a child process and waits until it answers.
 * Update-with-start needs the multi-operation API, which older servers keep behind a flag.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(opts.port),
    '--namespace', opts.namespace ?? 'default',
    '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
  ];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile, ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]));
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');

  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', out, out], detached: opts.detached ?? false });
  const address = `${ip}:${opts.port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };

  try {
    await waitUntilReady({
      name: 'The Temporal dev server',
      child,
      logFile: opts.logFile,
      timeoutMs: 60_000,
      probe: () => probeTemporal(address, (c) => c.workflowService.describeNamespace({ namespace: opts.namespace ?? 'default' })),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl: opts.uiPort ? `http://${ip}:${opts.uiPort}` : null, process: child, stop };
}
