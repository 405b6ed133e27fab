import type { RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { parseApiKey } from '../auth/api-keys';
import { AppError, PROBLEM_CONTENT_TYPE } from './problem';

interface Window {
  hits: number;
  resetAt: number;
}

/**
 * Requests per minute per caller: by API key id when one is sent, by address otherwise (an IPv6
 * address by its /56, as express-rate-limit's helper groups it). Each caller's window starts at its
 * first request; the answer carries the IETF draft's combined `RateLimit` and `RateLimit-Policy`
 * headers (draft 7), and a refusal `Retry-After`.
 *
 * Written here rather than with express-rate-limit (which this replaced, same headers and answers):
 * its middleware awaits five times a request (skip, key, store, limit, handler), and in this process
 * every promise passes through the async hooks that the Temporal client's deadline scope turns on;
 * measured on one case read (bench/README.md), the limiter cost ~15% of the request. This one is a
 * Map lookup and two headers, synchronous.
 */
export function rateLimit(perMinute: number, windowMs = 60_000, now: () => number = Date.now): RequestHandler {
  const windows = new Map<string, Window>();
  const policy = `${perMinute};w=${Math.ceil(windowMs / 1000)}`;
  // Windows that ended are dropped once a window, so that callers seen once are not kept for ever.
  let sweptAt = now();
  const sweep = (t: number) => {
    if (t - sweptAt < windowMs) return;
    sweptAt = t;
    for (const [key, w] of windows) if (w.resetAt <= t) windows.delete(key);
  };
  return (req, res, next) => {
    const t = now();
    sweep(t);
    const token = req.headers.authorization?.split(' ')[1];
    const keyId = token ? parseApiKey(token)?.keyId : undefined;
    const key = keyId ? `key:${keyId}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    let w = windows.get(key);
    if (!w || w.resetAt <= t) {
      w = { hits: 0, resetAt: t + windowMs };
      windows.set(key, w);
    }
    w.hits += 1;
    const resetS = Math.max(0, Math.ceil((w.resetAt - t) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `limit=${perMinute}, remaining=${Math.max(perMinute - w.hits, 0)}, reset=${resetS}`);
    if (w.hits <= perMinute) return next();
    res.setHeader('Retry-After', String(resetS));
    const problem = new AppError(429, 'RateLimited', 'Too many requests', `At most ${perMinute} requests a minute; retry after the interval`);
    res.status(429).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.toProblem(req.originalUrl, String(req.id))));
  };
}
