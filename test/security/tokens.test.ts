// Credentials over HTTP: expired, forged and revoked API keys, and keys of disabled users, are all
// refused with one and the same 401 problem (nothing to learn by probing) and write nothing, even
// on a route that would write and with an Idempotency-Key. A key verified once is remembered, and
// its row kept for AUTH_CACHE_MS, yet revocation through the API takes effect on the very next
// request, and expiry or disabling set in the database within AUTH_CACHE_MS. Keys hashed with
// SHA-256 before scrypt keep working and are rehashed on their next use; the bootstrap key works.
import { createHash, randomBytes } from 'node:crypto';
import { CredentialCache, createAuthenticator } from '../../api/auth/authenticate';
import { ensureAdmin } from '../../api/use-cases/users';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { freshDatabase } from '../helpers/db';
import { createReadStore } from '../../infra/read-store';
import { type ApiResponse, type TestSystem, startSystem } from '../helpers/system';

// Short, so that the test of changes made in the database waits little; the default is 2 s.
const AUTH_CACHE_MS = 500;
let sys: TestSystem;
let programmeId: string;
beforeAll(async () => {
  sys = await startSystem({ authCacheMs: AUTH_CACHE_MS });
  const officer = await sys.user('officer');
  programmeId = (await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() })).body.id;
});
afterAll(async () => {
  await sys?.stop();
});

const keyIdOf = (key: string) => key.slice(3, 19);
const secretOf = (key: string) => key.slice(20);
const otherSecret = (key: string) => `${key.slice(0, -4)}${key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;

/** Everything the database holds, row by row, so that "nothing written" is checked, not assumed. */
async function snapshot() {
  const p = sys.db.prisma;
  const [apiKeys, users, audit, idempotency, applications, programmes] = await Promise.all([
    p.apiKey.findMany({ orderBy: { id: 'asc' } }),
    p.user.findMany({ orderBy: { id: 'asc' } }),
    p.auditEntry.count(),
    p.idempotencyRecord.count(),
    p.application.count(),
    p.programme.count(),
  ]);
  return { apiKeys, users, audit, idempotency, applications, programmes };
}

/** The parts of a problem that must not differ between refusals (instance and requestId always do). */
function sameness(res: ApiResponse) {
  const { instance: _i, requestId: _r, ...rest } = res.body as Record<string, unknown>;
  return { status: res.status, contentType: res.headers.get('content-type'), body: rest };
}

/** Calls GET /me with a key until it is refused; how long that took, in milliseconds. */
async function refusedAfter(key: string): Promise<number> {
  const start = Date.now();
  // A generous bound: a loaded machine may be slow, but a key must not outlive its row for ever.
  while (Date.now() - start < AUTH_CACHE_MS + 30_000) {
    if ((await sys.call('GET', '/me', { key })).status === 401) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the key was never refused');
}

/** Tries a credential on a read and on writes; returns what each answered. */
async function attempt(authorization: string | undefined, n: number) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return [
    await sys.call('GET', '/me', { headers }),
    await sys.call('POST', '/applications', { headers: { ...headers, 'idempotency-key': `forged-${n}` }, body: draftBody(programmeId) }),
    await sys.call('POST', '/programmes', { headers: { ...headers, 'idempotency-key': `forged-p-${n}` }, body: programmeBody() }),
  ];
}

it('refuses expired, forged, revoked and disabled credentials with one 401 problem, and writes nothing', async () => {
  const applicant = await sys.user('applicant');
  const other = await sys.user('applicant');
  expect((await sys.call('GET', '/me', { key: applicant.key })).status).toBe(200);

  // Expired: a second key issued through the API, its expiry then set in the past.
  const expiring = await sys.call('POST', `/users/${applicant.id}/api-keys`, { key: sys.adminKey, body: { label: 'expiring' } });
  expect(expiring.status).toBe(201);
  expect((await sys.call('GET', '/me', { key: expiring.body.apiKey })).status).toBe(200);
  await sys.db.prisma.apiKey.update({ where: { id: expiring.body.keyId }, data: { expiresAt: new Date(Date.now() - 1000) } });

  // Revoked: through the API, by its owner.
  const revoking = await sys.call('POST', `/users/${applicant.id}/api-keys`, { key: sys.adminKey, body: { label: 'revoking' } });
  expect((await sys.call('GET', '/me', { key: revoking.body.apiKey })).status).toBe(200);
  expect((await sys.call('DELETE', `/api-keys/${revoking.body.keyId}`, { key: revoking.body.apiKey })).status).toBe(200);

  // Disabled user: the key is fine, the person is not.
  const leaver = await sys.user('officer');
  expect((await sys.call('GET', '/me', { key: leaver.key })).status).toBe(200);
  await sys.db.prisma.user.update({ where: { id: leaver.id }, data: { disabledAt: new Date() } });
  // Changes made in the database reach a key's kept row within AUTH_CACHE_MS (next test).
  await refusedAfter(expiring.body.apiKey);
  await refusedAfter(leaver.key);

  const jwt = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"sub":"${applicant.id}","role":"admin"}`).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  const cases: Record<string, string | undefined> = {
    'no credentials': undefined,
    'an empty header': '',
    'expired key': `Bearer ${expiring.body.apiKey}`,
    'revoked key': `Bearer ${revoking.body.apiKey}`,
    "a disabled user's key": `Bearer ${leaver.key}`,
    'a real key id with a wrong secret': `Bearer ${otherSecret(applicant.key)}`,
    "a right secret with another user's key id": `Bearer pf_${keyIdOf(other.key)}_${secretOf(applicant.key)}`,
    'a right secret with an unknown key id': `Bearer pf_${randomBytes(8).toString('hex')}_${secretOf(applicant.key)}`,
    "the admin's key id with a made-up secret": `Bearer pf_${keyIdOf(sys.adminKey)}_${randomBytes(32).toString('base64url')}`,
    'a truncated key': `Bearer ${applicant.key.slice(0, -1)}`,
    'a key with a character added': `Bearer ${applicant.key}A`,
    'the key id alone': `Bearer pf_${keyIdOf(applicant.key)}`,
    'another scheme (Basic)': `Basic ${Buffer.from(`admin:${applicant.key}`).toString('base64')}`,
    'another scheme (Token)': `Token ${applicant.key}`,
    'no scheme': applicant.key,
    'two tokens': `Bearer ${applicant.key} ${applicant.key}`,
    'a JWT-looking token': `Bearer ${jwt}`,
    'an unsigned JWT': `Bearer ${jwt.split('.').slice(0, 2).join('.')}.`,
    'bearer with nothing': 'Bearer ',
  };

  const before = await snapshot();
  const answers: Record<string, unknown> = {};
  let reference: unknown = null;
  let n = 0;
  for (const [what, authorization] of Object.entries(cases)) {
    for (const res of await attempt(authorization, n++)) {
      const seen = sameness(res);
      reference ??= seen;
      answers[what] = seen.status === 401 && JSON.stringify(seen) === JSON.stringify(reference) ? 'same 401' : seen;
    }
  }
  expect(answers).toEqual(Object.fromEntries(Object.keys(cases).map((k) => [k, 'same 401'])));
  expect(reference).toMatchObject({ status: 401, contentType: expect.stringContaining('application/problem+json'), body: { code: 'Unauthenticated' } });
  expect(await snapshot()).toEqual(before);
});

it('takes revocation into account on the next request, and expiry and disabling set in the database within AUTH_CACHE_MS', async () => {
  // Each key is used (and so remembered as verified, its row kept) just before it is made invalid.
  const user = await sys.user('finance');
  const a = await sys.call('POST', `/users/${user.id}/api-keys`, { key: sys.adminKey, body: { label: 'a' } });
  const b = await sys.call('POST', `/users/${user.id}/api-keys`, { key: sys.adminKey, body: { label: 'b' } });
  for (const k of [a.body.apiKey, b.body.apiKey, user.key]) expect((await sys.call('GET', '/me', { key: k })).status).toBe(200);

  expect((await sys.call('DELETE', `/api-keys/${a.body.keyId}`, { key: sys.adminKey })).status).toBe(200);
  expect((await sys.call('GET', '/me', { key: a.body.apiKey })).status).toBe(401);

  // Set in the database, not through this API: seen once the kept row is read again.
  await sys.db.prisma.apiKey.update({ where: { id: b.body.keyId }, data: { expiresAt: new Date(Date.now() - 1) } });
  expect(await refusedAfter(b.body.apiKey)).toBeLessThan(AUTH_CACHE_MS + 30_000);

  expect((await sys.call('GET', '/me', { key: user.key })).status).toBe(200);
  await sys.db.prisma.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
  expect(await refusedAfter(user.key)).toBeLessThan(AUTH_CACHE_MS + 30_000);
});

it('accepts a key stored as SHA-256 before scrypt, and rehashes it with scrypt on its next use', async () => {
  const secret = randomBytes(32).toString('base64url');
  const keyId = randomBytes(8).toString('hex');
  const legacy = createHash('sha256').update(secret).digest('hex');
  const u = await sys.db.prisma.user.create({ data: { email: `legacy-${keyId}@example.cn`, displayName: 'Legacy', role: 'reviewer' } });
  await sys.db.prisma.apiKey.create({ data: { id: keyId, userId: u.id, secretHash: legacy, label: 'from before' } });
  const key = `pf_${keyId}_${secret}`;

  expect((await sys.call('GET', '/me', { key: otherSecret(key) })).status).toBe(401);
  expect((await sys.db.prisma.apiKey.findUniqueOrThrow({ where: { id: keyId } })).secretHash).toBe(legacy); // a failure upgrades nothing

  expect((await sys.call('GET', '/me', { key })).body).toMatchObject({ id: u.id, role: 'reviewer' });
  const upgraded = (await sys.db.prisma.apiKey.findUniqueOrThrow({ where: { id: keyId } })).secretHash;
  expect(upgraded).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
  expect(upgraded).not.toContain(secret);
  expect((await sys.call('GET', '/me', { key })).status).toBe(200);
  expect((await sys.call('GET', '/me', { key: otherSecret(key) })).status).toBe(401);
});

it('compares a kept row\'s expiry with the clock on every request', async () => {
  const db = freshDatabase();
  const reads = createReadStore(db.url, db.prisma);
  try {
    const made = await ensureAdmin(db.prisma, { email: 'clock@zone.cn' });
    const keyId = keyIdOf(made.apiKey!);
    await db.prisma.apiKey.update({ where: { id: keyId }, data: { expiresAt: new Date(Date.now() + 2_000) } });
    const authenticate = createAuthenticator({ prisma: db.prisma, reads }, new CredentialCache(60_000));
    await expect(authenticate(`Bearer ${made.apiKey}`)).resolves.toMatchObject({ role: 'admin' });
    // The row is kept for a minute; the expiry it carries passes meanwhile.
    await new Promise((r) => setTimeout(r, 2_100));
    await expect(authenticate(`Bearer ${made.apiKey}`)).rejects.toMatchObject({ status: 401 });
  } finally {
    reads.close();
    await db.close();
  }
});

it('lets the bootstrap administrator in with the configured key, stored as scrypt', async () => {
  const db = freshDatabase();
  const reads = createReadStore(db.url, db.prisma);
  try {
    const preset = `pf_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const made = await ensureAdmin(db.prisma, { email: 'root@zone.cn', apiKey: preset });
    expect(made).toEqual({ created: true, email: 'root@zone.cn', apiKey: undefined });
    const row = await db.prisma.apiKey.findUniqueOrThrow({ where: { id: keyIdOf(preset) } });
    expect(row.secretHash).toMatch(/^scrypt\$/);
    const authenticate = createAuthenticator({ prisma: db.prisma, reads });
    await expect(authenticate(`Bearer ${preset}`)).resolves.toMatchObject({ role: 'admin' });
    await expect(authenticate(`Bearer ${otherSecret(preset)}`)).rejects.toMatchObject({ status: 401 });
  } finally {
    reads.close();
    await db.close();
  }
});
