// The audit chain over HTTP: GET /audit/verify proves it intact, and after someone edits, inserts
// or deletes entries in the database behind the API's back, names the first entry that breaks it.
import { type TestSystem, startSystem } from '../helpers/system';

let sys: TestSystem;
let officer: { id: string; key: string };
beforeAll(async () => {
  sys = await startSystem();
  officer = await sys.user('officer');
  for (let i = 0; i < 4; i++) {
    const res = await sys.call('POST', '/users', { key: sys.adminKey, body: { email: `audited-${i}-${Date.now()}@example.cn`, displayName: `Audited ${i}`, role: 'applicant' } });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await sys?.stop();
});

const verify = async () => {
  const res = await sys.call('GET', '/audit/verify', { key: officer.key });
  expect(res.status).toBe(200);
  return res.body;
};

it('detects an edited, an inserted and a deleted entry, naming the first broken one', async () => {
  const p = sys.db.prisma;
  const before = await verify();
  expect(before).toMatchObject({ intact: true, firstBroken: null });
  expect(before.checked).toBeGreaterThanOrEqual(4);
  const entries = await p.auditEntry.findMany({ orderBy: { seq: 'asc' } });
  const victim = entries[1]!;

  // Edited: someone makes the second user an administrator after the fact.
  await p.auditEntry.update({ where: { id: victim.id }, data: { after: { ...(victim.after as object), role: 'admin' } } });
  expect(await verify()).toMatchObject({ intact: false, firstBroken: { seq: victim.seq, id: victim.id, reason: expect.stringContaining('content') } });
  await p.auditEntry.update({ where: { id: victim.id }, data: { after: victim.after as object } });
  expect((await verify()).intact).toBe(true);

  // Inserted: an entry slipped in with the next number and made-up hashes.
  const last = entries[entries.length - 1]!;
  const forged = await p.auditEntry.create({ data: { seq: last.seq + 1, prevHash: last.hash, hash: 'f'.repeat(64), action: 'user.create', targetType: 'user', targetId: 'ghost' } });
  expect(await verify()).toMatchObject({ intact: false, firstBroken: { seq: last.seq + 1, id: forged.id } });
  await p.auditEntry.delete({ where: { id: forged.id } });

  // Deleted: the last entry removed (the head still remembers it).
  await p.auditEntry.delete({ where: { id: last.id } });
  expect(await verify()).toMatchObject({ intact: false, firstBroken: { seq: last.seq, id: null, reason: expect.stringContaining('missing') } });

  // Only the roles that audit may ask.
  const applicant = await sys.user('applicant');
  expect((await sys.call('GET', '/audit/verify', { key: applicant.key })).status).toBe(403);
});
