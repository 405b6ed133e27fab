// The bench's data generator, which other tests use too: what it writes reads back through Prisma
// as the application would have written it, the ledger it writes reconciles, and the read side
// answers over it (the programme report over more cases than SQLite binds in one statement).
import { CASE_STAGES, caseAt, generateApplications, generateLedger, seedPeople, stagePath } from '../../bench/data/generate';
import type { ApplicationStage } from '../../shared';
import { quantile, summarise } from '../../bench/lib/stats';
import { reconcile } from '../../money/ledger';
import { DAY } from '../helpers/fixtures';
import { seedProgramme } from '../helpers/seed';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(120_000);

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

it('writes cases at every stage that read back as written, and a ledger that reconciles', async () => {
  const { prisma } = sys.db;
  const people = await seedPeople(prisma, { applicants: 10, reviewers: 6, officers: 1 });
  expect(await prisma.user.count({ where: { id: { in: people.reviewers }, role: 'reviewer' } })).toBe(6);
  const p = await seedProgramme(prisma, { opensAt: new Date(Date.now() - 400 * DAY), closesAt: new Date(Date.now() - 300 * DAY) });
  const count = CASE_STAGES.length * 60 + 7; // 1,207: more than the 999 values SQLite binds at once
  const ids = await generateApplications(prisma, { programmeId: p.programmeId, applicantIds: people.applicants, reviewerIds: people.reviewers, count, mix: 'every-stage', chunk: 500 });
  expect(ids).toHaveLength(count);

  const byStage = await prisma.application.groupBy({ by: ['stage'], where: { programmeId: p.programmeId }, _count: true });
  const expected: Record<string, number> = {};
  for (let i = 0; i < count; i++) expected[caseAt(i, 'every-stage').stage] = (expected[caseAt(i, 'every-stage').stage] ?? 0) + 1;
  expect(Object.fromEntries(byStage.map((r) => [r.stage, r._count]))).toEqual(expected);
  expect(Object.keys(expected)).toHaveLength(CASE_STAGES.length);

  // A row as Prisma reads it: dates, big integers and nulls as written.
  const i = 9; // in progress, due (9 % 90 - 10) days from now
  const row = await prisma.application.findUniqueOrThrow({ where: { id: ids[i]! } });
  expect(row).toMatchObject({ title: `Project ${i}`, requestedFen: 9_000_000n, stage: caseAt(i, 'every-stage').stage, waitingOn: caseAt(i, 'every-stage').waitingOn, tier: null });
  expect(row.createdAt).toBeInstanceOf(Date);
  expect(Math.abs(row.dueAt!.getTime() - (Date.now() - DAY))).toBeLessThan(60_000);
  // Its stage history: from submission, one stay after another, to the stage it is in.
  const history = await prisma.stageHistory.findMany({ where: { caseId: ids[i]! }, orderBy: { seq: 'asc' } });
  expect(history.map((h) => h.stage)).toEqual(stagePath(row.stage as ApplicationStage));
  expect(history.map((h) => h.stage)).toEqual(['submitted', 'formal_review', 'expert_review', 'defence', 'committee', 'public_notice', 'agreement', 'in_progress']);
  expect(history.every((h, k) => k === 0 || h.enteredAt > history[k - 1]!.enteredAt)).toBe(true);
  const [written] = await prisma.$queryRaw<Array<{ n: number | bigint }>>`SELECT COUNT(*) AS n FROM "StageHistory" h JOIN "Application" a ON a."id" = h."caseId" WHERE a."programmeId" = ${p.programmeId}`;
  expect(Number(written!.n)).toBe(ids.reduce((n, _, k) => n + stagePath(caseAt(k, 'every-stage').stage).length, 0));
  const expertCases = expected.expert_review!;
  expect(await prisma.reviewAssignment.count({ where: { reviewerId: { in: people.reviewers } } })).toBe(expertCases * 5);

  await generateLedger(prisma, { programmeId: p.programmeId, count: 3_001, caseIds: ids.slice(0, 100) });
  expect(await prisma.ledgerEntry.count({ where: { programmeId: p.programmeId } })).toBe(3_001);
  expect(await reconcile(prisma, p.programmeId)).toEqual([]);

  // The report reads the stage history of every case in the programme: 1,207 of them.
  const officer = await sys.user('officer');
  const report = await sys.call('GET', `/programmes/${p.programmeId}/report`, { key: officer.key });
  expect(report.status).toBe(200);
  expect(Object.values(report.body.pipeline as Record<string, number>).reduce((s, n) => s + n, 0)).toBe(count);
  expect(report.body.money.committedFen).toBe(1_001 * 200_000_000);
});

it('summarises latencies by nearest rank', () => {
  expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
  expect(quantile([], 0.99)).toBe(0);
  expect(summarise([10, 20, 30, 40])).toEqual({ n: 4, meanMs: 25, p50Ms: 20, p95Ms: 40, p99Ms: 40 });
});
