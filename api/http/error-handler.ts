import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';
import { Prisma } from '../../generated/prisma/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isBusinessProblemCode } from '../../shared';
import type { PrismaClient } from '../../infra/db';
import type { Logger } from '../../infra/logger';
import { isRetryableConflict } from '../../infra/transaction';
import { keepAnswer } from './idempotency';
import type { AnyRoute } from './route';
import { AppError, PROBLEM_CONTENT_TYPE, problems } from './problem';

/** Maps anything thrown by a route to one problem+json response. */
function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  // A workflow update refused by its validator or handler: a business rule, with its own status.
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const code = err.cause.type;
    if (isBusinessProblemCode(code)) return problems.business(code, err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError) return problems.notFound('case');
  if (isPastDeadline(err)) {
    return problems.unavailable('The case did not answer in time; the action may still take effect: retry with the same Idempotency-Key to get its outcome');
  }
  if (isUnavailable(err)) return problems.unavailable('A service the API depends on is not answering; retry the request (with the same Idempotency-Key)');
  // Errors from express.json(): bad JSON, a body too large, an unsupported charset or encoding.
  const e = err as { type?: string; status?: number };
  if (e?.type === 'entity.too.large' || e?.status === 413) return problems.tooLarge();
  if (e?.type === 'entity.parse.failed') return problems.badRequest('The body is not valid JSON');
  if (e?.status === 415) return problems.unsupportedMediaType();
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return problems.badRequest((err as Error).message);
  }
  return null;
}

/** A call to Temporal that outlived the request's deadline (api/http/route.ts). */
function isPastDeadline(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  return isGrpcDeadlineError(err) || (err instanceof ServiceError && isGrpcDeadlineError(err.cause));
}

// gRPC codes a retry can cure: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED.
const TRANSIENT_GRPC = new Set([14, 4, 8, 10]);
// Prisma: timed out, cannot reach or lost the server, connection pool exhausted.
const TRANSIENT_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/**
 * Whether a request failed because Temporal or the database was down, busy or too slow to answer
 * (a call past the request's deadline is isPastDeadline's, asked first):
 * nothing was decided, so the caller is told to retry (503) rather than that we broke (500).
 */
function isUnavailable(err: unknown): boolean {
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : null;
  if (grpc) return TRANSIENT_GRPC.has(grpc.code);
  if (err instanceof Prisma.PrismaClientKnownRequestError) return TRANSIENT_PRISMA.has(err.code) || isRetryableConflict(err) || isLostConnection(err);
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  return isLostConnection(err);
}

// PostgreSQL: the connection was terminated, the server is shutting down or starting, or refuses
// more connections; node-postgres: the socket went away.
const LOST_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '53300']);
const LOST_CONNECTION_KINDS = new Set(['ConnectionClosed', 'DatabaseNotReachable', 'SocketTimeout', 'TooManyConnections']);

/** A database connection lost mid-request, however the driver adapter wrapped it. */
function isLostConnection(err: unknown): boolean {
  for (let e = err as Record<string, any> | undefined, depth = 0; e && depth < 5; e = e.cause, depth++) {
    const adapter = e.meta?.driverAdapterError?.cause ?? (e.name === 'DriverAdapterError' ? e.cause : undefined);
    if (adapter && (LOST_CONNECTION_KINDS.has(adapter.kind) || LOST_CONNECTION_CODES.has(adapter.originalCode))) return true;
    if (LOST_CONNECTION_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && /Connection terminated|terminating connection|connection error and is not queryable|ECONNRESET|ECONNREFUSED|Server has closed the connection/.test(e.message)) return true;
  }
  return false;
}

export function errorHandler(logger: Logger, prisma: PrismaClient): ErrorRequestHandler {
  return async (err, req, res, _next) => {
    const known = toAppError(err);
    const requestId = String(req.id);
    if (!known) {
      logger.error({ err, requestId }, 'unhandled error');
    }
    const problem = known
      ? known.toProblem(req.originalUrl, requestId)
      : {
          type: 'urn:programme-flow:problem:InternalError',
          title: 'Internal error',
          status: 500,
          detail: 'Something went wrong on our side; quote the request id when reporting it',
          instance: req.originalUrl,
          code: 'InternalError',
          requestId,
        };
    const text = JSON.stringify(problem);
    await keepAnswer(prisma, res.locals, problem.status, () => text).catch((e: unknown) => logger.error({ err: e }, 'could not keep an idempotent answer'));
    if (problem.status === 503) res.setHeader('retry-after', '1');
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(text);
  };
}

/**
 * After every route: a path the API has, asked with a method it does not take, is a 405 naming the
 * methods it does take (RFC 9110 15.5.6); any other path is a 404.
 */
export function notFoundHandler(routes: ReadonlyArray<Pick<AnyRoute, 'method' | 'path'>>): RequestHandler {
  const paths = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const r of routes) {
    const entry = paths.get(r.path) ?? { pattern: new RegExp(`^${r.path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`, 'i'), methods: new Set<string>() };
    entry.methods.add(r.method.toUpperCase());
    // Express answers HEAD with the GET route; the CORS middleware answers OPTIONS everywhere.
    if (r.method === 'get') entry.methods.add('HEAD');
    entry.methods.add('OPTIONS');
    paths.set(r.path, entry);
  }
  return (req, res, next) => {
    const allowed = new Set<string>();
    for (const { pattern, methods } of paths.values()) if (pattern.test(req.path)) methods.forEach((m) => allowed.add(m));
    if (allowed.size > 0 && !allowed.has(req.method)) {
      res.setHeader('allow', [...allowed].sort().join(', '));
      return next(new AppError(405, 'MethodNotAllowed', 'Method not allowed', `${req.path} takes ${[...allowed].sort().join(', ')}, not ${req.method}`));
    }
    next(new AppError(404, 'NotFound', 'Not found', `No route for ${req.method} ${req.path}`));
  };
}
