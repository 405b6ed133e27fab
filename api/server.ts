// `npm run api`: the API as its own process, against TEMPORAL_ADDRESS. The app itself is api/app.ts.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { loadConfigOrExit } from '../infra/config';
import { createPrismaClient } from '../infra/db';
import { createReadStore } from '../infra/read-store';
import { createLogger } from '../infra/logger';
import { migrateDatabase } from '../infra/migrate';
import { piiHashKey } from '../infra/pii';
import { connectClient } from '../infra/temporal';
import { createApp } from './app';
import { AppError, PROBLEM_CONTENT_TYPE, problems } from './http/problem';
import { ensureAdmin } from './use-cases/users';

/**
 * Requests Node's HTTP parser refuses before Express sees them (headers or URL over its 16 kB limit,
 * a malformed request line) get the API's one error format too, instead of Node's empty answer.
 */
function answerUnparsable(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const problem = tooLarge
    ? new AppError(431, 'HeadersTooLarge', 'Request headers too large', 'The URL and headers together must stay under 16 kB')
    : problems.badRequest('The request is not valid HTTP');
  const body = JSON.stringify(problem.toProblem());
  socket.end(
    `HTTP/1.1 ${problem.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Listens and resolves once the port is bound. */
export function listen(app: Express, host: string, port: number): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.on('clientError', answerUnparsable);
    // Idle keep-alive connections are left for the client (or proxy) to close: with Node's default
    // of 5 s the server could close one just as a client sent a request on it, which the client
    // sees as "other side closed" — it happened under load in test/reliability.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

async function main() {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'api');
  await migrateDatabase(config.DATABASE_URL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const reads = createReadStore(config.DATABASE_URL, prisma);
  if (config.BOOTSTRAP_ADMIN_EMAIL) {
    await ensureAdmin(prisma, { email: config.BOOTSTRAP_ADMIN_EMAIL, apiKey: config.BOOTSTRAP_ADMIN_API_KEY });
  }
  const temporal = await connectClient(config);
  const app = createApp({ prisma, reads, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger, corsOrigins: config.CORS_ORIGINS, rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE, piiHashKey: piiHashKey(config), idempotencyLeaseMs: config.IDEMPOTENCY_LEASE_MS, workflowWaitMs: config.WORKFLOW_WAIT_MS, authCacheMs: config.AUTH_CACHE_MS, reportMaxAgeMs: config.REPORT_MAX_AGE_MS });
  const server = await listen(app, config.HOST, config.PORT);
  logger.info(`API listening on http://${config.HOST}:${config.PORT}`);

  const stop = async () => {
    logger.info('API stopping');
    await closeServer(server);
    await temporal.connection.close();
    reads.close();
    await prisma.$disconnect();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
