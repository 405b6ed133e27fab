// The authorisation matrix, generated from the routes' own role declarations: every route × every
// role, over HTTP. A role a route does not declare is refused with 403 before anything else
// happens; a declared role gets past authorisation (to validation, a 404, or an answer); nobody
// without a key gets past a protected route.
import { randomUUID } from 'node:crypto';
import { routes } from '../../api/routes';
import { ROLES, type Role } from '../../shared';
import { type TestSystem, startSystem } from '../helpers/system';

let sys: TestSystem;
const keys = {} as Record<Role, string>;

beforeAll(async () => {
  sys = await startSystem();
  for (const role of ROLES) keys[role] = role === 'admin' ? sys.adminKey : (await sys.user(role)).key;
});
afterAll(async () => {
  await sys?.stop();
});

/** A concrete path for a route: a fresh id for every parameter, in the shape the route expects. */
function concrete(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) =>
    name === 'keyId' ? 'abcdef0123456789' : name === 'code' ? 'T1' : name === 'id' ? randomUUID() : `x-${randomUUID()}`,
  );
}

async function call(route: (typeof routes)[number], key?: string) {
  return sys.call(route.method.toUpperCase(), concrete(route.path), { key, body: route.method === 'get' ? undefined : {} });
}

it('refuses every undeclared role with 403 and lets every declared role past authorisation', async () => {
  const cells: string[] = [];
  for (const route of routes) {
    if (route.auth === 'public') continue;
    for (const role of ROLES) {
      const res = await call(route, keys[role]);
      const allowed = route.auth.includes(role);
      const ok = allowed ? res.status !== 401 && res.status !== 403 : res.status === 403 && res.body.code === 'Forbidden';
      cells.push(`${ok ? 'ok  ' : 'FAIL'} ${route.method.toUpperCase()} ${route.path} as ${role}: ${res.status}`);
    }
  }
  expect(cells.filter((c) => c.startsWith('FAIL'))).toEqual([]);
  expect(cells.length).toBeGreaterThan(250);
});

it('answers 401 on every protected route without a key, and lets public routes through', async () => {
  for (const route of routes) {
    const res = await call(route);
    if (route.auth === 'public') expect({ route: route.path, status: res.status === 401 }).toEqual({ route: route.path, status: false });
    else expect({ route: route.path, code: res.body.code }).toEqual({ route: route.path, code: 'Unauthenticated' });
  }
});
