// Stations over the years, on the time-skipping server: establishment, terms of yearly evaluations,
// rectification, revocation, quotas under racing approvals, expert changes, and renewal into a
// second term after continue-as-new.
import type { WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { ledgerTotals } from '../../money/ledger';
import { applyForRenewalUpdate, decideExpertChangeUpdate, decideRenewalUpdate, requestExpertChangeUpdate } from '../../shared';
import { stationConfig } from '../helpers/fixtures';
import { StationDriver } from '../helpers/station-driver';
import { useTimeSkippingWorker } from '../helpers/temporal';

const ctx = useTimeSkippingWorker();

const driver = (opts: Parameters<StationDriver['programmeWith']>[0] = {}) => new StationDriver(ctx.env, ctx.db, ctx.taskQueue).programmeWith(opts);
const failureType = (err: unknown) => ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type;

it('establishes a station after panel, site visit and a five-working-day notice, paying its subsidy once', async () => {
  const d = await driver();
  const s = await d.submitted();
  const view = await s.establish();
  expect(view).toMatchObject({ stage: 'established', term: 1 });
  expect(view.history.map((h) => h.stage)).toEqual(['submitted', 'formal_check', 'expert_panel', 'site_visit', 'public_notice', 'established']);
  const row = await ctx.db.prisma.station.findUniqueOrThrow({ where: { id: s.id }, include: { experts: true } });
  expect(row).toMatchObject({ stage: 'established', term: 1 });
  expect(row.termEndsAt!.getTime() - row.establishedAt!.getTime()).toBeGreaterThan(3 * 364 * 86_400_000);
  expect(row.experts.map((e) => e.status)).toEqual(['resident']);
  const totals = await ledgerTotals(ctx.db.prisma, d.programmeId);
  expect(totals).toMatchObject({ committedFen: 50_000_000n, paidFen: 50_000_000n });
  const quota = await ctx.db.prisma.stationQuota.findFirstOrThrow({ where: { programmeId: d.programmeId } });
  expect(quota.used).toBe(1);
  await s.expectLedgerReconciled();
});

it('runs a full term of three yearly evaluations, renews, and answers queries and updates in the second term after continue-as-new', async () => {
  const d = await driver();
  const s = await d.submitted();
  await s.establish();
  const firstRun = (await s.handle.describe()).runId;
  await ctx.env.sleep('360 days');
  expect((await s.evaluation(80)).score).toBe(80);
  await ctx.env.sleep('360 days');
  await s.evaluation(75);
  const early = await s.current().executeUpdate(applyForRenewalUpdate, { args: [{ actor: s.host }] }).catch((e: unknown) => e);
  expect(failureType(early)).toBe('WrongStage');
  await ctx.env.sleep('200 days');
  await s.current().executeUpdate(applyForRenewalUpdate, { args: [{ actor: s.host }] });
  await ctx.env.sleep('150 days');
  await s.evaluation(90);
  await s.waitUntil('renewal review', (v) => v.stage === 'renewal_review');
  await s.current().executeUpdate(decideRenewalUpdate, { args: [{ actor: s.officer, approve: true, reason: 'Excellent final year' }] });
  const second = await s.waitUntil('the second term', (v) => v.term === 2 && v.run === 2, '1 hour');
  expect(second.stage).toBe('established');
  expect(second.evaluations.filter((e) => e.outcome).map((e) => e.outcome)).toEqual(['pass', 'pass', 'excellent']);
  expect((await s.current().describe()).runId).not.toBe(firstRun);
  // The new run takes updates: an expert joins, approved by the officer.
  const newcomer = await d.expert();
  const requested = await s.current().executeUpdate(requestExpertChangeUpdate, { args: [{ actor: s.host, add: newcomer, reason: 'A second academician joins' }] });
  const change = requested.expertChanges.find((c) => c.status === 'pending')!;
  const decided = await s.current().executeUpdate(decideExpertChangeUpdate, { args: [{ actor: s.officer, changeId: change.id, approve: true, reason: 'Qualified' }] });
  expect(decided.residentExperts).toContain(newcomer);
  await ctx.env.sleep('370 days');
  await s.evaluation(70);
  expect((await s.view()).evaluations.filter((e) => e.outcome).at(-1)).toMatchObject({ term: 2, year: 1, outcome: 'pass' });
  await s.expectLedgerReconciled();
});

it('gives a rectification period after a weak evaluation, and goes on when the re-check passes', async () => {
  const s = await (await driver()).submitted();
  await s.establish();
  await ctx.env.sleep('360 days');
  await s.evaluation(50);
  const rectifying = await s.waitUntil('rectification', (v) => v.stage === 'rectifying', '1 hour');
  expect(rectifying.evaluations[0]).toMatchObject({ outcome: 'rectify', attempt: 1 });
  await ctx.env.sleep('170 days');
  await s.evaluation(68);
  const back = await s.waitUntil('good standing', (v) => v.stage === 'established', '1 hour');
  expect(back.evaluations.filter((e) => e.outcome).map((e) => [e.attempt, e.outcome])).toEqual([
    [1, 'rectify'],
    [2, 'pass'],
  ]);
});

it('revokes a station that fails its evaluation, and frees its experts', async () => {
  const d = await driver();
  const expert = await d.expert();
  const s = await d.submitted({ experts: [expert] });
  await s.establish();
  expect((await ctx.db.prisma.expert.findUniqueOrThrow({ where: { id: expert } })).residentSeats).toBe(1);
  await ctx.env.sleep('360 days');
  await s.evaluation(30);
  const revoked = await s.waitUntil('revocation', (v) => v.stage === 'revoked', '1 hour');
  expect(revoked.closedReason).toMatch(/failed/);
  expect((await ctx.db.prisma.expert.findUniqueOrThrow({ where: { id: expert } })).residentSeats).toBe(0);
  expect((await ctx.db.prisma.station.findUniqueOrThrow({ where: { id: s.id } })).stage).toBe('revoked');
});

it('refuses the establishment that would exceed the quota, cleanly', async () => {
  const base = stationConfig();
  const d = await driver({ config: { ...base, stationTypes: base.stationTypes.map((t) => ({ ...t, quota: 1 })) } });
  const [a, b] = [await d.submitted(), await d.submitted()];
  // Both notices run together and end together: the two establishments come at once.
  // (The time-skipping server's sleep is not for concurrent callers, so the steps go one by one.)
  await a.toNotice();
  await b.toNotice();
  await ctx.env.sleep('10 days');
  const done = (v: { stage: string }) => v.stage === 'established' || v.stage === 'rejected';
  const va = await a.waitUntil('a decided', done);
  const vb = await b.waitUntil('b decided', done);
  const stages = [va.stage, vb.stage].sort();
  expect(stages).toEqual(['established', 'rejected']);
  const loser = va.stage === 'rejected' ? va : vb;
  expect(loser.closedReason).toMatch(/quota of 1/);
  const quota = await ctx.db.prisma.stationQuota.findFirstOrThrow({ where: { programmeId: d.programmeId } });
  expect(quota.used).toBe(1);
  expect((await ledgerTotals(ctx.db.prisma, d.programmeId)).committedFen).toBe(50_000_000n);
  await a.expectLedgerReconciled();
});

it('refuses an expert change that would put an expert over the limit, leaving it for the officer to reject', async () => {
  const d = await driver();
  const s = await d.submitted();
  await s.establish();
  const busy = await d.expert();
  await ctx.db.prisma.expert.update({ where: { id: busy }, data: { residentSeats: 2 } });
  const requested = await s.current().executeUpdate(requestExpertChangeUpdate, { args: [{ actor: s.host, add: busy, reason: 'Joins us' }] });
  const change = requested.expertChanges[0]!;
  const refused = await s.current().executeUpdate(decideExpertChangeUpdate, { args: [{ actor: s.officer, changeId: change.id, approve: true, reason: 'ok' }] }).catch((e: unknown) => e);
  expect(failureType(refused)).toBe('ExpertOverCommitted');
  const rejected = await s.current().executeUpdate(decideExpertChangeUpdate, { args: [{ actor: s.officer, changeId: change.id, approve: false, reason: 'Over the limit' }] });
  expect(rejected.expertChanges[0]!.status).toBe('rejected');
  expect(rejected.residentExperts).not.toContain(busy);
});
