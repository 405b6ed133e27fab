// The selection half of a talent-fund case: formal review, expert review rounds, defence and site
// visit, committee decision and public notice, with every refusal path, on the time-skipping server.
import type { WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import {
  awardUpdate,
  declareConflictUpdate,
  fileObjectionUpdate,
  formalReviewUpdate,
  migrateConfigUpdate,
  recordAssessmentUpdate,
  resolveObjectionUpdate,
  resubmitUpdate,
  reviewRoundViewQuery,
  stalledReviewUpdate,
  submitScoreUpdate,
  withdrawUpdate,
} from '../../shared';
import { programmeConfigSchema } from '../../shared/programme-config';
import { CaseDriver } from '../helpers/case-driver';
import { fundConfig } from '../helpers/fixtures';
import { useTimeSkippingWorker } from '../helpers/temporal';

const ctx = useTimeSkippingWorker();

const driver = (opts: Parameters<CaseDriver['programmeWith']>[0] = {}) => new CaseDriver(ctx.env, ctx.db, ctx.taskQueue).programmeWith(opts);
const failureType = (err: unknown) => ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type;
const filer = { name: 'Chen Wei', idMasked: '440604********0012', idHash: 'h'.repeat(64), contact: '13800000000' };

describe('formal review', () => {
  it('returns an application for revision, and resumes the case on resubmission', async () => {
    const c = await (await driver()).submitted();
    await c.waitFor('formal_review');
    const returned = await c.handle.executeUpdate(formalReviewUpdate, { args: [{ actor: c.officer, decision: 'return', reason: 'Budget breakdown missing' }] });
    expect(returned.stage).toBe('revision_requested');
    expect(returned.next).toMatchObject({ waitingOn: 'applicant' });
    await ctx.env.sleep('3 days');
    const resubmitted = await c.handle.executeUpdate(resubmitUpdate, { args: [{ actor: c.applicant, application: { ...c.input.application, summaryLength: 900 } }] });
    expect(resubmitted.stage).toBe('formal_review');
    expect(resubmitted.revisionsUsed).toBe(1);
    await c.handle.executeUpdate(formalReviewUpdate, { args: [{ actor: c.officer, decision: 'accept' }] });
    expect(await c.stage()).toBe('expert_review');
    await c.expectConsistent();
  });

  it('closes the case when the revision deadline passes', async () => {
    const c = await (await driver()).submitted();
    await c.waitFor('formal_review');
    await c.handle.executeUpdate(formalReviewUpdate, { args: [{ actor: c.officer, decision: 'return', reason: 'Missing documents' }] });
    await ctx.env.sleep('11 days');
    const view = await c.waitFor('lapsed');
    expect(view.closedReason).toMatch(/revision/);
    const late = await c.handle.executeUpdate(resubmitUpdate, { args: [{ actor: c.applicant, application: c.input.application }] }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(Error);
    await c.expectConsistent();
  });

  it('rejects with a reason, and shows the automatic eligibility findings to the officer', async () => {
    const c = await (await driver()).submitted({ field: 'real-estate' });
    const view = await c.waitFor('formal_review');
    expect(view.eligibility).toMatchObject({ passed: false });
    expect(view.eligibility!.failures.join(' ')).toMatch(/real-estate/);
    const rejected = await c.handle.executeUpdate(formalReviewUpdate, { args: [{ actor: c.officer, decision: 'reject', reason: 'Outside the zone’s industries' }] });
    expect(rejected).toMatchObject({ stage: 'rejected', closedReason: 'Outside the zone’s industries' });
    await c.expectConsistent();
  });

  it('refuses decisions from the wrong person before they enter history', async () => {
    const c = await (await driver()).submitted();
    await c.waitFor('formal_review');
    const byApplicant = await c.handle
      .executeUpdate(formalReviewUpdate, { args: [{ actor: c.applicant, decision: 'accept' }] })
      .catch((e: unknown) => e);
    expect(failureType(byApplicant)).toBe('NotYourCase');
    const history = await c.handle.fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(1); // the submission only
  });
});

describe('expert review', () => {
  it('recuses a conflicted reviewer and seats a replacement at once; blind scores aggregate by trimmed mean', async () => {
    const c = await (await driver()).submitted();
    await c.closeCallAndAccept();
    const { round, panel } = await c.seatedPanel();
    const conflicted = panel.assignments[0]!.reviewerId;
    await round.executeUpdate(declareConflictUpdate, { args: [{ actor: { id: conflicted, role: 'reviewer' }, conflict: true, reason: 'Former PhD supervisor of the lead' }] });
    const scoreAfter = await round
      .executeUpdate(submitScoreUpdate, { args: [{ actor: { id: conflicted, role: 'reviewer' }, scores: { innovation: 9, team: 9, market: 9, fit: 9 }, comment: 'x', recommendation: 'fund' }] })
      .catch((e: unknown) => e);
    expect(failureType(scoreAfter)).toBe('ConflictDeclared');
    const reseated = await c.seatedPanel();
    expect(reseated.panel.assignments.filter((a) => a.status !== 'recused')).toHaveLength(5);
    expect(reseated.panel.assignments.map((a) => a.reviewerId)).toContain(conflicted);
    await c.reviewersScore((i) => [9, 8, 8, 7, 2][i]!);
    const view = await c.waitFor('defence');
    // Trimmed mean of 90, 80, 80, 70, 20 without the highest and the lowest: 76.67.
    expect(view.lastReview).toMatchObject({ outcome: 'pass', aggregate: 76.67, submitted: 5 });
    const recused = await ctx.db.prisma.reviewAssignment.findFirstOrThrow({ where: { caseId: c.id, reviewerId: conflicted } });
    expect(recused.status).toBe('recused');
  });

  it('reminds a silent reviewer, escalates to the officer after the deadline and replaces the reviewer', async () => {
    const c = await (await driver()).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8, 4);
    const { panel } = await c.seatedPanel();
    const silent = panel.assignments.find((a) => a.status === 'assigned')!.reviewerId;
    await ctx.env.sleep('17 days');
    const after = await c.child((await c.view()).active.reviewRound).query(reviewRoundViewQuery);
    expect(after.assignments.find((a) => a.reviewerId === silent)!.status).toBe('replaced');
    expect(after.escalated).toBe(true);
    expect(after.replacementsUsed).toBe(1);
    const notes = await ctx.db.prisma.notification.findMany({ where: { caseId: c.id } });
    expect(notes.filter((n) => n.userId === silent && n.kind === 'review.reminder')).toHaveLength(2);
    expect(notes.filter((n) => n.role === 'officer' && n.kind === 'review.overdue')).toHaveLength(1);
    await c.reviewersScore(8);
    expect((await c.waitFor('defence')).lastReview).toMatchObject({ outcome: 'pass', submitted: 5 });
  });

  it('stalls without quorum, and the officer may restart the round or reject', async () => {
    const c = await (await driver({ config: fundConfig({ review: { ...fundConfig().review, maxReplacements: 0 } as never }) })).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8, 2);
    await ctx.env.sleep('17 days');
    const stalled = await c.waitFor('review_stalled');
    expect(stalled.lastReview).toMatchObject({ outcome: 'no_quorum', submitted: 2 });
    const restarted = await c.handle.executeUpdate(stalledReviewUpdate, { args: [{ actor: c.officer, decision: 'restart', reason: 'New panel' }] });
    expect(restarted).toMatchObject({ stage: 'expert_review', reviewRound: 2 });
    await c.reviewersScore(3);
    const rejected = await c.waitFor('rejected');
    expect(rejected.closedReason).toMatch(/below the pass score/);
    await c.expectConsistent();
  });
});

describe('defence, committee and public notice', () => {
  it('rejects after a failed defence', async () => {
    const c = await (await driver()).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8);
    await c.waitFor('defence');
    const view = await c.handle.executeUpdate(recordAssessmentUpdate, { args: [{ actor: c.officer, kind: 'defence', outcome: 'fail', notes: 'No working prototype' }] });
    expect(view.stage).toBe('rejected');
    await c.expectConsistent();
  });

  it('rejects at the committee with a reason, and refuses an amount above the tier', async () => {
    const c = await (await driver()).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8);
    await c.passAssessments();
    await c.waitFor('committee');
    const tooMuch = await c.handle.executeUpdate(awardUpdate, { args: [{ actor: c.officer, decision: 'award', tier: 'C', amountFen: 300_000_000 }] }).catch((e: unknown) => e);
    expect(failureType(tooMuch)).toBe('InvalidAction');
    const view = await c.handle.executeUpdate(awardUpdate, { args: [{ actor: c.officer, decision: 'reject', reason: 'Quota for new energy reached' }] });
    expect(view).toMatchObject({ stage: 'rejected', closedReason: 'Quota for new energy reached' });
  });

  it('dismisses one objection and upholds another, which sends the case back to expert review', async () => {
    const c = await (await driver()).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8);
    await c.passAssessments();
    await c.award('A', 800_000_000);
    const notice = c.child((await c.view()).active.notice);
    const anonymous = await notice.executeUpdate(fileObjectionUpdate, { args: [{ filer: { ...filer, name: ' ' }, text: 'x' }] }).catch((e: unknown) => e);
    expect(failureType(anonymous)).toBe('InvalidAction');
    const first = await notice.executeUpdate(fileObjectionUpdate, { args: [{ filer, text: 'The lead also holds a Shenzhen award for the same project' }] });
    const second = await notice.executeUpdate(fileObjectionUpdate, { args: [{ filer: { ...filer, name: 'Wu Fang' }, text: 'The prototype was bought, not built' }] });
    expect(second.objections).toHaveLength(2);
    // The notice period ends, but not while objections are open.
    await ctx.env.sleep('20 days');
    expect((await c.view()).stage).toBe('public_notice');
    await notice.executeUpdate(resolveObjectionUpdate, { args: [{ actor: c.officer, objectionId: first.objections[0]!.id, resolution: 'dismissed', reason: 'Different project' }] });
    await notice.executeUpdate(resolveObjectionUpdate, { args: [{ actor: c.officer, objectionId: second.objections[1]!.id, resolution: 'upheld', action: 'back_to_review', reason: 'Invoice found' }] });
    const back = await c.waitFor('expert_review');
    expect(back.reviewRound).toBe(2);
    const rows = await ctx.db.prisma.objection.findMany({ where: { caseId: c.id }, orderBy: { filedAt: 'asc' } });
    expect(rows.map((r) => r.status)).toEqual(['dismissed', 'upheld']);
    await c.expectConsistent();
  });

  it('ends a notice without objections after seven working days and moves to the agreement', async () => {
    const c = await (await driver()).submitted();
    await c.closeCallAndAccept();
    await c.reviewersScore(8);
    await c.passAssessments();
    const noticed = await c.award('C', 200_000_000);
    expect(noticed.stage).toBe('public_notice');
    const { startsAt, endsAt } = await c.noticeView();
    // Seven working days are never fewer than nine calendar days (a weekend at least).
    expect(Date.parse(endsAt!) - Date.parse(startsAt)).toBeGreaterThanOrEqual(8 * 24 * 3600 * 1000);
    await ctx.env.sleep('14 days');
    const view = await c.waitFor('agreement');
    expect(view.award).toEqual({ tier: 'C', amountFen: 200_000_000 });
  });
});

describe('the applicant and the officer can end a case early', () => {
  it('withdraws during expert review; the review round is cancelled', async () => {
    const c = await (await driver()).submitted();
    await c.closeCallAndAccept();
    const { round } = await c.seatedPanel();
    const view = await c.handle.executeUpdate(withdrawUpdate, { args: [{ actor: c.applicant, reason: 'Moving to another zone' }] });
    expect(view.stage).toBe('withdrawn');
    const description = await round.describe();
    expect(description.status.name).toBe('CANCELLED');
    await c.expectConsistent();
  });
});

describe('programme rules are versioned', () => {
  it('keeps the version a case started with until an officer migrates it', async () => {
    const d = await driver();
    const c = await d.submitted();
    await c.waitFor('formal_review');
    const v2 = programmeConfigSchema.parse(fundConfig({ publicNotice: { workingDays: 5 } }));
    await ctx.db.prisma.programmeVersion.create({ data: { programmeId: d.programme.programmeId, version: 2, config: v2 as never, createdById: c.officer.id } });
    expect((await c.view()).configVersion).toBe(1);
    const migrated = await c.handle.executeUpdate(migrateConfigUpdate, { args: [{ actor: c.officer, configVersion: 2, config: v2 }] });
    expect(migrated.configVersion).toBe(2);
    const row = await ctx.db.prisma.application.findUniqueOrThrow({ where: { id: c.id } });
    expect(row.configVersion).toBe(2);
    const backwards = await c.handle.executeUpdate(migrateConfigUpdate, { args: [{ actor: c.officer, configVersion: 1, config: v2 }] }).catch((e: unknown) => e);
    expect(failureType(backwards)).toBe('InvalidAction');
  });
});
