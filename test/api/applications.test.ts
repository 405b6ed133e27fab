import { WorkflowNotFoundError } from '@temporalio/client';
import { DAY, draftBody, programmeBody } from '../helpers/fixtures';
import { type TestSystem, startSystem } from '../helpers/system';

let sys: TestSystem;
let officer: { id: string; key: string };
let applicant: { id: string; key: string };
let otherApplicant: { id: string; key: string };
let programmeId: string;

beforeAll(async () => {
  sys = await startSystem();
  officer = await sys.user('officer');
  applicant = await sys.user('applicant');
  otherApplicant = await sys.user('applicant');
  const res = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() });
  expect(res.status).toBe(201);
  programmeId = res.body.id;
});

afterAll(async () => {
  await sys?.stop();
});

async function newDraft(key = applicant.key, overrides = {}) {
  const res = await sys.call('POST', '/applications', { key, body: draftBody(programmeId, overrides) });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('an application from draft to submission, over HTTP', () => {
  it('creates, edits and submits a draft; the workflow starts with the application id and answers', async () => {
    const id = await newDraft();

    const edited = await sys.call('PATCH', `/applications/${id}`, {
      key: applicant.key,
      body: { title: 'Solid-state battery pilot line, phase 1' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ stage: 'draft', title: 'Solid-state battery pilot line, phase 1' });

    const submitted = await sys.call('POST', `/applications/${id}/submit`, { key: applicant.key });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ applicationId: id, stage: 'submitted', next: { waitingOn: 'system' } });

    const description = await sys.client.workflow.getHandle(id).describe();
    expect(description.type).toBe('applicationWorkflow');
    expect(description.status.name).toBe('RUNNING');

    const got = await sys.call('GET', `/applications/${id}`, { key: applicant.key });
    expect(got.status).toBe(200);
    expect(got.body.stage).toBe('submitted');
    expect(got.body.history.map((h: { stage: string }) => h.stage)).toEqual(['submitted']);
    expect(got.body.workflow).toMatchObject({ stage: 'submitted', configVersion: 1 });

    const audit = await sys.db.prisma.auditEntry.findMany({ where: { targetId: id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['application.draft', 'application.edit', 'application.submitted']);
    expect(audit[2]).toMatchObject({ actorId: applicant.id, actorRole: 'applicant' });
    expect(audit[2]!.requestId).toBe(submitted.headers.get('x-request-id'));
  });

  it('refuses a second submission without starting anything new', async () => {
    const id = await newDraft();
    expect((await sys.call('POST', `/applications/${id}/submit`, { key: applicant.key })).status).toBe(200);
    const again = await sys.call('POST', `/applications/${id}/submit`, { key: applicant.key });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('WrongStage');
    const history = await sys.db.prisma.stageHistory.count({ where: { caseId: id } });
    expect(history).toBe(1);
  });

  it('lets the applicant withdraw a submitted application, which ends its workflow', async () => {
    const id = await newDraft();
    await sys.call('POST', `/applications/${id}/submit`, { key: applicant.key });
    const res = await sys.call('POST', `/applications/${id}/withdraw`, { key: applicant.key, body: { reason: 'Team moved to Shenzhen' } });
    expect(res.status).toBe(200);
    expect(res.body.stage).toBe('withdrawn');
    const result = await sys.client.workflow.getHandle(id).result();
    expect(result.stage).toBe('withdrawn');
    const row = await sys.db.prisma.application.findUniqueOrThrow({ where: { id } });
    expect(row.stage).toBe('withdrawn');

    const again = await sys.call('POST', `/applications/${id}/withdraw`, { key: applicant.key, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
  });

  it('refuses submission outside the call window and starts no workflow', async () => {
    const closed = await sys.call('POST', '/programmes', {
      key: officer.key,
      body: programmeBody({
        opensAt: new Date(Date.now() - 60 * DAY).toISOString(),
        closesAt: new Date(Date.now() - DAY).toISOString(),
      }),
    });
    const draft = await sys.call('POST', '/applications', { key: applicant.key, body: draftBody(closed.body.id) });
    const res = await sys.call('POST', `/applications/${draft.body.id}/submit`, { key: applicant.key });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CallNotOpen');
    await expect(sys.client.workflow.getHandle(draft.body.id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await sys.db.prisma.application.findUniqueOrThrow({ where: { id: draft.body.id } })).stage).toBe('draft');
  });

  it('does not let a submitted application be edited', async () => {
    const id = await newDraft();
    await sys.call('POST', `/applications/${id}/submit`, { key: applicant.key });
    const res = await sys.call('PATCH', `/applications/${id}`, { key: applicant.key, body: { title: 'changed' } });
    expect(res.status).toBe(409);
    expect((await sys.db.prisma.application.findUniqueOrThrow({ where: { id } })).title).toBe(draftBody('').title);
  });
});

describe('who sees what', () => {
  it('hides one applicant’s case from another, and lists only one’s own', async () => {
    const mine = await newDraft();
    const theirs = await newDraft(otherApplicant.key);
    expect((await sys.call('GET', `/applications/${mine}`, { key: otherApplicant.key })).status).toBe(404);
    expect((await sys.call('POST', `/applications/${mine}/submit`, { key: otherApplicant.key })).status).toBe(404);
    const list = await sys.call('GET', '/applications?limit=200', { key: otherApplicant.key });
    const ids = list.body.items.map((a: { id: string }) => a.id);
    expect(ids).toContain(theirs);
    expect(ids).not.toContain(mine);
    const officerView = await sys.call('GET', `/applications/${mine}`, { key: officer.key });
    expect(officerView.status).toBe(200);
    // Staff reads of personal data are on the audit trail, with the request id; the applicant's own are not.
    const reads = await sys.db.prisma.auditEntry.findMany({ where: { targetId: mine, action: 'application.read' } });
    expect(reads).toEqual([expect.objectContaining({ actorId: officer.id, actorRole: 'officer', requestId: officerView.headers.get('x-request-id') })]);
  });

  it('records every one of many staff reads at once, each before it is answered, in one intact chain', async () => {
    const id = await newDraft();
    const answered = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const res = await sys.call('GET', `/applications/${id}`, { key: officer.key });
        expect(res.status).toBe(200);
        const requestId = res.headers.get('x-request-id');
        // Answered only once recorded: the entry is there when the answer arrives.
        expect(await sys.db.prisma.auditEntry.count({ where: { targetId: id, requestId } })).toBe(1);
        return requestId;
      }),
    );
    const reads = await sys.db.prisma.auditEntry.findMany({ where: { targetId: id, action: 'application.read' }, orderBy: { seq: 'asc' } });
    expect(reads.map((r) => r.requestId).sort()).toEqual([...answered].sort());
    // Batched, yet one entry per sequence number, each chained to the one before.
    expect(new Set(reads.map((r) => r.seq)).size).toBe(60);
    expect((await sys.call('GET', '/audit/verify', { key: officer.key })).body).toMatchObject({ intact: true });
  });

  it('refuses missing, malformed, unknown and revoked keys with 401, and wrong roles with 403', async () => {
    expect((await sys.call('GET', '/me')).status).toBe(401);
    expect((await sys.call('GET', '/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await sys.call('GET', '/me', { key: 'pf_not-a-key' })).status).toBe(401);
    const forged = `pf_${'0'.repeat(16)}_${'A'.repeat(43)}`;
    expect((await sys.call('GET', '/me', { key: forged })).status).toBe(401);
    // A real key id with a wrong secret.
    const tampered = applicant.key.slice(0, -4) + (applicant.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await sys.call('GET', '/me', { key: tampered })).status).toBe(401);

    const user = await sys.user('applicant');
    expect((await sys.call('GET', '/me', { key: user.key })).body.id).toBe(user.id);
    const keyId = user.key.slice(3, 19);
    expect((await sys.call('DELETE', `/api-keys/${keyId}`, { key: user.key })).status).toBe(200);
    const revoked = await sys.call('GET', '/me', { key: user.key });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('content-type')).toContain('application/problem+json');

    const wrongRole = await sys.call('POST', '/programmes', { key: applicant.key, body: programmeBody() });
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.body.code).toBe('Forbidden');
  });

  it('lets an administrator create users whose keys work at once', async () => {
    const res = await sys.call('POST', '/users', {
      key: sys.adminKey,
      body: { email: 'Reviewer.Chen@Example.cn', displayName: 'Prof. Chen', role: 'reviewer' },
    });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe('reviewer.chen@example.cn');
    const me = await sys.call('GET', '/me', { key: res.body.apiKey });
    expect(me.body).toMatchObject({ role: 'reviewer', displayName: 'Prof. Chen' });
    const stored = await sys.db.prisma.apiKey.findFirstOrThrow({ where: { userId: res.body.user.id } });
    expect(res.body.apiKey).not.toContain(stored.secretHash);
    const dup = await sys.call('POST', '/users', { key: sys.adminKey, body: { email: 'reviewer.chen@example.cn', displayName: 'x', role: 'reviewer' } });
    expect(dup.status).toBe(409);
  });
});

describe('bad input gets one problem format and changes nothing', () => {
  it.each([
    ['a negative budget', { budgetFen: -1 }],
    ['a fractional budget', { budgetFen: 100.5 }],
    ['a budget beyond 2^53', { budgetFen: 2 ** 60 }],
    ['an impossible date', { opensAt: '2026-02-30T00:00:00+08:00' }],
    ['a close before the open', { closesAt: '2020-01-01T00:00:00+08:00' }],
    ['an unknown field', { colour: 'red' }],
    ['a script for a code', { code: '<script>alert(1)</script>' }],
  ])('refuses %s', async (_what, overrides) => {
    const before = await sys.db.prisma.programme.count();
    const res = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody(overrides) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, code: 'ValidationFailed', type: 'urn:programme-flow:problem:ValidationFailed' });
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await sys.db.prisma.programme.count()).toBe(before);
  });

  it('refuses a body that is not JSON, the wrong content type, an oversized body and an unknown route', async () => {
    const notJson = await sys.call('POST', '/programmes', { key: officer.key, body: '{"code":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('BadRequest');
    const wrongType = await sys.call('POST', '/programmes', { key: officer.key, body: 'code=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrongType.status).toBe(415);
    const huge = await sys.call('POST', '/programmes', { key: officer.key, body: { ...programmeBody(), title: 'x'.repeat(200_000) } });
    expect(huge.status).toBe(413);
    const missing = await sys.call('GET', '/nowhere', { key: officer.key });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NotFound');
    const badId = await sys.call('GET', '/applications/not-a-uuid', { key: officer.key });
    expect(badId.status).toBe(400);
  });
});

describe('health', () => {
  it('reports the database and Temporal', async () => {
    const res = await sys.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
  });
});
