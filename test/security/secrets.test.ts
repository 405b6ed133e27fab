// Secrets never leave where they belong: a real system whose logger writes every line (at trace
// level) into a buffer is driven with requests carrying each kind of secret (API keys as bearer
// tokens and as the answer of user creation, webhook secrets, an objection filer's ID number,
// cookies, Idempotency-Keys, a request that fails with a logged error); then every log line, every
// later answer, the database file and the workflow histories are searched for every secret.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { routes } from '../../api/routes';
import { ConfigError, loadConfig } from '../../infra/config';
import { createLogger } from '../../infra/logger';
import { keyedHash } from '../../infra/pii';
import { type TestSystem, startSystem } from '../helpers/system';
import { type Person, type World, buildWorld } from '../helpers/world';

jest.setTimeout(300_000);

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(String(chunk));
    done();
  },
});

/** A valid resident ID number (GB 11643 check character) that appears nowhere else. */
function idNumber(): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const body = `440604${1960 + (randomBytes(1)[0]! % 40)}0${1 + (randomBytes(1)[0]! % 9)}1${randomBytes(1)[0]! % 10}${String(randomBytes(2).readUInt16BE() % 1000).padStart(3, '0')}`;
  const sum = weights.reduce((s, w, i) => s + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

let sys: TestSystem;
let w: World;
const ID_NUMBER = idNumber();
const SMTP_PASSWORD = `smtp-${randomBytes(12).toString('hex')}`;
/** Every secret, by what it is. */
const secrets = new Map<string, string>();

beforeAll(async () => {
  sys = await startSystem({ logger: createLogger('trace', 'secrets-test', sink), smtpUrl: `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:9` });
  w = await buildWorld(sys, { objectionIdNumber: ID_NUMBER });
}, 240_000);
afterAll(async () => {
  await sys?.stop();
});

const people = (): Array<[string, Person]> => [
  ['admin', w.admin],
  ['officer', w.officer],
  ['finance', w.finance],
  ['applicant 1', w.applicants[0]],
  ['applicant 2', w.applicants[1]],
  ['seated reviewer', w.reviewers.seated],
  ['conflicted reviewer', w.reviewers.conflicted],
];

function remember(what: string, secret: string) {
  secrets.set(what, secret);
}

/** The secrets found in a text, by name; the parts of an API key count on their own (its id does not). */
function leaked(text: string): string[] {
  const found: string[] = [];
  for (const [what, secret] of secrets) {
    if (text.includes(secret)) found.push(what);
    if (secret.startsWith('pf_') && text.includes(secret.slice(20))) found.push(`${what} (secret part)`);
  }
  return [...new Set(found)];
}

it('keeps every secret out of the logs, later answers, the database and workflow histories', async () => {
  for (const [who, p] of people()) remember(`${who}'s API key`, p.key);
  remember('SMTP password', SMTP_PASSWORD);
  remember('objection ID number', ID_NUMBER);
  remember('objection ID number, birth date and sequence', ID_NUMBER.slice(6, 14));

  // Creating users and keys answers with the key once; an Idempotency-Key on the creation too.
  const later: unknown[] = [];
  const creation = {
    key: w.admin.key,
    headers: { 'idempotency-key': `create-${randomBytes(6).toString('hex')}` },
    body: { email: `secret-${Date.now()}@world.cn`, displayName: 'Keyholder', role: 'officer' },
  };
  const made = await sys.call('POST', '/users', creation);
  expect(made.status).toBe(201);
  remember('API key shown once at creation', made.body.apiKey);
  // Replayed, the creation answers the same user, without the key: it was shown once and is not kept.
  const replay = await sys.call('POST', '/users', creation);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body).toEqual({ user: made.body.user, apiKey: null });
  const issued = await sys.call('POST', `/users/${made.body.user.id}/api-keys`, { key: w.admin.key, body: { label: 'second' } });
  remember('API key shown once when issued', issued.body.apiKey);
  expect((await sys.call('GET', '/me', { key: made.body.apiKey })).status).toBe(200);

  // Webhook secrets in notification preferences: taken, never sent back.
  for (const [who, p] of people()) {
    const webhookSecret = `whsec-${randomBytes(16).toString('hex')}`;
    remember(`${who}'s webhook secret`, webhookSecret);
    const res = await sys.call('PUT', '/me/notification-preferences', { key: p.key, body: { email: true, webhookUrl: 'https://hooks.example.cn/pf', webhookSecret } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email: true, webhookUrl: 'https://hooks.example.cn/pf', webhookSecretSet: true });
  }

  // Headers that carry secrets, on requests that succeed and fail.
  const cookie = `session=${randomBytes(16).toString('hex')}`;
  const idempotencyKey = `idem-${randomBytes(12).toString('hex')}`;
  remember('cookie', cookie);
  remember('Idempotency-Key', idempotencyKey);
  await sys.call('GET', '/me', { key: w.officer.key, headers: { cookie } });
  await sys.call('POST', '/applications', { key: w.applicants[0].key, headers: { 'idempotency-key': idempotencyKey, cookie }, body: { programmeId: w.programmeId, title: '' } });
  await sys.call('GET', '/me', { headers: { authorization: `Bearer ${w.applicants[1].key.slice(0, -2)}xx` } });
  // An objection refused for its ID number (one digit off) carries the number too.
  const wrongId = `${ID_NUMBER.slice(0, 16)}${(Number(ID_NUMBER[16]) + 1) % 10}${ID_NUMBER[17]}`;
  remember('refused objection ID number', wrongId);
  await sys.call('POST', `/notices/${w.apps.funded1}/objections`, { body: { name: 'Chen Wei', idNumber: wrongId, contact: '13800000000', text: 'x' } });

  // A request that fails on our side and is logged as an error, with a key and secrets in flight.
  await sys.db.prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_keys BEFORE INSERT ON "ApiKey" BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
  const failed = await sys.call('POST', `/users/${made.body.user.id}/api-keys`, { key: w.admin.key, body: { label: 'doomed' } });
  await sys.db.prisma.$executeRawUnsafe('DROP TRIGGER refuse_keys');
  expect(failed.status).toBe(500);
  expect(lines.some((l) => l.includes('"level":50'))).toBe(true);

  // Later answers: every GET route, as staff, an applicant, a reviewer and the new officer, with the world's ids.
  const idsFor = (path: string) =>
    path.startsWith('/applications/:id') ? [w.apps.funded1, w.apps.review2]
    : path.startsWith('/stations/:id') ? [w.stations.submitted]
    : path.startsWith('/programmes/:id') ? [w.programmeId]
    : path.startsWith('/experts/:id') ? [w.expertId]
    : [''];
  const readers = [w.admin, w.officer, w.applicants[0], w.reviewers.seated, { key: made.body.apiKey } as Person];
  for (const p of readers) {
    for (const route of routes.filter((r) => r.method === 'get')) {
      for (const id of idsFor(route.path)) later.push((await sys.call('GET', route.path.replace(':id', id), { key: p.key })).body);
    }
  }
  expect(lines.length).toBeGreaterThan(200);
  // The headers are logged, with the secret ones censored (so the search below looks at real lines).
  const all = lines.join('\n');
  for (const header of ['authorization', 'cookie', 'idempotency-key']) expect(all).toContain(`"${header}":"[redacted]"`);

  // The database file (and its write-ahead log) as bytes: keys only hashed, ID numbers masked and keyed-hashed.
  const file = sys.db.url.slice('file:'.length);
  const db = [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1')).join('\n');
  const objection = await sys.db.prisma.objection.findFirstOrThrow({ where: { caseId: w.apps.funded1 } });
  expect(objection.filerIdMasked).toBe(`${ID_NUMBER.slice(0, 6)}********${ID_NUMBER.slice(14)}`);
  expect(objection.filerIdHash).toBe(keyedHash(sys.piiHashKey, ID_NUMBER));
  for (const k of await sys.db.prisma.apiKey.findMany()) expect(k.secretHash).toMatch(/^scrypt\$/);

  // Workflow histories: the case and the workflow that took the objection (the case itself, since it runs its notices).
  const histories = await Promise.all([...new Set([w.apps.funded1, objection.workflowId ?? objection.noticeId])].map(async (id) => JSON.stringify(await sys.client.workflow.getHandle(id).fetchHistory())));

  // Webhook secrets are kept in the clear in the database by necessity: deliveries are signed with them.
  const webhookSecrets = [...secrets.keys()].filter((k) => k.includes('webhook'));
  expect({
    logs: leaked(lines.join('\n')),
    laterAnswers: leaked(JSON.stringify(later)),
    // The Idempotency-Key is the kept answer's own key in the database; it must only stay out of logs.
    database: leaked(db).filter((what) => !webhookSecrets.includes(what) && what !== 'Idempotency-Key'),
    histories: leaked(histories.join('\n')),
  }).toEqual({ logs: [], laterAnswers: [], database: [], histories: [] });
});

it('names a bad configuration variable without echoing its value', () => {
  const value = `pf_${randomBytes(4).toString('hex')}_notakey-${SMTP_PASSWORD}`;
  let message = '';
  try {
    loadConfig({ BOOTSTRAP_ADMIN_EMAIL: 'root@zone.cn', BOOTSTRAP_ADMIN_API_KEY: value, SMTP_URL: `ftp://u:${SMTP_PASSWORD}@h`, PII_HASH_KEY: 'short-secret' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    message = (err as Error).message;
  }
  expect(message).toMatch(/BOOTSTRAP_ADMIN_API_KEY[\s\S]*SMTP_URL|SMTP_URL[\s\S]*BOOTSTRAP_ADMIN_API_KEY/);
  for (const secret of [value, SMTP_PASSWORD, 'short-secret']) expect(message).not.toContain(secret);
});
