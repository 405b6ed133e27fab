// The talent-fund case from submission to close-out, and the paths money takes, on the
// time-skipping server with the months and years skipped.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { ledgerTotals } from '../../money/ledger';
import { cancelUpdate, forceTerminateUpdate, signUpdate, countersignUpdate } from '../../shared';
import { CaseDriver } from '../helpers/case-driver';
import { useTimeSkippingWorker } from '../helpers/temporal';

const ctx = useTimeSkippingWorker();

const driver = () => new CaseDriver(ctx.env, ctx.db, ctx.taskQueue).programmeWith();
const failureType = (err: unknown) => ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type;

it('runs the straight path from submission to close-out, paying 60% on signing and 40% after the mid-term', async () => {
  const d = await driver();
  const c = await d.submitted();
  const signed = await c.toSignedAgreement();
  expect(signed.stage).toBe('in_progress');
  expect(signed.tranches.map((t) => [t.code, t.amountFen, t.status])).toEqual([
    ['T1', 480_000_000, 'released'],
    ['T2', 320_000_000, 'planned'],
  ]);
  const paidT1 = await c.approve('T1');
  expect(paidT1.tranches[0]!.status).toBe('paid');

  // Eighteen months on: the mid-term check.
  await ctx.env.sleep('540 days');
  expect((await c.milestone(75)).status).toBe('scored');
  await c.waitUntil('T2 released', (v) => v.tranches[1]!.status === 'released');
  await c.approve('T2');

  // Thirty-six months: final acceptance, decided and published.
  await ctx.env.sleep('540 days');
  await c.milestone(82);
  await c.decideFinal('pass');
  const done = await c.waitFor('completed');
  expect(done.history.map((h) => h.stage)).toEqual([
    'submitted', 'formal_review', 'expert_review', 'defence', 'committee', 'public_notice', 'agreement',
    'in_progress', 'final_acceptance', 'public_notice', 'completed',
  ]);
  const totals = await ledgerTotals(ctx.db.prisma, d.programme.programmeId);
  expect(totals).toMatchObject({ committedFen: 800_000_000n, paidFen: 800_000_000n, returnedFen: 0n, clawedBackFen: 0n });
  await c.expectConsistent();
  const history = await ctx.db.prisma.stageHistory.count({ where: { caseId: c.id } });
  expect(history).toBe(11);

  // The projector runs as a local activity (projector-local-activity): the only activity tasks on
  // the server are the rules' and the money's, and an action is accepted and answered within one
  // workflow task, its projection's marker between the two. The case runs its notices and milestone
  // checks in itself (case-runs-notices-and-checks): its one child is the review round.
  const events = (await c.handle.fetchHistory()).events!;
  const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  expect(scheduled.sort()).toEqual(['checkEligibility', 'commitAward', 'payTranche', 'payTranche']);
  const children = events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? []);
  expect(children).toEqual(['reviewRoundWorkflow']);
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'signAgreement');
  const updateId = events[accepted]?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId;
  const answered = events.findIndex((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === updateId);
  expect([accepted > 0, answered > accepted]).toEqual([true, true]);
  const between = events.slice(accepted + 1, answered);
  expect(between.some((e) => e.workflowTaskCompletedEventAttributes)).toBe(false);
  expect(between.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toBe(true);
});

it('pays a tranche once when finance double-clicks, and needs two different people when configured so', async () => {
  const d = await new CaseDriver(ctx.env, ctx.db, ctx.taskQueue).programmeWith({
    config: { ...(await import('../helpers/fixtures')).fundConfig(), finance: { approvalsRequired: 2 } },
  });
  const c = await d.submitted();
  await c.toSignedAgreement();
  const first = await c.approve('T1');
  expect(first.tranches[0]).toMatchObject({ status: 'released' });
  const twice = await c.approve('T1').catch((e: unknown) => e);
  expect(failureType(twice)).toBe('AlreadyDone');
  const results = await Promise.allSettled([c.approve('T1', d.finance[1]), c.approve('T1', d.finance[1])]);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  expect((await c.view()).tranches[0]!.status).toBe('paid');
  const payments = await ctx.db.prisma.ledgerEntry.count({ where: { caseId: c.id, kind: 'payment' } });
  expect(payments).toBe(1);
  await c.expectConsistent();
});

it('lets an unsigned agreement lapse at its deadline, committing nothing', async () => {
  const d = await driver();
  const c = await d.submitted();
  await c.closeCallAndAccept();
  await c.reviewersScore(8);
  await c.passAssessments();
  await c.award('B', 500_000_000);
  await c.waitFor('agreement');
  await ctx.env.sleep('31 days');
  const view = await c.waitFor('lapsed');
  expect(view.closedReason).toMatch(/not signed/);
  expect(await ctx.db.prisma.ledgerEntry.count({ where: { caseId: c.id } })).toBe(0);
  await c.expectConsistent();
});

it('refuses to countersign when the budget cannot cover the award, and changes nothing', async () => {
  const d = await new CaseDriver(ctx.env, ctx.db, ctx.taskQueue).programmeWith({ budgetFen: 1_000_000_000n });
  const [a, b] = [await d.submitted(), await d.submitted()];
  await a.toSignedAgreement({ tier: 'A', amountFen: 800_000_000 });
  await b.closeCallAndAccept();
  await b.reviewersScore(8);
  await b.passAssessments();
  await b.award('B', 500_000_000);
  await b.waitFor('agreement');
  await b.handle.executeUpdate(signUpdate, { args: [{ actor: b.applicant }] });
  const err = await b.handle.executeUpdate(countersignUpdate, { args: [{ actor: b.officer }] }).catch((e: unknown) => e);
  expect(failureType(err)).toBe('BudgetExhausted');
  expect((await b.view()).stage).toBe('agreement');
  const totals = await ledgerTotals(ctx.db.prisma, d.programme.programmeId);
  expect(totals).toMatchObject({ committedFen: 800_000_000n, remainingFen: 200_000_000n });
  await b.expectConsistent();
});

it('withholds the tranche after a failed mid-term, then releases it when the rectified check passes', async () => {
  const d = await driver();
  const c = await d.submitted();
  await c.toSignedAgreement();
  await c.approve('T1');
  await ctx.env.sleep('540 days');
  await c.milestone(45);
  const rectifying = await c.waitUntil('the rectification check', (v) => v.milestones.length === 2);
  expect(rectifying.tranches[1]!.status).toBe('withheld');
  expect(rectifying.extensionsUsed).toBe(1);
  await ctx.env.sleep('180 days');
  await c.milestone(70);
  await c.waitUntil('T2 released', (v) => v.tranches[1]!.status === 'released');
  expect((await c.view()).milestones.map((m) => [m.code, m.attempt, m.outcome])).toEqual([
    ['midterm', 1, 'rectify'],
    ['midterm', 2, 'passed'],
    ['final', 1, null],
  ]);
  await c.expectConsistent();
});

it('terminates after a second failed mid-term, returning the surplus and recording the credit downgrade', async () => {
  const d = await driver();
  const c = await d.submitted();
  await c.toSignedAgreement();
  await c.approve('T1');
  await ctx.env.sleep('540 days');
  await c.milestone(40);
  await ctx.env.sleep('180 days');
  await c.milestone(50);
  const view = await c.waitFor('terminated');
  expect(view.tranches.map((t) => t.status)).toEqual(['paid', 'cancelled']);
  const totals = await ledgerTotals(ctx.db.prisma, d.programme.programmeId);
  expect(totals).toMatchObject({ committedFen: 800_000_000n, paidFen: 480_000_000n, returnedFen: 320_000_000n, outstandingCommitmentFen: 480_000_000n });
  const credit = await ctx.db.prisma.creditRecord.findMany({ where: { caseId: c.id } });
  expect(credit.map((r) => r.subjectKind).sort()).toEqual(['lead', 'unit']);
  await c.expectConsistent();
});

it('force-terminates with a clawback of everything paid and credit consequences for unit, lead and members', async () => {
  const d = await driver();
  const c = await d.submitted();
  await c.toSignedAgreement();
  await c.approve('T1');
  await ctx.env.sleep('100 days');
  const view = await c.handle.executeUpdate(forceTerminateUpdate, { args: [{ actor: c.officer, reason: 'Falsified research records' }] });
  expect(view.stage).toBe('force_terminated');
  const totals = await ledgerTotals(ctx.db.prisma, d.programme.programmeId);
  expect(totals).toMatchObject({ paidFen: 480_000_000n, clawedBackFen: 480_000_000n, returnedFen: 320_000_000n, outstandingCommitmentFen: 0n, netPaidFen: 0n });
  const credit = await ctx.db.prisma.creditRecord.findMany({ where: { caseId: c.id } });
  expect(credit.map((r) => r.subjectKind).sort()).toEqual(['lead', 'member', 'member', 'unit']);
  await c.expectConsistent();
  // The unit can no longer pass the eligibility check of a new application.
  const again = await (await driver()).submitted({ unitName: c.input.application.unitName });
  const formal = await again.waitFor('formal_review');
  expect(formal.eligibility?.failures.join(' ')).toMatch(/credit downgrade/);
});

it('cancels a funded case at any stage, returning its unpaid commitment', async () => {
  const d = await driver();
  const c = await d.submitted();
  await c.toSignedAgreement();
  await c.approve('T1');
  const view = await c.handle.executeUpdate(cancelUpdate, { args: [{ actor: c.officer, reason: 'Project merged into a provincial programme' }] });
  expect(view.stage).toBe('cancelled');
  const totals = await ledgerTotals(ctx.db.prisma, d.programme.programmeId);
  expect(totals).toMatchObject({ outstandingCommitmentFen: 480_000_000n, returnedFen: 320_000_000n });
  await c.expectConsistent();
});
