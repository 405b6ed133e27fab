// The request log over real HTTP: the request id honoured or made, one line per request at the
// level its outcome deserves, credentials censored, and nothing written below the logger's level.
import type http from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { requestLog } from '../../api/http/request-log';
import { closeServer, listen } from '../../api/server';
import { createLogger } from '../../infra/logger';

async function withApp(level: string, f: (base: string, lines: Array<Record<string, any>>) => Promise<void>) {
  const lines: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const app = express();
  app.use(requestLog(createLogger(level, 'request-log-test', sink)));
  app.get('/ok', (req, res) => void res.json({ id: req.id }));
  app.get('/missing', (_req, res) => void res.status(404).end());
  app.get('/broken', (_req, res) => void res.status(500).end());
  // Answers only after its caller has gone.
  app.get('/slow', (_req, res) => void res.on('close', () => undefined));
  const server: http.Server = await listen(app, '127.0.0.1', 0);
  try {
    await f(`http://127.0.0.1:${(server.address() as { port: number }).port}`, lines);
  } finally {
    await closeServer(server);
  }
}

it('echoes a safe caller id, replaces an unsafe one, and logs each request once at its level', async () => {
  await withApp('info', async (base, lines) => {
    const own = await fetch(`${base}/ok`, { headers: { 'x-request-id': 'caller-7.a_b', authorization: 'Bearer pf_secret' } });
    expect(own.headers.get('x-request-id')).toBe('caller-7.a_b');
    expect(await own.json()).toEqual({ id: 'caller-7.a_b' });
    const unsafe = await fetch(`${base}/ok`, { headers: { 'x-request-id': 'bad id\twith tab' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await fetch(`${base}/missing`);
    await fetch(`${base}/broken`);
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.res.statusCode, l.req.url, l.msg])).toEqual([
      [30, 200, '/ok', 'request completed'],
      [30, 200, '/ok', 'request completed'],
      [40, 404, '/missing', 'request completed'],
      [50, 500, '/broken', 'request completed'],
    ]);
    expect(lines[0]).toMatchObject({ reqId: 'caller-7.a_b', req: { method: 'GET', headers: { authorization: '[redacted]' } } });
    expect(typeof lines[0]!.responseTime).toBe('number');
  });
});

it('writes nothing below the logger level', async () => {
  await withApp('error', async (base, lines) => {
    await fetch(`${base}/ok`);
    await fetch(`${base}/missing`);
    await fetch(`${base}/broken`);
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.res.statusCode)).toEqual([500]);
  });
});

it('logs a caller that hangs up before its answer once, at info, with the status it would have had', async () => {
  await withApp('info', async (base, lines) => {
    const gone = new AbortController();
    const pending = fetch(`${base}/slow`, { signal: gone.signal }).catch((err: Error) => err.name);
    await new Promise((r) => setTimeout(r, 100));
    gone.abort();
    expect(await pending).toBe('AbortError');
    for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.map((l) => [l.level, l.res.statusCode, l.req.url, l.msg])).toEqual([[30, 200, '/slow', 'request closed before its answer was sent']]);
  });
});
