// A station through the HTTP API on the dev server: experts registered, the host applies, the
// officer, the reviewers and the public act, and the station is established and evaluated. Time is
// compressed by the programme's configuration (a day in 100 ms).
import { DAY, stationConfig } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(180_000);

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});


it('establishes and evaluates a station over HTTP, and lists stations by type, host and due date', async () => {
  const officer = await sys.user('officer');
  const host = await sys.user('applicant');
  const otherHost = await sys.user('applicant');
  const reviewers: Array<{ key: string }> = [];
  for (let i = 0; i < 3; i++) {
    const r = await sys.call('POST', '/users', { key: sys.adminKey, body: { email: `st-rev${i}-${Date.now()}@experts.cn`, displayName: `Prof. ${i}`, role: 'reviewer', expertise: ['advanced-manufacturing'] } });
    reviewers.push({ key: r.body.apiKey });
  }
  const config = { ...stationConfig(), timeScale: 864_000, publicNotice: { workingDays: 20 }, review: { ...stationConfig().review!, deadlineDays: 3650, replaceSilentAfterDays: 3650 } };
  const programme = await sys.call('POST', '/programmes', {
    key: officer.key,
    body: { code: `WZ-${Date.now()}`, title: 'Wenzhou workstations 2021-2023', kind: 'workstation', budgetFen: 1_000_000_000, opensAt: new Date(Date.now() - DAY).toISOString(), closesAt: new Date(Date.now() + 900 * DAY).toISOString(), config },
  });
  expect(programme.status).toBe(201);

  const academician = await sys.call('POST', '/experts', { key: officer.key, body: { name: 'Academician Zhou', title: 'academician', field: 'advanced-manufacturing' } });
  const doctor = await sys.call('POST', '/experts', { key: officer.key, body: { name: 'Dr. Lin', title: 'doctor', field: 'advanced-manufacturing' } });
  const wrongType = await sys.call('POST', '/stations', {
    key: host.key,
    body: { programmeId: programme.body.id, type: 'no_such_type', name: 'X', field: 'advanced-manufacturing', hostName: 'Wenzhou Valve', experts: [academician.body.id] },
  });
  expect(wrongType.status).toBe(400);
  const draft = await sys.call('POST', '/stations', {
    key: host.key,
    body: { programmeId: programme.body.id, type: 'academician_workstation', name: 'Wenzhou Valve academician workstation', field: 'advanced-manufacturing', hostName: 'Wenzhou Valve Co., Ltd.', experts: [academician.body.id] },
  });
  expect(draft.status).toBe(201);
  const id = draft.body.id as string;
  expect((await sys.call('GET', `/stations/${id}`, { key: otherHost.key })).status).toBe(404);

  const submitted = await sys.call('POST', `/stations/${id}/submit`, { key: host.key });
  expect(['submitted', 'formal_check']).toContain(submitted.body.stage);
  await eventually('formal check', async () => (await sys.call('GET', `/stations/${id}`, { key: officer.key })).body.stage === 'formal_check');
  expect((await sys.call('POST', `/stations/${id}/formal-check`, { key: officer.key, body: { decision: 'accept' } })).body.stage).toBe('expert_panel');

  for (const r of reviewers) {
    await eventually('an assignment', async () => (await sys.call('GET', '/reviews', { key: r.key })).body.items.some((a: { caseId: string }) => a.caseId === id));
    expect((await sys.call('POST', `/stations/${id}/review/declaration`, { key: r.key, body: { conflict: false } })).status).toBe(200);
    const scored = await sys.call('POST', `/stations/${id}/review/score`, { key: r.key, body: { scores: { host: 8, experts: 9, plan: 8 }, comment: 'Solid host', recommendation: 'fund' } });
    expect(scored.status).toBe(200);
  }
  await eventually('site visit', async () => (await sys.call('GET', `/stations/${id}`, { key: officer.key })).body.stage === 'site_visit');
  expect((await sys.call('POST', `/stations/${id}/site-visit`, { key: officer.key, body: { outcome: 'pass', notes: 'Lab in place' } })).body.stage).toBe('public_notice');
  const notices = await sys.call('GET', '/notices');
  expect(notices.body.items.some((n: { id: string; kind: string }) => n.id === id && n.kind === 'station')).toBe(true);

  const established = await eventually('establishment', async () => {
    const r = await sys.call('GET', `/stations/${id}`, { key: host.key });
    return r.body.stage === 'established' ? r.body : undefined;
  });
  expect(established.experts).toEqual([expect.objectContaining({ expertId: academician.body.id, status: 'resident' })]);
  const expert = await sys.call('GET', `/experts/${academician.body.id}`, { key: officer.key });
  expect(expert.body).toMatchObject({ residentSeats: 1, stations: [expect.objectContaining({ id, seat: 'resident' })] });
  const ledger = await sys.call('GET', `/programmes/${programme.body.id}/ledger`, { key: officer.key });
  expect(ledger.body).toMatchObject({ reconciled: true, totals: { committedFen: 50_000_000, paidFen: 50_000_000 } });

  // The listing: by type and host, and by next due date (the first yearly evaluation).
  const byType = await sys.call('GET', `/stations?type=academician_workstation&host=Valve&programmeId=${programme.body.id}`, { key: officer.key });
  expect(byType.body.items.map((s: { id: string }) => s.id)).toEqual([id]);
  const dueSoon = await sys.call('GET', `/stations?programmeId=${programme.body.id}&dueBefore=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`, { key: officer.key });
  expect(dueSoon.body.items.map((s: { id: string }) => s.id)).toEqual([id]);
  expect((await sys.call('GET', '/stations', { key: otherHost.key })).body.items).toEqual([]);

  // A doctor cannot replace the academician: the request is taken, the officer's approval refused.
  const change = await sys.call('POST', `/stations/${id}/experts/change`, { key: host.key, body: { add: doctor.body.id, remove: academician.body.id, reason: 'swap' } });
  expect(change.status).toBe(200);
  const changeId = change.body.expertChanges[0].id as string;
  const approval = await sys.call('POST', `/stations/${id}/experts/changes/${encodeURIComponent(changeId)}/decide`, { key: officer.key, body: { approve: true, reason: 'ok' } });
  expect(approval).toMatchObject({ status: 422, body: { code: 'InvalidAction' } });
  expect((await sys.call('GET', `/experts/${academician.body.id}`, { key: officer.key })).body.residentSeats).toBe(1);
  await sys.call('POST', `/stations/${id}/experts/changes/${encodeURIComponent(changeId)}/decide`, { key: officer.key, body: { approve: false, reason: 'Not an academician' } });

  // The first yearly evaluation, reported and scored over HTTP (a year passes in about 37 s here,
  // so the report goes in early, as hosts may).
  await eventually('the evaluation', async () => (await sys.call('GET', `/stations/${id}`, { key: host.key })).body.workflow?.active.milestoneCheck);
  expect((await sys.call('POST', `/stations/${id}/evaluation/report`, { key: host.key, body: { summary: 'Two patents, one product line' } })).status).toBe(200);
  const scored = await sys.call('POST', `/stations/${id}/evaluation/score`, { key: officer.key, body: { score: 88 } });
  expect(scored.body).toMatchObject({ status: 'scored', score: 88 });
  const graded = await eventually('the grade', async () => {
    const r = await sys.call('GET', `/stations/${id}`, { key: officer.key });
    return r.body.workflow.evaluations.find((e: { outcome: string | null }) => e.outcome) ?? undefined;
  });
  expect(graded).toMatchObject({ term: 1, year: 1, outcome: 'excellent', score: 88 });
  const commended = await eventually('the commendation', async () => sys.db.prisma.notification.findFirst({ where: { caseId: id, kind: 'station.excellent' } }));
  expect(commended!.userId).toBe(host.id);
});
