import {
  type ActionContext,
  type ApplicationSnapshot,
  type ApplicationStage,
  type ApplicationView,
  type ApplicationWorkflowInput,
  type ApprovePaymentCommand,
  type AssessmentKind,
  type AwardCommand,
  type CancelCommand,
  type CaseEvent,
  type FinalDecisionCommand,
  type ForceTerminateCommand,
  type FormalReviewCommand,
  type MigrateConfigCommand,
  type MilestoneCheckResult,
  type NextStep,
  type ProgrammeConfig,
  type RecordAssessmentCommand,
  type ResubmitCommand,
  type ReviewOutcome,
  type ScheduleAssessmentCommand,
  type SignCommand,
  type StageChange,
  type StalledReviewCommand,
  type SubmitCommand,
  type TrancheView,
  type WithdrawCommand,
  type MilestoneConfig,
  FINAL_STAGES,
  WITHDRAWABLE_STAGES,
  afterDays,
} from '../../shared';
import { reject, requireRole } from '../lib/rules';

type Abort = { kind: 'cancel'; cmd: CancelCommand } | { kind: 'force_terminate'; cmd: ForceTerminateCommand } | { kind: 'withdraw'; cmd: WithdrawCommand };

/**
 * The transitions of one talent-fund case. Deterministic: time comes in as arguments, effects go out
 * as events. The workflow file drives the long waits and child workflows; decisions made through
 * updates are validated here and left for it to act on.
 */
export class ApplicationCase {
  private stage: ApplicationStage = 'draft';
  private seq = 0;
  private submittedAt: string | null = null;
  private readonly history: Array<{ stage: ApplicationStage; at: string }> = [];
  private config: ProgrammeConfig;
  private configVersion: number;
  private snapshot: ApplicationSnapshot;
  private next: NextStep;
  private auditSeq = 0;

  eligibility: ApplicationView['eligibility'] = null;
  revisionsUsed = 0;
  reviewRound = 0;
  readonly active: ApplicationView['active'] = { reviewRound: null, notice: null, milestoneCheck: null };
  lastReview: ApplicationView['lastReview'] = null;
  private readonly assessments: ApplicationView['assessments'] = {};
  award: ApplicationView['award'] = null;
  private readonly agreement: ApplicationView['agreement'] = { dueAt: null, signedByApplicantAt: null, countersignedAt: null };
  private readonly tranches: Array<TrancheView & { rev: number; paying: boolean }> = [];
  readonly milestones: ApplicationView['milestones'] = [];
  extensionsUsed = 0;
  finalDecision: ApplicationView['finalDecision'] = null;
  private closedReason: string | null = null;
  /** Conflicted reviewers, never drawn again for this case. */
  readonly conflicted = new Set<string>();

  // Decisions taken by updates, for the workflow to act on.
  formalDecision: FormalReviewCommand | null = null;
  resubmission: ResubmitCommand | null = null;
  stalledDecision: StalledReviewCommand | null = null;
  awardDecision: AwardCommand | null = null;
  finalDecisionCmd: FinalDecisionCommand | null = null;
  abort: Abort | null = null;

  constructor(
    private readonly input: ApplicationWorkflowInput,
    private readonly emit: (...e: CaseEvent[]) => void,
  ) {
    this.config = input.programme.config;
    this.configVersion = input.programme.configVersion;
    this.snapshot = input.application;
    this.next = { waitingOn: 'applicant', what: 'Submit the application', dueAt: input.programme.closesAt };
  }

  get currentStage(): ApplicationStage {
    return this.stage;
  }
  get isFinal(): boolean {
    return FINAL_STAGES.includes(this.stage);
  }
  get rules(): ProgrammeConfig {
    return this.config;
  }
  get application(): ApplicationSnapshot {
    return this.snapshot;
  }
  get callClosesAt(): Date {
    return new Date(this.input.programme.closesAt);
  }
  get applicantId(): string {
    return this.input.applicantId;
  }
  get countersigned(): boolean {
    return this.agreement.countersignedAt !== null;
  }
  /** The award is being committed to the budget (countersigning in flight). */
  committing = false;
  get historyLength(): number {
    return this.history.length;
  }
  assessmentsDone(): boolean {
    return this.requiredAssessments().every((k) => this.assessments[k]?.outcome);
  }
  assessmentFailed(): boolean {
    return this.requiredAssessments().some((k) => this.assessments[k]?.outcome === 'fail');
  }
  get unpaidReleased(): boolean {
    return this.tranches.some((t) => t.status === 'released');
  }

  // ---- Submission and withdrawal -------------------------------------------------------------

  validateSubmit(cmd: SubmitCommand, now: Date): void {
    this.requireApplicant(cmd);
    if (this.stage !== 'draft') reject('WrongStage', `The application is already ${this.stage}`);
    const { opensAt, closesAt } = this.input.programme;
    if (now < new Date(opensAt)) reject('CallNotOpen', `The call opens at ${opensAt}`);
    if (now >= new Date(closesAt)) reject('CallNotOpen', `The call closed at ${closesAt}`);
  }

  submit(cmd: SubmitCommand, now: Date): void {
    this.validateSubmit(cmd, now);
    this.submittedAt = now.toISOString();
    this.moveTo('submitted', now, cmd, { waitingOn: 'system', what: 'Formal review starts when the call closes', dueAt: this.input.programme.closesAt });
    this.notifyApplicant('submitted', 'Your application was received');
  }

  validateWithdraw(cmd: WithdrawCommand): void {
    this.requireApplicant(cmd);
    if (!WITHDRAWABLE_STAGES.includes(this.stage) || this.countersigned) {
      reject('WrongStage', `An application cannot be withdrawn once it is ${this.stage}`);
    }
    if (this.abort) reject('AlreadyDone', 'The case is already being closed');
  }

  validateCancel(cmd: CancelCommand): void {
    requireRole(cmd, 'officer');
    if (this.isFinal) reject('WrongStage', `The case is already ${this.stage}`);
    if (this.abort) reject('AlreadyDone', 'The case is already being closed');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason for cancelling');
  }

  validateForceTerminate(cmd: ForceTerminateCommand): void {
    requireRole(cmd, 'officer');
    if (!this.countersigned || this.isFinal) reject('WrongStage', 'Only a funded, running case can be force-terminated');
    if (this.abort) reject('AlreadyDone', 'The case is already being closed');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason for the forced termination');
  }

  requestAbort(abort: Abort): void {
    this.abort = abort;
  }

  // ---- Formal review ---------------------------------------------------------------------------

  startFormalReview(now: Date, eligibility: { passed: boolean; failures: string[] }): void {
    this.eligibility = eligibility;
    this.formalDecision = null;
    this.moveTo('formal_review', now, null, { waitingOn: 'officer', what: 'Decide on formal review: accept, return for revision or reject', dueAt: null }, { eligibility });
  }

  validateFormalReview(cmd: FormalReviewCommand): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'formal_review' || this.formalDecision) reject('WrongStage', `The case is ${this.stage}, not awaiting formal review`);
    if (cmd.decision === 'return' && this.revisionsUsed >= this.config.formalReview.maxRevisions) {
      reject('InvalidAction', `The application has been returned ${this.revisionsUsed} times, the most allowed`);
    }
    if (cmd.decision !== 'accept' && !cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
  }

  decideFormalReview(cmd: FormalReviewCommand): void {
    this.validateFormalReview(cmd);
    this.formalDecision = cmd;
  }

  requestRevision(now: Date, cmd: FormalReviewCommand): Date {
    this.revisionsUsed++;
    const due = afterDays(now, this.config.formalReview.revisionDays, this.config.timeScale);
    this.resubmission = null;
    this.moveTo('revision_requested', now, cmd, { waitingOn: 'applicant', what: 'Revise and resubmit the application', dueAt: due.toISOString() });
    this.notifyApplicant(`revision:${this.revisionsUsed}`, `Your application was returned for revision: ${cmd.reason}`, due);
    return due;
  }

  validateResubmit(cmd: ResubmitCommand, now: Date): void {
    this.requireApplicant(cmd);
    if (this.stage !== 'revision_requested' || this.resubmission) reject('WrongStage', 'No revision has been requested');
    if (this.next.dueAt && now >= new Date(this.next.dueAt)) reject('DeadlinePassed', `The revision was due at ${this.next.dueAt}`);
  }

  resubmit(cmd: ResubmitCommand, now: Date): void {
    this.validateResubmit(cmd, now);
    this.resubmission = cmd;
    this.snapshot = cmd.application;
  }

  // ---- Expert review ---------------------------------------------------------------------------

  startReview(now: Date, roundWorkflowId: string): void {
    this.reviewRound++;
    this.active.reviewRound = roundWorkflowId;
    this.stalledDecision = null;
    this.moveTo('expert_review', now, null, { waitingOn: 'reviewer', what: `Expert review, round ${this.reviewRound}`, dueAt: afterDays(now, this.config.review.deadlineDays, this.config.timeScale).toISOString() }, { round: this.reviewRound });
  }

  reviewFinished(outcome: ReviewOutcome): void {
    this.active.reviewRound = null;
    for (const id of outcome.conflicted) this.conflicted.add(id);
    this.lastReview = { round: this.reviewRound, outcome: outcome.outcome, aggregate: outcome.aggregate, submitted: outcome.submitted };
  }

  reviewStalled(now: Date): void {
    this.moveTo('review_stalled', now, null, { waitingOn: 'officer', what: 'Too few reviewers scored: restart the review or reject', dueAt: null }, { ...this.lastReview });
  }

  validateStalled(cmd: StalledReviewCommand): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'review_stalled' || this.stalledDecision) reject('WrongStage', 'The review has not stalled');
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
  }

  decideStalled(cmd: StalledReviewCommand): void {
    this.validateStalled(cmd);
    this.stalledDecision = cmd;
  }

  // ---- Defence and site visit ------------------------------------------------------------------

  startAssessments(now: Date): void {
    for (const k of this.requiredAssessments()) this.assessments[k] ??= { scheduledAt: null, place: null, outcome: null };
    this.moveTo('defence', now, null, { waitingOn: 'officer', what: 'Hold the defence and the site visit and record their outcomes', dueAt: null }, { review: this.lastReview });
  }

  validateSchedule(cmd: ScheduleAssessmentCommand): void {
    requireRole(cmd, 'officer');
    this.requireAssessment(cmd.kind);
    if (Number.isNaN(Date.parse(cmd.at))) reject('InvalidAction', 'Give the date and time');
  }

  schedule(cmd: ScheduleAssessmentCommand): void {
    this.validateSchedule(cmd);
    const a = this.assessments[cmd.kind]!;
    a.scheduledAt = new Date(cmd.at).toISOString();
    a.place = cmd.place;
    this.auditAction(`assessment.${cmd.kind}.scheduled`, cmd, { at: a.scheduledAt, place: cmd.place });
    this.notifyApplicant(`${cmd.kind}:scheduled:${a.scheduledAt}`, `Your ${cmd.kind.replace('_', ' ')} is scheduled at ${a.scheduledAt}, ${cmd.place}`);
  }

  validateRecordAssessment(cmd: RecordAssessmentCommand): void {
    requireRole(cmd, 'officer');
    this.requireAssessment(cmd.kind);
    if (this.assessments[cmd.kind]!.outcome) reject('AlreadyDone', `The ${cmd.kind} outcome is already recorded`);
  }

  recordAssessment(cmd: RecordAssessmentCommand): void {
    this.validateRecordAssessment(cmd);
    this.assessments[cmd.kind]!.outcome = cmd.outcome;
    this.auditAction(`assessment.${cmd.kind}.recorded`, cmd, { outcome: cmd.outcome, notes: cmd.notes });
  }

  // ---- Committee decision and public notice ----------------------------------------------------

  startCommittee(now: Date): void {
    this.awardDecision = null;
    this.moveTo('committee', now, null, { waitingOn: 'officer', what: 'Record the committee decision: tier and amount, or rejection', dueAt: null }, { assessments: { ...this.assessments } });
  }

  validateAward(cmd: AwardCommand): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'committee' || this.awardDecision) reject('WrongStage', 'The case is not awaiting a committee decision');
    if (cmd.decision === 'award') {
      const tier = this.config.tiers.find((t) => t.code === cmd.tier);
      if (!tier) reject('InvalidAction', `No tier ${cmd.tier}; tiers are ${this.config.tiers.map((t) => t.code).join(', ')}`);
      if (!Number.isInteger(cmd.amountFen) || cmd.amountFen <= 0 || cmd.amountFen > tier.amountFen) {
        reject('InvalidAction', `Tier ${tier.code} awards at most ${tier.amountFen} fen`);
      }
    } else if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason for the rejection');
  }

  decideAward(cmd: AwardCommand): void {
    this.validateAward(cmd);
    this.awardDecision = cmd;
  }

  /** `host` is the workflow that takes the notice's objections: its own child, or this case. */
  startNotice(now: Date, noticeId: string, subject: string, host: string): void {
    this.active.notice = host;
    this.moveTo('public_notice', now, null, { waitingOn: 'public', what: `Public notice of the ${subject}`, dueAt: null }, { subject, award: this.award, finalDecision: this.finalDecision });
    this.notifyApplicant(`notice:${noticeId}`, `The ${subject} is published for public notice`);
  }

  noticeEnded(): void {
    this.active.notice = null;
  }

  // ---- Agreement and money ---------------------------------------------------------------------

  grantAward(cmd: AwardCommand & { decision: 'award' }): void {
    this.award = { tier: cmd.tier, amountFen: cmd.amountFen };
    this.emitFacts();
    this.auditAction('committee.awarded', cmd, { ...this.award });
  }

  startAgreement(now: Date): Date {
    const due = afterDays(now, this.config.agreement.signDays, this.config.timeScale);
    this.agreement.dueAt = due.toISOString();
    this.moveTo('agreement', now, null, { waitingOn: 'applicant', what: 'Sign the agreement', dueAt: due.toISOString() }, { award: this.award });
    this.notifyApplicant('agreement', 'Your award is confirmed: sign the agreement by its deadline', due);
    return due;
  }

  validateSign(cmd: SignCommand, now: Date): void {
    this.requireApplicant(cmd);
    if (this.stage !== 'agreement') reject('WrongStage', 'There is no agreement to sign');
    if (this.agreement.signedByApplicantAt) reject('AlreadyDone', 'You have already signed');
    if (now >= new Date(this.agreement.dueAt!)) reject('DeadlinePassed', `The agreement was to be signed by ${this.agreement.dueAt}`);
  }

  sign(cmd: SignCommand, now: Date): void {
    this.validateSign(cmd, now);
    this.agreement.signedByApplicantAt = now.toISOString();
    this.next = { waitingOn: 'officer', what: 'Countersign the agreement', dueAt: this.agreement.dueAt };
    this.auditAction('agreement.signed', cmd);
    this.emitStageless();
  }

  validateCountersign(cmd: SignCommand, now: Date): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'agreement') reject('WrongStage', 'There is no agreement to countersign');
    if (!this.agreement.signedByApplicantAt) reject('WrongStage', 'The applicant has not signed yet');
    if (this.countersigned || this.committing) reject('AlreadyDone', 'The agreement is already countersigned');
    if (this.abort) reject('WrongStage', 'The case is being closed');
    if (now >= new Date(this.agreement.dueAt!)) reject('DeadlinePassed', `The agreement was to be signed by ${this.agreement.dueAt}`);
  }

  /** Called once the award is committed to the budget. Tranches due on signing are released. */
  countersign(cmd: SignCommand, now: Date): void {
    this.agreement.countersignedAt = now.toISOString();
    let allotted = 0;
    const amount = this.award!.amountFen;
    this.config.tranches.forEach((t, i) => {
      // The last tranche takes the rounding remainder, so the tranches add up to the award exactly.
      const share = i === this.config.tranches.length - 1 ? amount - allotted : Math.floor((amount * t.percent) / 100);
      allotted += share;
      this.tranches.push({ code: t.code, amountFen: share, after: t.after, status: 'planned', approvals: [], paidAt: null, rev: 0, paying: false });
    });
    this.moveTo('in_progress', now, cmd, { waitingOn: 'applicant', what: 'Carry out the project', dueAt: null }, { award: this.award });
    this.releaseTranchesAfter('signing');
  }

  releaseTranchesAfter(condition: string): void {
    for (const t of this.tranches.filter((x) => x.after === condition && (x.status === 'planned' || x.status === 'withheld'))) {
      t.status = 'released';
      this.trancheChanged(t);
      this.emit({
        type: 'notify',
        key: `${this.input.applicationId}:tranche:${t.code}:released`,
        caseId: this.input.applicationId,
        to: { role: 'finance' },
        kind: 'payment.to_approve',
        message: `Tranche ${t.code} (${t.amountFen} fen) is released and awaits approval`,
      });
    }
  }

  withholdTranchesAfter(condition: string): void {
    for (const t of this.tranches.filter((x) => x.after === condition && x.status === 'planned')) {
      t.status = 'withheld';
      this.trancheChanged(t);
    }
  }

  validateApprove(cmd: ApprovePaymentCommand): void {
    requireRole(cmd, 'finance');
    const t = this.tranches.find((x) => x.code === cmd.trancheCode);
    if (!t) reject('InvalidAction', `No tranche ${cmd.trancheCode}`);
    if (t.status !== 'released' || t.paying) reject('WrongStage', `Tranche ${t.code} is ${t.paying ? 'being paid' : t.status}, not awaiting approval`);
    if (t.approvals.some((a) => a.by === cmd.actor.id)) reject('AlreadyDone', 'You have already approved this payment; a second approver must be someone else');
    if (this.abort) reject('WrongStage', 'The case is being closed');
  }

  /** Records an approval; returns the tranche when it now has all the approvals it needs. */
  approve(cmd: ApprovePaymentCommand, now: Date): TrancheView | null {
    this.validateApprove(cmd);
    const t = this.tranches.find((x) => x.code === cmd.trancheCode)!;
    t.approvals.push({ by: cmd.actor.id, at: now.toISOString() });
    this.auditAction('payment.approved', cmd, { tranche: t.code, amountFen: t.amountFen, approvals: t.approvals.length });
    if (t.approvals.length >= this.config.finance.approvalsRequired) {
      t.paying = true;
      return t;
    }
    this.trancheChanged(t);
    return null;
  }

  paid(code: string, now: Date): void {
    const t = this.tranches.find((x) => x.code === code)!;
    t.paying = false;
    t.status = 'paid';
    t.paidAt = now.toISOString();
    this.trancheChanged(t);
    this.notifyApplicant(`paid:${code}`, `Tranche ${code} of ${t.amountFen} fen has been paid`);
  }

  paymentFailed(code: string): void {
    this.tranches.find((x) => x.code === code)!.paying = false;
  }

  cancelOpenTranches(): void {
    for (const t of this.tranches.filter((x) => x.status !== 'paid' && x.status !== 'cancelled')) {
      t.status = 'cancelled';
      this.trancheChanged(t);
    }
  }

  get paymentsInFlight(): boolean {
    return this.tranches.some((t) => t.paying);
  }

  // ---- Milestones and final acceptance ---------------------------------------------------------

  /** `host` is the workflow that takes the check's report and score: its own child, or this case. */
  startMilestone(now: Date, m: MilestoneConfig, attempt: number, checkId: string, dueAt: Date, host: string): void {
    this.active.milestoneCheck = host;
    this.milestones.push({ code: m.code, attempt, workflowId: checkId, outcome: null, score: null });
    this.next = { waitingOn: 'applicant', what: `Submit the ${m.label} report`, dueAt: dueAt.toISOString() };
    if (m.final && this.stage !== 'final_acceptance') {
      this.moveTo('final_acceptance', now, null, this.next, { milestone: m.code, attempt });
    } else {
      this.emitStageless();
    }
  }

  milestoneFinished(result: MilestoneCheckResult, outcome: string): void {
    const rec = this.milestones[this.milestones.length - 1]!;
    rec.outcome = outcome;
    rec.score = result.score;
    this.active.milestoneCheck = null;
  }

  awaitFinalDecision(now: Date, result: MilestoneCheckResult): void {
    this.finalDecisionCmd = null;
    this.next = { waitingOn: 'officer', what: 'Decide the final acceptance outcome', dueAt: null };
    this.emitStageless();
    this.auditAction('final.checked', null, { score: result.score, outcome: result.outcome, at: now.toISOString() });
  }

  validateFinal(cmd: FinalDecisionCommand, lastCheck: MilestoneCheckResult | null): void {
    requireRole(cmd, 'officer');
    if (this.stage !== 'final_acceptance' || !lastCheck || this.finalDecisionCmd || this.active.milestoneCheck || this.active.notice) {
      reject('WrongStage', 'No final acceptance decision is awaited');
    }
    if (!cmd.reason?.trim()) reject('InvalidAction', 'Give the reason');
    if (cmd.outcome === 'pass' && !lastCheck.passed) reject('InvalidAction', 'The final check did not reach the pass score');
    if (cmd.outcome === 'rectify' && this.extensionsUsed >= this.config.limits.maxExtensions) {
      reject('InvalidAction', 'No rectification period is left');
    }
  }

  decideFinal(cmd: FinalDecisionCommand, lastCheck: MilestoneCheckResult | null): void {
    this.validateFinal(cmd, lastCheck);
    this.finalDecisionCmd = cmd;
    this.finalDecision = { outcome: cmd.outcome, reason: cmd.reason };
    this.auditAction('final.decided', cmd, { outcome: cmd.outcome });
  }

  // ---- Closing ---------------------------------------------------------------------------------

  close(stage: ApplicationStage, now: Date, ctx: ActionContext | null, reason: string, detail?: Record<string, unknown>): void {
    this.closedReason = reason;
    this.active.reviewRound = null;
    this.active.notice = null;
    this.active.milestoneCheck = null;
    this.moveTo(stage, now, ctx, { waitingOn: 'nobody', what: reason, dueAt: null }, detail, reason);
    this.notifyApplicant(`closed:${stage}`, `Your case is ${stage.replace(/_/g, ' ')}: ${reason}`);
  }

  recordCredit(now: Date, scope: 'unit_and_lead' | 'unit_lead_and_members', reason: string): void {
    const subjects: Array<{ kind: 'unit' | 'lead' | 'member'; name: string; userId?: string }> = [
      { kind: 'unit', name: this.snapshot.unitName || '(no unit named)' },
      { kind: 'lead', name: this.snapshot.leadName, userId: this.input.applicantId },
    ];
    if (scope === 'unit_lead_and_members') for (const m of this.snapshot.members) subjects.push({ kind: 'member', name: m });
    this.emit({ type: 'credit', caseId: this.input.applicationId, subjects, consequence: 'credit_downgrade', reason, at: now.toISOString() });
  }

  // ---- Configuration ---------------------------------------------------------------------------

  validateMigrate(cmd: MigrateConfigCommand): void {
    requireRole(cmd, 'officer');
    if (this.isFinal) reject('WrongStage', 'The case is closed');
    if (cmd.configVersion <= this.configVersion) reject('InvalidAction', `The case is already on version ${this.configVersion}`);
  }

  migrate(cmd: MigrateConfigCommand): void {
    this.validateMigrate(cmd);
    const from = this.configVersion;
    this.config = cmd.config;
    this.configVersion = cmd.configVersion;
    this.auditAction('config.migrated', cmd, { from, to: cmd.configVersion });
    this.emitFacts();
  }

  // ---- Views and events ------------------------------------------------------------------------

  view(): ApplicationView {
    return {
      applicationId: this.input.applicationId,
      stage: this.stage,
      configVersion: this.configVersion,
      submittedAt: this.submittedAt,
      next: { ...this.next },
      history: [...this.history],
      eligibility: this.eligibility,
      revisionsUsed: this.revisionsUsed,
      reviewRound: this.reviewRound,
      active: { ...this.active },
      lastReview: this.lastReview,
      assessments: JSON.parse(JSON.stringify(this.assessments)),
      award: this.award,
      agreement: { ...this.agreement },
      tranches: this.tranches.map(({ rev: _r, paying: _p, ...t }) => ({ ...t, approvals: [...t.approvals] })),
      milestones: this.milestones.map((m) => ({ ...m })),
      extensionsUsed: this.extensionsUsed,
      finalDecision: this.finalDecision,
      closedReason: this.closedReason,
    };
  }

  private requiredAssessments(): AssessmentKind[] {
    const kinds: AssessmentKind[] = [];
    if (this.config.defence.required) kinds.push('defence');
    if (this.config.siteVisit.required) kinds.push('site_visit');
    return kinds;
  }

  private requireAssessment(kind: AssessmentKind): void {
    if (this.stage !== 'defence') reject('WrongStage', 'The case is not at the defence and site visit stage');
    if (!this.assessments[kind]) reject('InvalidAction', `This programme does not hold a ${kind}`);
  }

  private requireApplicant(cmd: ActionContext): void {
    if (cmd.actor.role !== 'applicant' || cmd.actor.id !== this.input.applicantId) {
      reject('NotYourCase', 'Only the applicant of this case may do this');
    }
  }

  private moveTo(
    to: ApplicationStage,
    now: Date,
    ctx: ActionContext | null,
    next: NextStep,
    detail?: Record<string, unknown>,
    reason?: string,
  ): void {
    const change: StageChange = {
      seq: ++this.seq,
      from: this.stage,
      to,
      at: now.toISOString(),
      actor: ctx?.actor ?? null,
      requestId: ctx?.requestId,
      reason: reason ?? ctx?.reason,
      next,
      detail,
    };
    this.stage = to;
    this.next = next;
    this.history.push({ stage: to, at: change.at });
    this.emit({ type: 'stage', caseKind: 'application', caseId: this.input.applicationId, change });
    this.emitFacts();
  }

  /** The next step changed within a stage: the projector updates the case without a history row. */
  private emitStageless(): void {
    this.emit({
      type: 'stage',
      caseKind: 'application',
      caseId: this.input.applicationId,
      change: { seq: ++this.seq, from: this.stage, to: this.stage, at: new Date().toISOString(), actor: null, next: { ...this.next } },
    });
  }

  private emitFacts(): void {
    this.emit({ type: 'facts', caseId: this.input.applicationId, configVersion: this.configVersion, award: this.award });
  }

  private trancheChanged(t: TrancheView & { rev: number; paying: boolean }): void {
    t.rev++;
    const { rev, paying: _p, ...tranche } = t;
    this.emit({ type: 'tranche', caseId: this.input.applicationId, rev, tranche: { ...tranche, approvals: [...tranche.approvals] } });
  }

  private auditAction(action: string, cmd: ActionContext | null, detail?: Record<string, unknown>): void {
    this.emit({
      type: 'audit',
      caseKind: 'application',
      key: `${this.input.applicationId}:audit:${++this.auditSeq}`,
      caseId: this.input.applicationId,
      actor: cmd?.actor ?? null,
      action,
      reason: cmd?.reason,
      requestId: cmd?.requestId,
      detail,
    });
  }

  private notifyApplicant(purpose: string, message: string, dueAt?: Date): void {
    this.emit({
      type: 'notify',
      key: `${this.input.applicationId}:${purpose}`,
      caseId: this.input.applicationId,
      to: { userId: this.input.applicantId },
      kind: `case.${purpose.split(':')[0]}`,
      message,
      dueAt: dueAt?.toISOString() ?? null,
    });
  }
}
