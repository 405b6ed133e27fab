import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createReadStore } from '../../infra/read-store';
import { createApp } from '../../api/app';
import { closeServer, listen } from '../../api/server';
import { createUser, ensureAdmin } from '../../api/use-cases/users';
import { type Logger, createLogger } from '../../infra/logger';
import { CLIENT_CHANNEL_ARGS } from '../../infra/temporal';
import { ensureDispatcher } from '../../worker/worker';
import type { Role } from '../../shared';
import { type TestDatabase, freshDatabase } from './db';
import { NativeConnection, devServerAddress, startWorker, uniqueTaskQueue } from './temporal';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A running system for one test file: its own database, worker and API, on the shared dev server. */
export interface TestSystem {
  baseUrl: string;
  db: TestDatabase;
  client: Client;
  taskQueue: string;
  adminKey: string;
  /** The key of the keyed hash of identity numbers this system's API uses. */
  piiHashKey: string;
  /** Creates a user with a role and returns its id and API key. */
  user(role: Role, email?: string): Promise<{ id: string; key: string }>;
  /** Calls the API over HTTP with a key (or none). */
  call<T = any>(method: string, path: string, opts?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

let emails = 0;

export async function startSystem(
  opts: {
    rateLimitPerMinute?: number;
    corsOrigins?: string[];
    smtpUrl?: string;
    dispatcher?: boolean;
    /** false: no worker in this process (the test runs worker processes of its own on `taskQueue`). */
    inProcessWorker?: boolean;
    idempotencyLeaseMs?: number;
    /** How long a request waits on Temporal before answering 503 (30 s by default). */
    workflowWaitMs?: number;
    authCacheMs?: number;
    /** Another Temporal server than the shared dev server (a test that restarts its own). */
    temporalAddress?: string;
    /** How long SQLite waits for another connection's lock before answering busy. */
    dbLockTimeoutMs?: number;
    logger?: Logger;
  } = {},
): Promise<TestSystem> {
  const db = freshDatabase(opts.dbLockTimeoutMs);
  const address = opts.temporalAddress ?? devServerAddress();
  const workerConnection = await NativeConnection.connect({ address });
  const notify = opts.smtpUrl ? { smtpUrl: opts.smtpUrl, from: 'Programme Flow <test@programme-flow.local>' } : undefined;
  const worker =
    opts.inProcessWorker === false
      ? { taskQueue: uniqueTaskQueue(), stop: async () => undefined }
      : await startWorker(workerConnection, db.prisma, undefined, notify);
  // The API's channel settings, so that a test that restarts Temporal sees what the API would.
  const connection = await Connection.connect({ address, channelArgs: CLIENT_CHANNEL_ARGS });
  const client = new Client({ connection, namespace: 'default' });
  const piiHashKey = randomBytes(32).toString('base64url');
  // The entry points' read store: plain SQLite on the embedded default, Prisma's raw queries on PostgreSQL.
  const reads = createReadStore(db.url, db.prisma);
  const app = createApp({
    prisma: db.prisma,
    reads,
    temporal: client,
    taskQueue: worker.taskQueue,
    logger: opts.logger ?? createLogger('silent'),
    piiHashKey,
    // Tests poll hard; the limit itself has its own test.
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 1_000_000,
    corsOrigins: opts.corsOrigins,
    idempotencyLeaseMs: opts.idempotencyLeaseMs,
    workflowWaitMs: opts.workflowWaitMs,
    authCacheMs: opts.authCacheMs,
  });
  const server: http.Server = await listen(app, '127.0.0.1', 0);
  const { port } = server.address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;
  const admin = await ensureAdmin(db.prisma, {});
  if (opts.dispatcher) await ensureDispatcher(client, worker.taskQueue, 200);

  const call: TestSystem['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };

  return {
    baseUrl,
    db,
    client,
    taskQueue: worker.taskQueue,
    adminKey: admin.apiKey!,
    piiHashKey,
    async user(role, email = `${role}-${++emails}-${Date.now()}@example.cn`) {
      const { user, apiKey } = await createUser(db.prisma, null, { email, displayName: `${role} ${emails}`, role });
      return { id: user.id, key: apiKey };
    },
    call,
    async stop() {
      await closeServer(server);
      await worker.stop();
      await connection.close();
      await workerConnection.close();
      reads.close();
      await db.close();
    },
  };
}
