// Safe by construction: Idempotency-Key replays, security headers, CORS by configuration, rate limits.
import { draftBody, programmeBody } from '../helpers/fixtures';
import { type TestSystem, startSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem({ rateLimitPerMinute: 40, corsOrigins: ['https://portal.zone.gov.cn'] });
});
afterAll(async () => {
  await sys?.stop();
});

describe('Idempotency-Key', () => {
  it('returns the first answer to a replay and creates nothing twice, sequentially and concurrently', async () => {
    const officer = await sys.user('officer');
    const body = programmeBody();
    const headers = { 'idempotency-key': `create-${body.code}` };
    const first = await sys.call('POST', '/programmes', { key: officer.key, body, headers });
    const again = await sys.call('POST', '/programmes', { key: officer.key, body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await sys.db.prisma.programme.count({ where: { code: body.code } })).toBe(1);

    const applicant = await sys.user('applicant');
    const draft = (await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(first.body.id) })).body;
    const submitHeaders = { 'idempotency-key': `submit-${draft.id}` };
    const results = await Promise.all([1, 2, 3].map(() => sys.call('POST', `/applications/${draft.id}/submit`, { key: applicant.key, headers: submitHeaders })));
    // One runs; the others see it running (409) or replay its answer (200).
    expect(results.filter((r) => r.status === 200 && !r.headers.get('idempotent-replayed'))).toHaveLength(1);
    for (const r of results) expect([200, 409]).toContain(r.status);
    expect(await sys.db.prisma.stageHistory.count({ where: { caseId: draft.id } })).toBe(1);
    const later = await sys.call('POST', `/applications/${draft.id}/submit`, { key: applicant.key, headers: submitHeaders });
    expect(later).toMatchObject({ status: 200, body: { stage: 'submitted' } });
    expect(later.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses the same key with another body, and keys of another caller do not collide', async () => {
    const officer = await sys.user('officer');
    const other = await sys.user('officer');
    const headers = { 'idempotency-key': 'shared-key-1' };
    expect((await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody(), headers })).status).toBe(201);
    const reused = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody(), headers });
    expect(reused).toMatchObject({ status: 422, body: { code: 'IdempotencyKeyReused' } });
    expect((await sys.call('POST', '/programmes', { key: other.key, body: programmeBody(), headers })).status).toBe(201);
    expect((await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody(), headers: { 'idempotency-key': 'bad key!' } })).status).toBe(400);
  });
});

describe('text no database keeps', () => {
  it('refuses the NUL character in a body, a query or a path with a 400, and stores nothing', async () => {
    const officer = await sys.user('officer');
    const body = { ...programmeBody(), title: 'Talent\u0000fund' };
    const created = await sys.call('POST', '/programmes', { key: officer.key, body });
    expect(created).toMatchObject({ status: 400, body: { code: 'ValidationFailed', errors: [{ path: 'body.title' }] } });
    expect(await sys.db.prisma.programme.count({ where: { code: body.code } })).toBe(0);
    const searched = await sys.call('GET', '/applications?q=a%00b', { key: officer.key });
    expect(searched).toMatchObject({ status: 400, body: { code: 'ValidationFailed', errors: [{ path: 'query.q' }] } });
    const fetched = await sys.call('GET', '/programmes/x%00y', { key: officer.key });
    expect(fetched).toMatchObject({ status: 400, body: { code: 'ValidationFailed', errors: [{ path: 'path' }] } });
  });
});

describe('headers and limits', () => {
  it('sends security headers, and CORS only for the configured origin', async () => {
    const allowed = await fetch(`${sys.baseUrl}/healthz`, { headers: { origin: 'https://portal.zone.gov.cn' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://portal.zone.gov.cn');
    // A JSON API's headers: nothing loaded or framed, nothing kept by a browser or a proxy.
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(allowed.headers.get('x-frame-options')).toBe('DENY');
    expect(allowed.headers.get('cache-control')).toBe('no-store');
    expect(allowed.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(allowed.headers.get('x-powered-by')).toBeNull();
    // Nothing to revalidate what is never stored: no ETag (Express would hash every body for one).
    expect(allowed.headers.get('etag')).toBeNull();
    // A request from no browser origin gets no CORS headers, but the Vary that says they depend on it.
    const plain = await fetch(`${sys.baseUrl}/healthz`);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    expect(plain.headers.get('vary')).toMatch(/\bOrigin\b/);
    const foreign = await fetch(`${sys.baseUrl}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits requests per caller, with a problem answer', async () => {
    const a = await sys.user('applicant');
    const b = await sys.user('applicant');
    const answers = [];
    for (let i = 0; i < 45; i++) answers.push((await sys.call('GET', '/me', { key: a.key })).status);
    expect(answers.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await sys.call('GET', '/me', { key: a.key });
    expect(limited).toMatchObject({ status: 429, body: { code: 'RateLimited' } });
    // Another caller is not held back by the first one's traffic.
    expect((await sys.call('GET', '/me', { key: b.key })).status).toBe(200);
  });
});
