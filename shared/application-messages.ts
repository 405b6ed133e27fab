import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ProgrammeConfig } from './programme-config';
import type { Actor } from './roles';
import type { ApplicationStage, WaitingOn } from './stages';

/** The parts of an application that rules look at, as submitted (or resubmitted). */
export interface ApplicationSnapshot {
  title: string;
  field: string;
  requestedFen: number;
  summaryLength: number;
  unitName: string;
  leadName: string;
  members: string[];
}

/**
 * What the application workflow is started with: a snapshot taken at submission. Its workflow id is
 * the application's id.
 */
export interface ApplicationWorkflowInput {
  applicationId: string;
  applicantId: string;
  programme: {
    id: string;
    /** The configuration version this case keeps until an officer migrates it. */
    configVersion: number;
    /** ISO timestamps. */
    opensAt: string;
    closesAt: string;
    config: ProgrammeConfig;
  };
  application: ApplicationSnapshot;
}

export interface ActionContext {
  actor: Actor;
  /** The API request id, recorded in the audit trail. */
  requestId?: string;
  reason?: string;
}

export type SubmitCommand = ActionContext;
export type WithdrawCommand = ActionContext & { reason: string };
export type FormalReviewCommand = ActionContext &
  ({ decision: 'accept' } | { decision: 'reject'; reason: string } | { decision: 'return'; reason: string });
export type ResubmitCommand = ActionContext & { application: ApplicationSnapshot };
export type StalledReviewCommand = ActionContext & { decision: 'restart' | 'reject'; reason: string };
export type AssessmentKind = 'defence' | 'site_visit';
export type ScheduleAssessmentCommand = ActionContext & { kind: AssessmentKind; at: string; place: string };
export type RecordAssessmentCommand = ActionContext & { kind: AssessmentKind; outcome: 'pass' | 'fail'; notes: string };
export type AwardCommand = ActionContext &
  ({ decision: 'award'; tier: string; amountFen: number } | { decision: 'reject'; reason: string });
export type SignCommand = ActionContext;
export type ApprovePaymentCommand = ActionContext & { trancheCode: string };
export type FinalOutcome = 'pass' | 'rectify' | 'close' | 'terminate' | 'force_terminate';
export type FinalDecisionCommand = ActionContext & { outcome: FinalOutcome; reason: string };
export type ForceTerminateCommand = ActionContext & { reason: string };
export type CancelCommand = ActionContext & { reason: string };
export type MigrateConfigCommand = ActionContext & { configVersion: number; config: ProgrammeConfig };

/** A stage change; `from === to` marks a change of the next step within a stage (no history row). */
export interface StageChange<S extends string = ApplicationStage> {
  seq: number;
  from: S;
  to: S;
  /** ISO timestamp (workflow time). */
  at: string;
  actor: Actor | null;
  requestId?: string;
  reason?: string;
  next: NextStep;
  /** Stage-specific facts worth keeping in the history (decision, scores, amount...). */
  detail?: Record<string, unknown>;
}

export interface NextStep {
  waitingOn: WaitingOn;
  what: string;
  dueAt: string | null;
}

export type TrancheStatus = 'planned' | 'released' | 'withheld' | 'paid' | 'cancelled';
export interface TrancheView {
  code: string;
  amountFen: number;
  after: string;
  status: TrancheStatus;
  approvals: Array<{ by: string; at: string }>;
  paidAt: string | null;
}

export interface MilestoneRecord {
  code: string;
  attempt: number;
  /** The check's id: the id of its child workflow where it ran as one, else one the case gave it. */
  workflowId: string;
  outcome: string | null;
  score: number | null;
}

/** What the workflow reports about a case: returned by every update and by the state query. */
export interface ApplicationView {
  applicationId: string;
  stage: ApplicationStage;
  configVersion: number;
  submittedAt: string | null;
  next: NextStep;
  history: Array<{ stage: ApplicationStage; at: string }>;
  eligibility: { passed: boolean; failures: string[] } | null;
  revisionsUsed: number;
  reviewRound: number;
  /** The workflows that take the running steps' actions: a child's, or the case's own where it runs the step in itself. */
  active: { reviewRound: string | null; notice: string | null; milestoneCheck: string | null };
  lastReview: { round: number; outcome: string; aggregate: number | null; submitted: number } | null;
  assessments: Record<string, { scheduledAt: string | null; place: string | null; outcome: 'pass' | 'fail' | null }>;
  award: { tier: string; amountFen: number } | null;
  agreement: { dueAt: string | null; signedByApplicantAt: string | null; countersignedAt: string | null };
  tranches: TrancheView[];
  milestones: MilestoneRecord[];
  extensionsUsed: number;
  finalDecision: { outcome: FinalOutcome; reason: string } | null;
  closedReason: string | null;
}

/**
 * The running milestone check's own id, for keying a client's once-only report and score: `active.milestoneCheck`
 * names the workflow taking the check's actions, which is the case itself where the case runs its checks.
 */
export function runningMilestoneCheck(view: Pick<ApplicationView, 'active' | 'milestones'>): string | null {
  return view.active.milestoneCheck ? (view.milestones.at(-1)?.workflowId ?? null) : null;
}

export const submitUpdate = defineUpdate<ApplicationView, [SubmitCommand]>('submit');
export const withdrawUpdate = defineUpdate<ApplicationView, [WithdrawCommand]>('withdraw');
export const formalReviewUpdate = defineUpdate<ApplicationView, [FormalReviewCommand]>('decideFormalReview');
export const resubmitUpdate = defineUpdate<ApplicationView, [ResubmitCommand]>('resubmit');
export const stalledReviewUpdate = defineUpdate<ApplicationView, [StalledReviewCommand]>('resolveStalledReview');
export const scheduleAssessmentUpdate = defineUpdate<ApplicationView, [ScheduleAssessmentCommand]>('scheduleAssessment');
export const recordAssessmentUpdate = defineUpdate<ApplicationView, [RecordAssessmentCommand]>('recordAssessment');
export const awardUpdate = defineUpdate<ApplicationView, [AwardCommand]>('decideAward');
export const signUpdate = defineUpdate<ApplicationView, [SignCommand]>('signAgreement');
export const countersignUpdate = defineUpdate<ApplicationView, [SignCommand]>('countersignAgreement');
export const approvePaymentUpdate = defineUpdate<ApplicationView, [ApprovePaymentCommand]>('approvePayment');
export const finalDecisionUpdate = defineUpdate<ApplicationView, [FinalDecisionCommand]>('decideFinalAcceptance');
export const forceTerminateUpdate = defineUpdate<ApplicationView, [ForceTerminateCommand]>('forceTerminate');
export const cancelUpdate = defineUpdate<ApplicationView, [CancelCommand]>('cancel');
export const migrateConfigUpdate = defineUpdate<ApplicationView, [MigrateConfigCommand]>('migrateConfig');
export const applicationViewQuery = defineQuery<ApplicationView>('view');
