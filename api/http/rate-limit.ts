import { rateLimit as limiter, ipKeyGenerator } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { parseApiKey } from '../auth/api-keys';
import { AppError, PROBLEM_CONTENT_TYPE } from './problem';

/** Requests per minute per caller: by API key id when one is sent, by address otherwise. */
export function rateLimit(perMinute: number): RequestHandler {
  return limiter({
    windowMs: 60_000,
    limit: perMinute,
    // The IETF draft's combined `RateLimit` header (draft 7). Draft 8 adds a partition key to the
    // policy header, a SHA-256 of the caller's key computed on every request.
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const token = req.headers.authorization?.split(' ')[1];
      const keyId = token ? parseApiKey(token)?.keyId : undefined;
      return keyId ? `key:${keyId}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: (req, res) => {
      const problem = new AppError(429, 'RateLimited', 'Too many requests', `At most ${perMinute} requests a minute; retry after the interval`);
      res.status(429).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.toProblem(req.originalUrl, String(req.id))));
    },
  });
}
