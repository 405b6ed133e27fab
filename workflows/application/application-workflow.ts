import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  executeChild,
  isCancellation,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type ActionContext,
  type ApplicationStage,
  type ApplicationView,
  type ApplicationWorkflowInput,
  type MilestoneCheckInput,
  type MilestoneCheckResult,
  type PublicNoticeInput,
  type PublicNoticeOutcome,
  afterMonths,
  applicationViewQuery,
  approvePaymentUpdate,
  awardUpdate,
  cancelUpdate,
  countersignUpdate,
  finalDecisionUpdate,
  forceTerminateUpdate,
  formalReviewUpdate,
  migrateConfigUpdate,
  msUntil,
  recordAssessmentUpdate,
  resubmitUpdate,
  scheduleAssessmentUpdate,
  signUpdate,
  stalledReviewUpdate,
  submitUpdate,
  withdrawUpdate,
} from '../../shared';
import { business, calculation } from '../lib/activities';
import { Projector } from '../lib/projector';
import { MilestoneCheck } from '../milestone-check/milestone-check';
import { milestoneCheckWorkflow } from '../milestone-check/milestone-check-workflow';
import { runMilestoneCheck, setMilestoneCheckHandlers } from '../milestone-check/run-milestone-check';
import { PublicNotice } from '../public-notice/public-notice';
import { publicNoticeWorkflow } from '../public-notice/public-notice-workflow';
import { runPublicNotice, setPublicNoticeHandlers } from '../public-notice/run-public-notice';
import { reviewRoundWorkflow } from '../review-round/review-round-workflow';
import { ApplicationCase } from './application-case';

/**
 * A case that began with this patch runs its public notices and milestone checks in itself, taking
 * their objection, report and score updates, where one that began before it ran each as a child
 * workflow. A child costs the server its own history, start and close, several workflow tasks on
 * either side and two visibility records; a fund case ran four of them. Asked once, at the start,
 * so that a case keeps one way for its whole run: a case that began before the patch replays
 * without its marker and keeps its children.
 */
export const HOSTED_STEPS_PATCH = 'case-runs-notices-and-checks';

/** Rethrows a business refusal from an activity as the update's own failure, keeping its type. */
function asUpdateFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: err.cause.type ?? undefined, message: err.cause.message, nonRetryable: true });
  }
  return err;
}

/**
 * One talent-fund application for its whole life: submission, formal review, expert review,
 * defence and site visit, committee decision, public notice, agreement, tranches and milestone
 * checks, final acceptance and close-out. Started by the submit update (update-with-start) with the
 * application's id as workflow id.
 */
export async function applicationWorkflow(input: ApplicationWorkflowInput): Promise<ApplicationView> {
  const { workflowId } = workflowInfo();
  const projector = new Projector();
  const kase = new ApplicationCase(input, projector.emit);
  projector.watchView('application', input.applicationId, () => kase.view());
  const lifecycle = new CancellationScope();
  const hostsSteps = patched(HOSTED_STEPS_PATCH);
  let notice: PublicNotice | null = null;
  let check: MilestoneCheck | null = null;
  let lastCheck: MilestoneCheckResult | null = null;
  const now = () => new Date();
  const programmeId = input.programme.id;

  const reply = async () => {
    await projector.flush();
    return kase.view();
  };
  /** For decisions the lifecycle acts on: answer once the case has moved on. */
  const replyAfterProgress = async (mark: number) => {
    await condition(() => kase.historyLength > mark || kase.isFinal);
    return reply();
  };
  const abortWith = async (abort: NonNullable<ApplicationCase['abort']>) => {
    kase.requestAbort(abort);
    lifecycle.cancel();
    await condition(() => kase.isFinal);
    return reply();
  };

  // Handlers first, before any await. Each validator keeps refused actions out of history.
  setHandler(submitUpdate, (cmd) => (kase.submit(cmd, now()), reply()), {
    validator: (cmd) => kase.validateSubmit(cmd, now()),
  });
  setHandler(withdrawUpdate, (cmd) => abortWith({ kind: 'withdraw', cmd }), { validator: (cmd) => kase.validateWithdraw(cmd) });
  setHandler(cancelUpdate, (cmd) => abortWith({ kind: 'cancel', cmd }), { validator: (cmd) => kase.validateCancel(cmd) });
  setHandler(forceTerminateUpdate, (cmd) => abortWith({ kind: 'force_terminate', cmd }), {
    validator: (cmd) => kase.validateForceTerminate(cmd),
  });
  setHandler(
    formalReviewUpdate,
    (cmd) => {
      const mark = kase.historyLength;
      kase.decideFormalReview(cmd);
      return replyAfterProgress(mark);
    },
    { validator: (cmd) => kase.validateFormalReview(cmd) },
  );
  setHandler(
    resubmitUpdate,
    (cmd) => {
      const mark = kase.historyLength;
      kase.resubmit(cmd, now());
      return replyAfterProgress(mark);
    },
    { validator: (cmd) => kase.validateResubmit(cmd, now()) },
  );
  setHandler(
    stalledReviewUpdate,
    (cmd) => {
      const mark = kase.historyLength;
      kase.decideStalled(cmd);
      return replyAfterProgress(mark);
    },
    { validator: (cmd) => kase.validateStalled(cmd) },
  );
  setHandler(scheduleAssessmentUpdate, (cmd) => (kase.schedule(cmd), reply()), { validator: (cmd) => kase.validateSchedule(cmd) });
  setHandler(
    recordAssessmentUpdate,
    (cmd) => {
      const mark = kase.historyLength;
      kase.recordAssessment(cmd);
      return kase.assessmentsDone() || kase.assessmentFailed() ? replyAfterProgress(mark) : reply();
    },
    { validator: (cmd) => kase.validateRecordAssessment(cmd) },
  );
  setHandler(
    awardUpdate,
    (cmd) => {
      const mark = kase.historyLength;
      kase.decideAward(cmd);
      return replyAfterProgress(mark);
    },
    { validator: (cmd) => kase.validateAward(cmd) },
  );
  setHandler(signUpdate, (cmd) => (kase.sign(cmd, now()), reply()), { validator: (cmd) => kase.validateSign(cmd, now()) });
  setHandler(
    countersignUpdate,
    async (cmd) => {
      kase.committing = true;
      try {
        // Commits the award to the programme's budget, or refuses cleanly when it cannot cover it.
        await business.commitAward({
          programmeId,
          caseId: input.applicationId,
          amountFen: kase.award!.amountFen,
          key: `${workflowId}:commit`,
          actorId: cmd.actor.id,
        });
        kase.countersign(cmd, now());
      } catch (err) {
        throw asUpdateFailure(err);
      } finally {
        kase.committing = false;
      }
      return reply();
    },
    { validator: (cmd) => kase.validateCountersign(cmd, now()) },
  );
  setHandler(
    approvePaymentUpdate,
    async (cmd) => {
      const tranche = kase.approve(cmd, now());
      if (tranche) {
        try {
          // Paid once, whatever retries or crashes: the ledger is keyed by workflow and tranche.
          await business.payTranche({
            programmeId,
            caseId: input.applicationId,
            trancheCode: tranche.code,
            amountFen: tranche.amountFen,
            key: `${workflowId}:pay:${tranche.code}`,
            actorId: cmd.actor.id,
          });
          kase.paid(tranche.code, now());
        } catch (err) {
          kase.paymentFailed(tranche.code);
          throw asUpdateFailure(err);
        }
      }
      return reply();
    },
    { validator: (cmd) => kase.validateApprove(cmd) },
  );
  setHandler(
    finalDecisionUpdate,
    (cmd) => {
      const mark = kase.historyLength;
      kase.decideFinal(cmd, lastCheck);
      return replyAfterProgress(mark);
    },
    { validator: (cmd) => kase.validateFinal(cmd, lastCheck) },
  );
  setHandler(migrateConfigUpdate, (cmd) => (kase.migrate(cmd), reply()), { validator: (cmd) => kase.validateMigrate(cmd) });
  setHandler(applicationViewQuery, () => kase.view());
  setPublicNoticeHandlers(() => notice, projector.flush);
  setMilestoneCheckHandlers(() => check, projector.flush);

  // ---- Steps of the lifecycle ----------------------------------------------------------------

  const close = async (stage: ApplicationStage, ctx: ActionContext | null, reason: string, detail?: Record<string, unknown>) => {
    kase.close(stage, now(), ctx, reason, detail);
    await projector.flush();
  };

  /** Ends a funded case: unpaid tranches cancelled, surplus returned or payments clawed back. */
  const settleAndClose = async (
    stage: ApplicationStage,
    ctx: ActionContext | null,
    reason: string,
    money: 'return_surplus' | 'claw_back',
    credit: 'none' | 'unit_and_lead' | 'unit_lead_and_members',
  ) => {
    await condition(() => !kase.paymentsInFlight && !kase.committing);
    if (kase.countersigned) {
      kase.cancelOpenTranches();
      await projector.flush();
      await business.settleCase({
        programmeId,
        caseId: input.applicationId,
        mode: money,
        key: `${workflowId}:settle`,
        reason,
      });
    }
    if (credit !== 'none') kase.recordCredit(now(), credit, reason);
    await close(stage, ctx, reason);
  };

  const runNotice = async (subject: string): Promise<PublicNoticeOutcome> => {
    const id = `${workflowId}:notice:${kase.historyLength}`;
    const args: PublicNoticeInput = { caseKind: 'application', caseId: input.applicationId, subject, workingDays: kase.rules.publicNotice.workingDays, timeScale: kase.rules.timeScale };
    if (!hostsSteps) {
      kase.startNotice(now(), id, subject, id);
      await projector.flush();
      const outcome = await executeChild(publicNoticeWorkflow, { workflowId: id, args: [args] });
      kase.noticeEnded();
      return outcome;
    }
    kase.startNotice(now(), id, subject, workflowId);
    notice = new PublicNotice(args, id, workflowId, now(), projector.emit);
    try {
      await projector.flush();
      return await runPublicNotice(notice, projector.flush, calculation.noticeEndsAt);
    } finally {
      notice = null;
      kase.noticeEnded();
    }
  };

  const formalReview = async (): Promise<boolean> => {
    for (;;) {
      const eligibility = await business.checkEligibility({
        applicantId: input.applicantId,
        application: kase.application,
        rules: { ...kase.rules.eligibility, maxAwardFen: Math.max(...kase.rules.tiers.map((t) => t.amountFen)) },
      });
      kase.startFormalReview(now(), eligibility);
      await projector.flush();
      await condition(() => kase.formalDecision !== null);
      const decision = kase.formalDecision!;
      if (decision.decision === 'accept') return true;
      if (decision.decision === 'reject') {
        await close('rejected', decision, decision.reason);
        return false;
      }
      const due = kase.requestRevision(now(), decision);
      await projector.flush();
      if (!(await condition(() => kase.resubmission !== null, msUntil(due, Date.now())))) {
        await close('lapsed', null, 'The revision was not resubmitted by its deadline');
        return false;
      }
    }
  };

  /** Expert review, defence, committee and notice; an upheld objection may send the case back. */
  const selection = async (): Promise<boolean> => {
    for (;;) {
      for (;;) {
        const roundId = `${workflowId}:review:${kase.reviewRound + 1}`;
        kase.startReview(now(), roundId);
        await projector.flush();
        const outcome = await executeChild(reviewRoundWorkflow, {
          workflowId: roundId,
          args: [
            {
              caseKind: 'application',
              caseId: input.applicationId,
              round: kase.reviewRound,
              field: kase.application.field,
              review: kase.rules.review,
              timeScale: kase.rules.timeScale,
              exclude: [...kase.conflicted],
            },
          ],
        });
        kase.reviewFinished(outcome);
        if (outcome.outcome === 'pass') break;
        if (outcome.outcome === 'fail') {
          await close('rejected', null, `The panel's score ${outcome.aggregate} is below the pass score ${kase.rules.review.passScore}`);
          return false;
        }
        kase.reviewStalled(now());
        await projector.flush();
        await condition(() => kase.stalledDecision !== null);
        if (kase.stalledDecision!.decision === 'reject') {
          await close('rejected', kase.stalledDecision, kase.stalledDecision!.reason);
          return false;
        }
      }

      kase.startAssessments(now());
      await projector.flush();
      await condition(() => kase.assessmentsDone() || kase.assessmentFailed());
      if (kase.assessmentFailed()) {
        await close('rejected', null, 'The defence or the site visit was not passed');
        return false;
      }

      kase.startCommittee(now());
      await projector.flush();
      await condition(() => kase.awardDecision !== null);
      const decision = kase.awardDecision!;
      if (decision.decision === 'reject') {
        await close('rejected', decision, decision.reason);
        return false;
      }
      kase.grantAward(decision);
      const notice = await runNotice('award');
      if (notice.outcome === 'clear') return true;
      if (notice.action === 'reject') {
        await close('rejected', null, 'An objection to the award was upheld');
        return false;
      }
      // Upheld with back_to_review: a new expert review round.
    }
  };

  const agreement = async (): Promise<Date | null> => {
    const due = kase.startAgreement(now());
    await projector.flush();
    await condition(() => kase.countersigned, msUntil(due, Date.now()));
    // A countersignature in flight at the deadline is let finish.
    await condition(() => !kase.committing);
    if (!kase.countersigned) {
      await close('lapsed', null, 'The agreement was not signed by its deadline');
      return null;
    }
    return now();
  };

  const runCheck = async (code: string, attempt: number, dueAt: Date) => {
    const m = kase.rules.milestones.find((x) => x.code === code)!;
    const id = `${workflowId}:milestone:${code}:${attempt}`;
    const args: MilestoneCheckInput = { caseKind: 'application', caseId: input.applicationId, reporterId: input.applicantId, milestone: m, attempt, dueAt: dueAt.toISOString(), timeScale: kase.rules.timeScale };
    if (!hostsSteps) {
      kase.startMilestone(now(), m, attempt, id, dueAt, id);
      await projector.flush();
      lastCheck = await executeChild(milestoneCheckWorkflow, { workflowId: id, args: [args] });
      return lastCheck;
    }
    // The check's start goes to the read model with the case's, in one batch.
    kase.startMilestone(now(), m, attempt, id, dueAt, workflowId);
    check = new MilestoneCheck(args, id, workflowId, projector.emit);
    try {
      lastCheck = await runMilestoneCheck(check, projector.flush);
    } finally {
      check = null;
    }
    return lastCheck;
  };

  const milestones = async (signedAt: Date): Promise<void> => {
    for (let i = 0; i < kase.rules.milestones.length; i++) {
      const m = kase.rules.milestones[i]!;
      let attempt = 1;
      let dueAt = afterMonths(signedAt, m.monthsAfterSigning, kase.rules.timeScale);
      for (;;) {
        const result = await runCheck(m.code, attempt, dueAt);
        const rectifyAt = () => afterMonths(now(), kase.rules.limits.rectificationMonths, kase.rules.timeScale);
        if (!m.final) {
          if (result.passed) {
            kase.milestoneFinished(result, 'passed');
            kase.releaseTranchesAfter(m.code);
            await projector.flush();
            break;
          }
          if (result.outcome === 'scored' && kase.extensionsUsed < kase.rules.limits.maxExtensions) {
            kase.milestoneFinished(result, 'rectify');
            kase.extensionsUsed++;
            kase.withholdTranchesAfter(m.code);
            await projector.flush();
            attempt++;
            dueAt = rectifyAt();
            continue;
          }
          kase.milestoneFinished(result, result.outcome === 'no_show' ? 'no_show' : 'failed');
          const why = result.outcome === 'no_show' ? `No ${m.label} report was submitted` : `The ${m.label} was failed`;
          await settleAndClose('terminated', null, why, 'return_surplus', 'unit_and_lead');
          return;
        }

        // Final acceptance: an officer's decision, published, then its effect.
        kase.milestoneFinished(result, result.outcome);
        let decision;
        for (;;) {
          kase.awaitFinalDecision(now(), result);
          await projector.flush();
          await condition(() => kase.finalDecisionCmd !== null);
          decision = kase.finalDecisionCmd!;
          const notice = await runNotice(`final acceptance outcome (${decision.outcome})`);
          if (notice.outcome === 'clear') break;
          kase.finalDecision = null;
        }
        switch (decision.outcome) {
          case 'pass':
            kase.releaseTranchesAfter(m.code);
            await projector.flush();
            await condition(() => !kase.unpaidReleased && !kase.paymentsInFlight);
            await close('completed', decision, decision.reason);
            return;
          case 'rectify':
            kase.extensionsUsed++;
            attempt++;
            dueAt = rectifyAt();
            continue;
          case 'close':
            await settleAndClose('closed_without_penalty', decision, decision.reason, 'return_surplus', 'none');
            return;
          case 'terminate':
            await settleAndClose('terminated', decision, decision.reason, 'return_surplus', 'unit_and_lead');
            return;
          case 'force_terminate':
            await settleAndClose('force_terminated', decision, decision.reason, 'claw_back', 'unit_lead_and_members');
            return;
        }
      }
    }
  };

  const run = async () => {
    // The submit update normally arrives with the start. If it was refused, the case ends with the call.
    if (!(await condition(() => kase.currentStage !== 'draft', msUntil(kase.callClosesAt, Date.now())))) return;
    await sleep(msUntil(kase.callClosesAt, Date.now()));
    if (!(await formalReview())) return;
    if (!(await selection())) return;
    const signedAt = await agreement();
    if (!signedAt) return;
    await milestones(signedAt);
  };

  try {
    await lifecycle.run(run);
  } catch (err) {
    if (!(isCancellation(err) && kase.abort)) throw err;
  }

  // Withdrawal, cancellation and forced termination stop the lifecycle wherever it was.
  const abort = kase.abort;
  if (abort && !kase.isFinal) {
    await CancellationScope.nonCancellable(async () => {
      if (abort.kind === 'withdraw') await close('withdrawn', abort.cmd, abort.cmd.reason);
      else if (abort.kind === 'cancel') await settleAndClose('cancelled', abort.cmd, abort.cmd.reason, 'return_surplus', 'none');
      else await settleAndClose('force_terminated', abort.cmd, abort.cmd.reason, 'claw_back', 'unit_lead_and_members');
    });
  }

  await condition(allHandlersFinished);
  await projector.flush();
  return kase.view();
}
