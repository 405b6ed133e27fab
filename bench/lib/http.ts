// A small HTTP client for the bench's bots: JSON in and out, with the time each call took.
export interface Reply {
  status: number;
  body: any;
  ms: number;
}

export class Api {
  constructor(readonly base: string) {}

  async call(key: string | null, method: string, url: string, body?: unknown): Promise<Reply> {
    const t0 = performance.now();
    const send = () =>
      fetch(this.base + url, {
        method,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      // A kept-alive connection the server closed while it idled (65 s): the bench's own event loop,
      // busy generating data, had no turn to drop it first (a default run's api module failed so,
      // after 72 s of generating). Sent once more, on a new connection; were it ever a request the
      // server did read, the bench's calls make fresh users and cases, so a spare would be left.
      const code = ((err as Error).cause as { code?: string } | undefined)?.code;
      if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw err;
      res = await send();
    }
    const text = await res.text();
    const ms = performance.now() - t0;
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, ms };
  }

  async must(key: string | null, method: string, url: string, body?: unknown): Promise<any> {
    const res = await this.call(key, method, url, body);
    if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Creates a user through the API (as the administrator) and returns its id and key. */
  async user(adminKey: string, role: string, name: string, expertise?: string[]): Promise<{ id: string; key: string }> {
    const email = `${role}.${name.replace(/\W/g, '').toLowerCase()}.${Math.random().toString(36).slice(2, 10)}@bench.cn`;
    const body = await this.must(adminKey, 'POST', '/users', { email, displayName: name, role, expertise });
    return { id: body.id ?? body.user?.id, key: body.apiKey };
  }
}

export const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
