import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Connection } from '@temporalio/client';

/** The last lines of a process's log, each cut to 400 characters, for an error message. */
export function logTail(file: string | undefined, lines = 20): string {
  if (!file) return '';
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => l.slice(0, 400)).join('\n');
  } catch {
    return '';
  }
}

export interface ReadinessWait {
  /** Says who failed in the error: "The Temporal dev server", "api-1". */
  name: string;
  child: ChildProcess;
  logFile?: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Resolves once the process serves; a rejection means not yet. */
  probe: () => Promise<unknown>;
}

/** Polls `probe` until it resolves; fails at once if the process exits, or at the deadline, with its log's tail. */
export async function waitUntilReady(w: ReadinessWait): Promise<void> {
  const deadline = Date.now() + w.timeoutMs;
  const see = () => (w.logFile ? `; see ${w.logFile}:\n${logTail(w.logFile)}` : '');
  for (;;) {
    if (w.child.exitCode !== null || w.child.signalCode !== null) {
      throw new Error(`${w.name} exited (${w.child.exitCode ?? w.child.signalCode})${see()}`);
    }
    try {
      await w.probe();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`${w.name} was not ready within ${w.timeoutMs / 1000} s (${(err as Error).message})${see()}`);
      }
      await new Promise((r) => setTimeout(r, w.intervalMs ?? 250));
    }
  }
}

/**
 * One call on a connection of the probe's own. grpc-js otherwise shares one subchannel per address
 * across the process: while a server is down, every client of it backs that subchannel off (up to
 * 120 s), and a probe on it would not even try until the backoff ran out. A server restarted after
 * 40 s down, with a client calling it meanwhile, was seen 18.8 s late that way (1.3 s on a
 * connection of its own); in the restart test 29 s late, and in CI not within the 60 s allowed.
 */
export async function probeTemporal<T>(address: string, call: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({
    address,
    connectTimeout: 1_000,
    channelArgs: { 'grpc.use_local_subchannel_pool': 1 },
  });
  try {
    return await call(connection);
  } finally {
    await connection.close();
  }
}
