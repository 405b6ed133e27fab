// Notifications delivered by Temporal activities: email to a real SMTP server on loopback, and
// signed, timestamped webhooks to a receiver that verifies them; retried, and not sent twice.
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { webhookSignature } from '../../activities/notifications';
import { eventually } from '../helpers/eventually';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(120_000);

const mails: Array<{ to: string; subject: string; messageId: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, _session, done) {
    let raw = '';
    stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    stream.on('end', () => {
      // The header block is enough here: recipient, subject and message id.
      const headers = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
      const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(headers)?.[1] ?? '';
      mails.push({ to: header('To'), subject: header('Subject'), messageId: header('Message-ID') });
      done();
    });
  },
});

const SECRET = 'a-webhook-secret-of-some-length';
const hooks: Array<{ id: string; verified: boolean; body: { kind: string } }> = [];
let failuresLeft = 1;
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const ts = String(req.headers['x-pf-timestamp']);
    const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
    const verified = fresh && req.headers['x-pf-signature'] === webhookSignature(SECRET, ts, body);
    hooks.push({ id: String(req.headers['x-pf-id']), verified, body: JSON.parse(body) });
    // The first delivery fails, as a receiver that is down would: the activity retries it.
    if (failuresLeft-- > 0) res.writeHead(503).end();
    else res.writeHead(verified ? 204 : 401).end();
  });
});

let sys: TestSystem;
beforeAll(async () => {
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  sys = await startSystem({ smtpUrl: `smtp://127.0.0.1:${smtpPort}`, dispatcher: true });
});
afterAll(async () => {
  await sys?.stop();
  await new Promise((r) => smtp.close(() => r(null)));
  await new Promise((r) => receiver.close(() => r(null)));
});

it('emails the applicant and calls their signed webhook when the application is received, once each', async () => {
  const officer = await sys.user('officer');
  const applicant = await sys.user('applicant');
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const prefs = await sys.call('PUT', '/me/notification-preferences', { key: applicant.key, body: { email: true, webhookUrl: hookUrl, webhookSecret: SECRET } });
  expect(prefs.body).toEqual({ email: true, webhookUrl: hookUrl, webhookSecretSet: true });
  expect((await sys.call('PUT', '/me/notification-preferences', { key: applicant.key, body: { webhookUrl: hookUrl } })).status).toBe(400);

  const programme = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() });
  const draft = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(programme.body.id) });
  await sys.call('POST', `/applications/${draft.body.id}/submit`, { key: applicant.key });

  const mine = await eventually('both deliveries', async () => {
    const n = (await sys.call('GET', '/me/notifications', { key: applicant.key })).body.items.find((x: { kind: string }) => x.kind === 'case.submitted');
    return n && n.deliveries.length === 2 && n.deliveries.every((d: { status: string }) => d.status === 'sent') ? n : undefined;
  });
  expect(mine.deliveries.map((d: { channel: string }) => d.channel).sort()).toEqual(['email', 'webhook']);

  const received = mails.filter((m) => m.subject.includes('case.submitted'));
  expect(received).toHaveLength(1);
  expect(received[0]!.messageId).toContain(`${mine.id}:`);
  const calls = hooks.filter((h) => h.body.kind === 'case.submitted');
  expect(calls).toHaveLength(2); // the failed attempt and its retry
  expect(new Set(calls.map((c) => c.id)).size).toBe(1); // the same delivery id, for receivers to dedupe
  expect(calls[1]!.verified).toBe(true);

  // Later rounds of the dispatcher send nothing again.
  await new Promise((r) => setTimeout(r, 1_500));
  expect(mails.filter((m) => m.subject.includes('case.submitted'))).toHaveLength(1);
  expect(hooks.filter((h) => h.body.kind === 'case.submitted')).toHaveLength(2);
  const delivery = await sys.db.prisma.delivery.findFirstOrThrow({ where: { notificationId: mine.id, channel: 'webhook' } });
  expect(delivery).toMatchObject({ status: 'sent', attempts: 2 });
});
