import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { notificationActivities } from '../../activities/notifications';
import { type TestDatabase, freshDatabase } from '../helpers/db';

let db: TestDatabase;
beforeAll(() => {
  db = freshDatabase();
});
afterAll(() => db.close());

async function user(role: string, opts: { disabled?: boolean; email?: boolean; webhook?: boolean } = {}) {
  const u = await db.prisma.user.create({
    data: { email: `${randomUUID()}@test.cn`, displayName: role, role, disabledAt: opts.disabled ? new Date() : null },
  });
  if (opts.email !== undefined || opts.webhook) {
    await db.prisma.notificationPreference.create({
      data: { userId: u.id, email: opts.email ?? true, webhookUrl: opts.webhook ? 'http://127.0.0.1:9/hooks' : null, webhookSecret: opts.webhook ? 's'.repeat(32) : null },
    });
  }
  return u.id;
}

describe('fanOutNotifications', () => {
  it('fans a batch out to each notification\'s active recipients by their preferences, once, and marks the batch', async () => {
    const applicant = await user('applicant', { webhook: true });
    const quiet = await user('applicant', { email: false });
    const gone = await user('applicant', { disabled: true });
    // Addressed by role: every active user of the role (earlier tests' users included), not a disabled one.
    const role = `reviewer-${randomUUID().slice(0, 8)}`;
    const [first, second] = [await user(role), await user(role, { webhook: true, email: false })];
    const disabledOfRole = await user(role, { disabled: true });
    const notes = [
      { id: `n-${randomUUID()}`, userId: applicant, kind: 'case.submitted', message: 'Received' },
      { id: `n-${randomUUID()}`, userId: quiet, kind: 'case.submitted', message: 'Received' },
      { id: `n-${randomUUID()}`, userId: gone, kind: 'case.submitted', message: 'Received' },
      { id: `n-${randomUUID()}`, role, kind: 'review.assigned', message: 'A review' },
      { id: `n-${randomUUID()}`, role: 'nobody-has-this-role', kind: 'x', message: 'Nobody' },
    ];
    await db.prisma.notification.createMany({ data: notes });

    const { fanOutNotifications } = notificationActivities(db.prisma, { smtpUrl: 'smtp://127.0.0.1:9', from: 'pf@test.cn' });
    const pending = await new MockActivityEnvironment().run(fanOutNotifications, { limit: 100 });

    const ids = notes.map((n) => n.id);
    const deliveries = await db.prisma.delivery.findMany({ where: { notificationId: { in: ids } }, orderBy: { id: 'asc' } });
    const expected = [
      `${notes[0]!.id}:${applicant}:email`,
      `${notes[0]!.id}:${applicant}:webhook`,
      `${notes[3]!.id}:${first}:email`,
      `${notes[3]!.id}:${second}:webhook`,
    ].sort();
    expect(deliveries.map((d) => d.id)).toEqual(expected);
    expect(deliveries.every((d) => d.status === 'pending')).toBe(true);
    expect(deliveries.some((d) => d.userId === disabledOfRole || d.userId === quiet || d.userId === gone)).toBe(false);
    expect(pending).toEqual(expect.arrayContaining(expected));
    const marked = await db.prisma.notification.findMany({ where: { id: { in: ids } } });
    expect(marked.every((n) => n.dispatchedAt !== null)).toBe(true);

    // A second round finds the batch marked: no delivery is made twice, the pending ones are named again.
    const again = await new MockActivityEnvironment().run(fanOutNotifications, { limit: 100 });
    expect(await db.prisma.delivery.count({ where: { notificationId: { in: ids } } })).toBe(expected.length);
    expect(again).toEqual(expect.arrayContaining(expected));
  });

  it('without an SMTP server makes webhook deliveries only', async () => {
    const withHook = await user('finance', { webhook: true });
    const plain = await user('finance');
    const notes = [withHook, plain].map((userId) => ({ id: `n-${randomUUID()}`, userId, kind: 'payment', message: 'Approve' }));
    await db.prisma.notification.createMany({ data: notes });
    const { fanOutNotifications } = notificationActivities(db.prisma, { from: 'pf@test.cn' });
    await new MockActivityEnvironment().run(fanOutNotifications, { limit: 100 });
    const deliveries = await db.prisma.delivery.findMany({ where: { notificationId: { in: notes.map((n) => n.id) } } });
    expect(deliveries.map((d) => d.id)).toEqual([`${notes[0]!.id}:${withHook}:webhook`]);
  });
});
