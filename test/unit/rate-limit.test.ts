// The per-caller rate limit over real HTTP, on a clock the test moves: the IETF draft's headers on
// every answer, a problem answer with Retry-After past the limit, callers counted apart (by key id,
// or by address without one), and a fresh window once the last one has ended.
import type http from 'node:http';
import express from 'express';
import { rateLimit } from '../../api/http/rate-limit';
import { closeServer, listen } from '../../api/server';

let server: http.Server;
let base: string;
let now = 1_000_000;

beforeAll(async () => {
  const app = express();
  app.use(rateLimit(3, 60_000, () => now));
  app.get('/ok', (_req, res) => void res.json({ ok: true }));
  server = await listen(app, '127.0.0.1', 0);
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => closeServer(server));

const get = (key?: string) => fetch(`${base}/ok`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

it('counts each caller apart, refuses the one over its limit with a problem, and resets with the window', async () => {
  // Well-formed keys (the limiter counts by key id; whether the secret is right is for later).
  const a = `pf_${'a'.repeat(16)}_${'s'.repeat(43)}`;
  const b = `pf_${'b'.repeat(16)}_${'s'.repeat(43)}`;
  const first = await get(a);
  expect(first.status).toBe(200);
  expect(first.headers.get('ratelimit-policy')).toBe('3;w=60');
  expect(first.headers.get('ratelimit')).toBe('limit=3, remaining=2, reset=60');
  now += 15_000;
  expect((await get(a)).headers.get('ratelimit')).toBe('limit=3, remaining=1, reset=45');
  expect((await get(a)).status).toBe(200);
  const refused = await get(a);
  expect(refused.status).toBe(429);
  expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(refused.headers.get('retry-after')).toBe('45');
  expect(refused.headers.get('ratelimit')).toBe('limit=3, remaining=0, reset=45');
  expect(await refused.json()).toMatchObject({ status: 429, code: 'RateLimited' });

  // Another key, and a caller without one, each have their own window.
  expect((await get(b)).headers.get('ratelimit')).toBe('limit=3, remaining=2, reset=60');
  expect((await get()).headers.get('ratelimit')).toBe('limit=3, remaining=2, reset=60');

  // The first caller's window ends 60 s after its first request, not before.
  now += 44_999;
  expect((await get(a)).status).toBe(429);
  now += 1;
  const again = await get(a);
  expect(again.status).toBe(200);
  expect(again.headers.get('ratelimit')).toBe('limit=3, remaining=2, reset=60');
});
