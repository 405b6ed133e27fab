import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import { parseApiKey } from '../auth/api-keys';
import { AppError, PROBLEM_CONTENT_TYPE } from './problem';

const KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Idempotency-Key on POST: the first request with a key runs and its answer is kept; the same
 * request again gets that answer back (Idempotent-Replayed: true) and changes nothing. The same key
 * with another body is refused (422), and so is a key whose first request is still running (409).
 * Keys are scoped to the caller's API key.
 *
 * A first request that never finished (its API process crashed, or lost the database mid-answer)
 * would block its key for ever; after `leaseMs` a retry takes the record over and runs again.
 * Running again acts once: workflow actions carry an update id derived from the key, so Temporal
 * answers a repeated update with the first one's outcome.
 */
export function idempotency(prisma: PrismaClient, leaseMs = 60_000): RequestHandler {
  // Not an async function itself: most requests pass straight through, without a promise made.
  return (req, res, next) => {
    const key = req.header('idempotency-key');
    if (req.method !== 'POST' || key === undefined) return next();
    void claim(req, res, next, key);
  };

  async function claim(req: Request, res: Response, next: NextFunction, key: string): Promise<void> {
    try {
      if (!KEY.test(key)) throw new AppError(400, 'BadIdempotencyKey', 'The Idempotency-Key is not valid', 'Use 1 to 200 letters, digits and . _ : -');
      const token = req.header('authorization')?.split(' ')[1];
      const scope = (token && parseApiKey(token)?.keyId) || 'public';
      const requestHash = createHash('sha256').update(`${req.method} ${req.originalUrl}\n`).update(JSON.stringify(req.body ?? null)).digest('hex');
      try {
        await prisma.idempotencyRecord.create({ data: { scope, key, requestHash } });
      } catch (err) {
        if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
        const first = await prisma.idempotencyRecord.findUniqueOrThrow({ where: { scope_key: { scope, key } } });
        if (first.requestHash !== requestHash) {
          throw new AppError(422, 'IdempotencyKeyReused', 'The Idempotency-Key was used for another request', 'Use a new key for a different request');
        }
        if (first.status === null && !(await takeOverStale(prisma, scope, key, leaseMs))) {
          throw new AppError(409, 'IdempotencyKeyInProgress', 'The first request with this Idempotency-Key is still running', 'Retry shortly');
        }
        if (first.status === null) {
          res.locals.idempotency = { scope, key };
          return next();
        }
        res.status(first.status).setHeader('idempotent-replayed', 'true');
        res.type(first.status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json').send(first.body ?? '');
        return;
      }
      res.locals.idempotency = { scope, key };
      next();
    } catch (err) {
      next(err);
    }
  }
}

/** Claims an in-flight record older than the lease; true for exactly one of several racing retries. */
async function takeOverStale(prisma: PrismaClient, scope: string, key: string, leaseMs: number): Promise<boolean> {
  const now = new Date();
  const { count } = await prisma.idempotencyRecord.updateMany({
    where: { scope, key, status: null, createdAt: { lt: new Date(now.getTime() - leaseMs) } },
    data: { createdAt: now },
  });
  return count === 1;
}

/** A stable id for the operation an Idempotency-Key names (the same for every retry), if any. */
export function idempotentUpdateId(locals: Record<string, unknown>): string | undefined {
  const id = locals.idempotency as { scope: string; key: string } | undefined;
  return id && `idempotent-${createHash('sha256').update(`${id.scope}\n${id.key}`).digest('hex').slice(0, 40)}`;
}

/**
 * Keeps the answer to an idempotent request before it is sent, so that a retry arriving the moment
 * after finds it; once kept (in the transaction of the request's write, see RouteContext.keepAnswer),
 * it stays. A 5xx answer is not kept: the record is dropped if nothing was kept, and the retry runs
 * again.
 */
export async function keepAnswer(prisma: Pick<PrismaClient, 'idempotencyRecord'>, locals: Record<string, unknown>, status: number, body: () => string): Promise<void> {
  const id = locals.idempotency as { scope: string; key: string } | undefined;
  // The answer is written out for keeping only when there is a key to keep it under.
  if (!id) return;
  const { scope, key } = id;
  if (status >= 500) {
    await prisma.idempotencyRecord.deleteMany({ where: { scope, key, status: null } });
    return;
  }
  // Kept again after the handler when the handler kept it already: the same answer, and no flag
  // to trust (a transaction that kept it may have been rolled back and run again).
  await prisma.idempotencyRecord.update({ where: { scope_key: { scope, key } }, data: { status, body: body() } });
}
