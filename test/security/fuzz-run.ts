// Shared by the bounded fuzz test (fuzz.test.ts, in CI) and the long one (fuzz.chaos.ts, npm run
// test:chaos): seeds a running system with real data, runs schemathesis against its own OpenAPI
// document over HTTP, and reads back what it did.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '../../infra/db';
import { ROLES, type Role } from '../../shared';
import { DAY, draftBody, fundConfig, programmeBody, stationConfig } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import type { TestSystem } from '../helpers/system';

const root = path.resolve(__dirname, '../..');
export const SCHEMATHESIS = path.join(root, 'tools/fuzz-venv/bin/schemathesis');
const HOOKS = path.join(__dirname, 'schemathesis/hooks.py');

/** Real resources for path parameters, query filters and body references to hit. */
export interface Seeded {
  keys: Record<Role, string>;
  ids: {
    applications: string[];
    programmes: string[];
    stations: string[];
    experts: string[];
    users: string[];
    /** Cases under public notice, for objections. */
    notices: string[];
    objections: string[];
    /** Keys of a throwaway user, for DELETE /api-keys/{keyId} to revoke. */
    spareKeyIds: string[];
    tranches: string[];
  };
}

async function ok<T = any>(sys: TestSystem, method: string, url: string, key: string | undefined, body?: unknown): Promise<T> {
  const res = await sys.call(method, url, { key, body });
  if (res.status >= 300) throw new Error(`seeding: ${method} ${url} answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/**
 * A system with something in every state a fuzzer should reach: a call with drafts, a case in formal
 * review, one in expert review, one returned for revision, one under public notice with an objection
 * filed; a station programme with experts, a draft station and a submitted one. Deadlines are long,
 * so nothing moves by itself while the fuzzer runs.
 */
export async function seedForFuzz(sys: TestSystem): Promise<Seeded> {
  const keys = { admin: sys.adminKey } as Record<Role, string>;
  const users: string[] = [];
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    const u = await sys.user(role);
    keys[role] = u.key;
    users.push(u.id);
  }
  const reviewer = await ok(sys, 'POST', '/users', keys.admin, { email: `fuzz-reviewer-${Date.now()}@experts.cn`, displayName: 'Prof. Fuzz', role: 'reviewer', expertise: ['new-energy', 'advanced-manufacturing'] });
  keys.reviewer = reviewer.apiKey;
  users.push(reviewer.user.id);
  const spare = await sys.user('applicant');
  users.push(spare.id);
  const spareKeyIds = [spare.key.split('_')[1]!];
  for (let i = 0; i < 2; i++) spareKeyIds.push((await ok(sys, 'POST', `/users/${spare.id}/api-keys`, keys.admin, { label: `spare ${i}` })).keyId);

  // A call that closes in a few seconds: its cases go to formal review and stay there for people.
  const config = fundConfig({
    review: { ...fundConfig().review, panelSize: 1, quorum: 1, deadlineDays: 3650, replaceSilentAfterDays: 3650 },
    defence: { required: false },
    siteVisit: { required: false },
  });
  // Submitted before the call closes, a few seconds on: on a loaded machine that can be too short,
  // so a longer call is tried then.
  let closing!: { id: string };
  let cases: string[] = [];
  for (const window of [5_000, 20_000, 60_000]) {
    closing = await ok(sys, 'POST', '/programmes', keys.officer, programmeBody({ config, opensAt: new Date(Date.now() - DAY).toISOString(), closesAt: new Date(Date.now() + window).toISOString() }));
    cases = [];
    for (let i = 0; i < 4; i++) {
      const d = await ok(sys, 'POST', '/applications', keys.applicant, draftBody(closing.id, { title: `Fuzz case ${i}` }));
      if ((await sys.call('POST', `/applications/${d.id}/submit`, { key: keys.applicant })).status !== 200) break;
      cases.push(d.id);
    }
    if (cases.length === 4) break;
  }
  if (cases.length !== 4) throw new Error('seeding: could not submit four cases before a call closed');
  const open = await ok(sys, 'POST', '/programmes', keys.officer, programmeBody());
  const drafts: string[] = [];
  for (let i = 0; i < 2; i++) drafts.push((await ok(sys, 'POST', '/applications', keys.applicant, draftBody(open.id, { title: `Fuzz draft ${i}` }))).id);
  const stageOf = async (id: string) => (await ok(sys, 'GET', `/applications/${id}`, keys.officer)).stage as string;
  for (const id of cases) await eventually(`formal review of ${id}`, async () => (await stageOf(id)) === 'formal_review', 90_000);

  const [, inReview, returned, noticed] = cases as [string, string, string, string];
  await ok(sys, 'POST', `/applications/${returned}/formal-review`, keys.officer, { decision: 'return', reason: 'Add the host unit licence' });
  for (const id of [inReview, noticed]) await ok(sys, 'POST', `/applications/${id}/formal-review`, keys.officer, { decision: 'accept' });
  await eventually('the panel seat', async () => (await ok(sys, 'GET', '/reviews', keys.reviewer)).items.some((a: { caseId: string }) => a.caseId === noticed));
  await ok(sys, 'POST', `/applications/${noticed}/review/declaration`, keys.reviewer, { conflict: false });
  await ok(sys, 'POST', `/applications/${noticed}/review/score`, keys.reviewer, { scores: { innovation: 9, team: 9, market: 9, fit: 9 }, comment: 'Strong', recommendation: 'fund' });
  await eventually('committee', async () => (await stageOf(noticed)) === 'committee', 60_000);
  await ok(sys, 'POST', `/applications/${noticed}/award`, keys.officer, { decision: 'award', tier: 'A', amountFen: 800_000_000 });
  await ok(sys, 'POST', `/notices/${noticed}/objections`, undefined, { name: 'Chen Wei', idNumber: '11010519491231002X', contact: '13800000000', text: 'Same project funded elsewhere' });
  const objections = (await ok(sys, 'GET', `/objections?caseId=${noticed}`, keys.officer)).items.map((o: { id: string }) => o.id);

  const stations = await ok(sys, 'POST', '/programmes', keys.officer, {
    code: `WZ-FUZZ-${Date.now()}`,
    title: 'Workstations',
    kind: 'workstation',
    budgetFen: 1_000_000_000,
    opensAt: new Date(Date.now() - DAY).toISOString(),
    closesAt: new Date(Date.now() + 900 * DAY).toISOString(),
    config: stationConfig(),
  });
  const experts: string[] = [];
  for (const [name, title] of [['Academician Zhou', 'academician'], ['Dr. Lin', 'doctor'], ['Dr. Xu', 'postdoc']] as const) {
    experts.push((await ok(sys, 'POST', '/experts', keys.officer, { name, title, field: 'advanced-manufacturing' })).id);
  }
  const stationIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    const s = await ok(sys, 'POST', '/stations', keys.applicant, { programmeId: stations.id, type: 'academician_workstation', name: `Fuzz workstation ${i}`, field: 'advanced-manufacturing', hostName: 'Wenzhou Valve Co., Ltd.', experts: [experts[0]] });
    stationIds.push(s.id);
  }
  await ok(sys, 'POST', `/stations/${stationIds[1]}/submit`, keys.applicant);

  return {
    keys,
    ids: {
      applications: [...cases, ...drafts],
      programmes: [closing.id, open.id, stations.id],
      stations: stationIds,
      experts,
      users,
      notices: [noticed],
      objections,
      spareKeyIds,
      tranches: ['T1', 'T2'],
    },
  };
}

/** One line per request schemathesis made, written by hooks.py as the server answered it. */
export interface LoggedRequest {
  requestId: string | null;
  method: string;
  path: string;
  url: string;
  status: number;
  mode: string | null;
  /** Tables whose rows differ after the request from before it (runs that watch the database). */
  changed?: string[];
}

export interface FuzzRunOptions {
  label: string;
  /** Which key each operation is called with: a role it allows (staff first), or the applicant's on every one. */
  as: 'allowed-role' | 'applicant';
  maxExamples: number;
  mode?: 'positive' | 'negative' | 'all';
  /** Seconds for the whole run; fuzzing repeats until it is spent. */
  maxTime?: number;
  workers?: number;
  seed?: number;
  dir: string;
  /** schemathesis's phases; all by default. */
  phases?: string;
  /** Compare the database before and after each request (slow: it waits for the database to settle before each). */
  watchDatabase?: boolean;
}

export interface FuzzRunResult {
  label: string;
  exitCode: number;
  requests: LoggedRequest[];
  /** Changes to the database that appeared after a rejected request had been answered. */
  lateWrites: Array<{ lateWriteAfter: string; changed: string[] }>;
  /** The document's operations, as `METHOD /path/{param}`. */
  operations: string[];
  /** schemathesis's own account of what failed (from its JUnit report). */
  failures: string[];
  output: string;
}

const STAFF_FIRST: readonly Role[] = ['officer', 'admin', 'finance', 'reviewer', 'applicant'];

type Operation = { operationId: string; path: string; method: string; roles: Role[]; pathParams: string[] };

function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [p, methods] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      ops.push({ operationId: op.operationId, path: p, method, roles: op['x-roles'], pathParams: op.parameters.filter((x: any) => x.in === 'path').map((x: any) => x.name) });
    }
  }
  return ops;
}

/** Which seeded ids a path parameter of an operation should be drawn from. */
function dictionaryFor(op: Operation, param: string): keyof Seeded['ids'] | null {
  const top = op.path.split('/')[1];
  if (param === 'id') {
    return ({ applications: 'applications', programmes: 'programmes', stations: 'stations', experts: 'experts', users: 'users', notices: 'notices' } as const)[top ?? ''] ?? null;
  }
  return ({ objectionId: 'objections', keyId: 'spareKeyIds', code: 'tranches' } as const)[param as 'objectionId'] ?? null;
}

const toml = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(toml).join(', ')}]` : typeof v === 'object' && v !== null ? `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} = ${toml(x)}`).join(', ')} }` : JSON.stringify(v);

/**
 * The schemathesis configuration for one run: the seeded ids as dictionaries that path parameters,
 * query filters and body references draw from (often, not always: the fuzzer still tries ids of
 * its own), and per operation the key to call it with.
 */
function configFor(doc: any, seeded: Seeded, as: FuzzRunOptions['as']): string {
  // 413 (body too large) is a rejection too; the rest are schemathesis's defaults.
  const lines: string[] = ['[checks.negative_data_rejection]', `expected-statuses = ${toml([400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, '5xx'])}`, ''];
  for (const [name, values] of Object.entries(seeded.ids)) lines.push(`[dictionaries.${name}]`, `values = ${toml(values)}`, '');
  const shared: Record<string, unknown> = {
    'query.programmeId': { dictionary: 'programmes', probability: 0.7 },
    'query.caseId': { dictionary: 'applications', probability: 0.7 },
    'query.applicantId': { dictionary: 'users', probability: 0.5 },
    'query.reviewerId': { dictionary: 'users', probability: 0.5 },
    'body.programmeId': { dictionary: 'programmes', probability: 0.8 },
    'body.experts[*]': { dictionary: 'experts', probability: 0.8 },
  };
  for (const op of operationsOf(doc)) {
    // Keys are revoked by their owner or an administrator: the spare keys are neither the officer's.
    const staff = op.path.startsWith('/api-keys') ? ['admin' as const] : STAFF_FIRST;
    const role = op.roles.length === 0 ? null : as === 'applicant' ? 'applicant' : staff.find((r) => op.roles.includes(r))!;
    const parameters: Record<string, unknown> = { ...shared };
    for (const p of op.pathParams) {
      const dict = dictionaryFor(op, p);
      if (dict) parameters[`path.${p}`] = { dictionary: dict, probability: 0.8 };
    }
    lines.push('[[operations]]', `include-operation-id = ${toml(op.operationId)}`);
    if (role) lines.push(`headers = ${toml({ Authorization: `Bearer ${seeded.keys[role]}` })}`);
    lines.push(`parameters = ${toml(parameters)}`, '');
  }
  return lines.join('\n');
}

export async function runSchemathesis(sys: TestSystem, seeded: Seeded, o: FuzzRunOptions): Promise<FuzzRunResult> {
  const doc = (await sys.call('GET', '/openapi.json')).body;
  const dir = path.join(o.dir, o.label);
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'schemathesis.toml');
  fs.writeFileSync(configFile, configFor(doc, seeded, o.as));
  const log = path.join(dir, 'requests.ndjson');
  fs.rmSync(log, { force: true });
  const junit = path.join(dir, 'junit.xml');
  const args = [
    '--config-file', configFile,
    'run', `${sys.baseUrl}/openapi.json`,
    '--url', sys.baseUrl,
    '--checks', 'all',
    '--exclude-checks', 'positive_data_acceptance,ignored_auth',
    '--max-examples', String(o.maxExamples),
    '--mode', o.mode ?? 'all',
    // One worker: hypothesis's lambda descriptions parse source with CPython's ast, which is not
    // thread-safe on Python 3.11 ("AST constructor recursion depth mismatch").
    '--workers', String(o.workers ?? 1),
    '--seed', String(o.seed ?? 1),
    '--continue-on-failure',
    '--request-timeout', '30',
    '--generation-database', 'none',
    '--report', 'junit', '--report-junit-path', junit,
    '--no-color',
    ...(o.maxTime ? ['--max-time', String(o.maxTime)] : []),
    ...(o.phases ? ['--phases', o.phases] : []),
  ];
  const output = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, SCHEMATHESIS_HOOKS: HOOKS, PF_FUZZ_LOG: log, PYTHONUNBUFFERED: '1' };
    if (o.watchDatabase) env.PF_FUZZ_DB = sys.db.url.replace(/^file:/, '');
    const child = spawn(SCHEMATHESIS, args, { cwd: dir, env });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, text }));
  });
  fs.writeFileSync(path.join(dir, 'output.txt'), output.text);
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const requests = lines.filter((l) => !('lateWriteAfter' in l)) as LoggedRequest[];
  const lateWrites = lines.filter((l) => 'lateWriteAfter' in l);
  const xml = fs.existsSync(junit) ? fs.readFileSync(junit, 'utf8') : '';
  const failures = [...xml.matchAll(/<testcase[^>]*name="([^"]*)"[^>]*>\s*<(failure|error)[^>]*message="([^"]*)"/g)].map((m) => `${m[1]}: ${m[3]}`);
  return { label: o.label, exitCode: output.code, requests, lateWrites, operations: operationsOf(doc).map((x) => `${x.method.toUpperCase()} ${x.path}`), failures, output: output.text };
}

/** Audit entries written under the request id of a request that was answered 4xx or 5xx. */
export async function writesByRejected(prisma: PrismaClient, requests: LoggedRequest[]) {
  const rejected = requests.filter((r) => r.status >= 400 && r.requestId).map((r) => r.requestId!);
  const found = [];
  for (let i = 0; i < rejected.length; i += 500) {
    found.push(...(await prisma.auditEntry.findMany({ where: { requestId: { in: rejected.slice(i, i + 500) } }, select: { requestId: true, action: true, targetId: true } })));
  }
  return found;
}

/** The requests answered 5xx, and the operations exercised, for the report. */
export function summarise(results: FuzzRunResult[]) {
  const all = results.flatMap((r) => r.requests);
  const documented = new Set(results[0]?.operations ?? []);
  const hit = new Set(all.map((r) => `${r.method} ${r.path}`).filter((o) => documented.has(o)));
  const byStatus: Record<string, number> = {};
  for (const r of all) byStatus[`${Math.floor(r.status / 100)}xx`] = (byStatus[`${Math.floor(r.status / 100)}xx`] ?? 0) + 1;
  return {
    requests: all.length,
    perRun: Object.fromEntries(results.map((r) => [r.label, r.requests.length])),
    byStatus,
    operations: documented.size,
    operationsHit: hit.size,
    operationsMissed: [...documented].filter((o) => !hit.has(o)),
    serverErrors: all.filter((r) => r.status >= 500).map((r) => `${r.method} ${r.url} -> ${r.status} (${r.requestId})`),
  };
}

export interface FuzzLevel {
  name: string;
  /** Test cases per operation and generation phase. */
  maxExamples: number;
  /**
   * Seconds for each run, fuzzing repeating until they are spent (schemathesis's --max-time). Without
   * it a run ends when every operation has had its examples: the bounded run's length then follows
   * the machine's speed, but no operation is left out because the machine was slow.
   */
  maxTime?: number;
  /** Also the coverage phase (every boundary and invalid value the schema suggests: thousands of requests) and stateful sequences. */
  allPhases: boolean;
  seed: number;
}

/** Where the runs' configuration, logs, reports and summary are kept (they outlive the test's own directory). */
export function reportDir(level: FuzzLevel): string {
  return path.join(process.env.PF_FUZZ_REPORT_DIR ?? path.join(require('node:os').tmpdir(), 'programme-flow-fuzz'), level.name);
}

/**
 * The fuzz suite at a level: every operation of the OpenAPI document, with a key of a role it allows
 * and then with an applicant's key, all generation modes; then a run of invalid requests only, with
 * the database compared before and after. Fails on any 5xx, any answer outside the document (status,
 * content type, headers, schema), any accepted invalid request, and any write by a rejected request.
 */
export function fuzzSuite(level: FuzzLevel): void {
  let sys: TestSystem;
  let seeded: Seeded;
  const dir = reportDir(level);

  beforeAll(async () => {
    if (!fs.existsSync(SCHEMATHESIS)) throw new Error(`schemathesis is not installed: run bash scripts/install-tools.sh fuzz (${SCHEMATHESIS})`);
    fs.rmSync(dir, { recursive: true, force: true });
    const { startSystem } = await import('../helpers/system');
    sys = await startSystem();
    seeded = await seedForFuzz(sys);
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('answers every generated request within its own OpenAPI document, without a 5xx, and no rejected request writes anything', async () => {
    const runs: FuzzRunResult[] = [];
    const started = Date.now();
    // The seeded ids are drawn in the fuzzing phase (the coverage phase walks the schema's boundary
    // values), so that calls with a role each operation allows reach real cases.
    const all = level.allPhases ? 'examples,coverage,fuzzing,stateful' : undefined;
    const common = { maxExamples: level.maxExamples, maxTime: level.maxTime, seed: level.seed, dir };
    runs.push(await runSchemathesis(sys, seeded, { ...common, label: 'as-allowed-role', as: 'allowed-role', phases: all ?? 'fuzzing' }));
    runs.push(await runSchemathesis(sys, seeded, { ...common, label: 'as-applicant', as: 'applicant', phases: all ?? 'fuzzing' }));
    // Invalid requests, each with the database compared before and after it.
    const negative = await runSchemathesis(sys, seeded, { ...common, label: 'invalid-watched', as: 'allowed-role', mode: 'negative', phases: all ?? 'fuzzing', watchDatabase: true });
    runs.push(negative);

    const summary = { level: level.name, seed: level.seed, maxExamples: level.maxExamples, maxTimePerRun: level.maxTime ?? null, allPhases: level.allPhases, seconds: Math.round((Date.now() - started) / 1000), ...summarise(runs) };
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
    console.log(`fuzz (${level.name}): ${summary.requests} requests over ${summary.operationsHit} of ${summary.operations} operations ${JSON.stringify(summary.perRun)} ${JSON.stringify(summary.byStatus)}; reports in ${dir}`);

    for (const r of runs) {
      expect({ run: r.label, failures: r.failures }).toEqual({ run: r.label, failures: [] });
      expect({ run: r.label, exitCode: r.exitCode, tail: r.exitCode === 0 ? '' : r.output.slice(-3000) }).toEqual({ run: r.label, exitCode: 0, tail: '' });
      expect(r.requests.length).toBeGreaterThan(0);
    }
    expect(summary.serverErrors).toEqual([]);
    expect(summary.operationsMissed).toEqual([]);
    expect(await writesByRejected(sys.db.prisma, runs.flatMap((r) => r.requests))).toEqual([]);
    const rejected = negative.requests.filter((r) => r.status >= 400);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.filter((r) => r.changed?.length).map((r) => `${r.method} ${r.url} -> ${r.status} changed ${r.changed}`)).toEqual([]);
    expect(negative.lateWrites).toEqual([]);
    // The watch sees writes: every accepted creation in that run changed the database.
    const created = negative.requests.filter((r) => r.status === 201);
    expect(created.filter((r) => !r.changed?.length).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });
}
