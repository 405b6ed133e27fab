import type { Express } from 'express';
import { createApp } from '../../api/app';
import { routes } from '../../api/routes';
import { createLogger } from '../../infra/logger';
import { type TestSystem, startSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

/** Every method and path Express will answer, read from the app's router itself. */
function expressRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Array<{ route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }>) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) found.push(`${m} ${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack as never);
      }
    }
  };
  walk((app as unknown as { router: { stack: never[] } }).router.stack);
  return found;
}

describe('the OpenAPI document', () => {
  it('is served at /openapi.json and rendered at /docs', async () => {
    const doc = await sys.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const docs = await fetch(`${sys.baseUrl}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    // A page, with the page's policy: its own script and styles only.
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(docs.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('documents every route Express answers, with its roles and its error responses', async () => {
    const doc = (await sys.call('GET', '/openapi.json')).body;
    const app = createApp({ prisma: sys.db.prisma, temporal: sys.client, taskQueue: sys.taskQueue, logger: createLogger('silent'), piiHashKey: 'k'.repeat(32) });
    const served = expressRoutes(app).filter((r) => !r.endsWith('/openapi.json'));
    expect(served.length).toBeGreaterThan(40);
    for (const r of served) {
      const [method, path] = r.split(' ') as [string, string];
      const op = doc.paths[path!.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[method];
      expect({ route: r, documented: Boolean(op) }).toEqual({ route: r, documented: true });
    }
    for (const route of routes) {
      const op = doc.paths[route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')][route.method];
      expect(op['x-roles']).toEqual(route.auth === 'public' ? [] : [...route.auth]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '404', '500']));
      if (route.auth !== 'public') expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
      if (route.body) expect(op.requestBody.content['application/json'].schema).toBeDefined();
      for (const p of op.parameters.filter((x: { in: string }) => x.in === 'path')) expect(route.path).toContain(`:${p.name}`);
    }
  });

  it('describes request bodies with the constraints the validators enforce', async () => {
    const doc = (await sys.call('GET', '/openapi.json')).body;
    const body = doc.paths['/applications'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['programmeId', 'title', 'field', 'requestedFen']));
    expect(body.properties.requestedFen).toMatchObject({ type: 'integer', minimum: 0 });
    expect(body.additionalProperties).toBe(false);
  });
});
