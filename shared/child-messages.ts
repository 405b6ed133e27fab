import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { MilestoneConfig, ReviewConfig } from './programme-config';
import type { ActionContext } from './application-messages';
import type { CaseKind } from './events';

// ---- Expert review round (reusable: fund applications, stations, milestone checks) ----

export interface ReviewRoundInput {
  /** The case under review: an application or a station. */
  caseKind: CaseKind;
  caseId: string;
  round: number;
  field: string;
  review: ReviewConfig;
  timeScale: number;
  /** Reviewers never to draw for this case (e.g. conflicted in an earlier round). */
  exclude: string[];
}

export type AssignmentStatus = 'assigned' | 'accepted' | 'recused' | 'submitted' | 'replaced';
export interface AssignmentView {
  reviewerId: string;
  status: AssignmentStatus;
  dueAt: string;
  scores: Record<string, number> | null;
  total: number | null;
  recommendation: string | null;
  comment: string | null;
  submittedAt: string | null;
}

export interface ReviewRoundView {
  round: number;
  assignments: AssignmentView[];
  replacementsUsed: number;
  escalated: boolean;
  outcome: ReviewOutcome | null;
}

export interface ReviewOutcome {
  outcome: 'pass' | 'fail' | 'no_quorum';
  aggregate: number | null;
  submitted: number;
  conflicted: string[];
}

export type DeclareConflictCommand = ActionContext & { conflict: boolean; reason?: string };
export type SubmitScoreCommand = ActionContext & {
  scores: Record<string, number>;
  comment: string;
  recommendation: 'fund' | 'do_not_fund' | 'revise';
};

export const declareConflictUpdate = defineUpdate<ReviewRoundView, [DeclareConflictCommand]>('declareConflict');
export const submitScoreUpdate = defineUpdate<ReviewRoundView, [SubmitScoreCommand]>('submitScore');
export const reviewRoundViewQuery = defineQuery<ReviewRoundView>('view');

// ---- Public notice (公示) ----

export interface PublicNoticeInput {
  caseKind: CaseKind;
  caseId: string;
  /** What is published: the award, or a final-acceptance outcome. */
  subject: string;
  workingDays: number;
  timeScale: number;
}

export interface ObjectionView {
  id: string;
  filerName: string;
  filedAt: string;
  text: string;
  status: 'open' | 'dismissed' | 'upheld';
  resolution: string | null;
  action: 'back_to_review' | 'reject' | null;
}

export interface PublicNoticeView {
  subject: string;
  startsAt: string;
  endsAt: string | null;
  objections: ObjectionView[];
  outcome: PublicNoticeOutcome | null;
}

export interface PublicNoticeOutcome {
  outcome: 'clear' | 'upheld';
  action: 'back_to_review' | 'reject' | null;
  objectionId: string | null;
}

/** A real-name filer. The API masks and hashes the identity number: the raw number never enters history. */
export interface ObjectionFiler {
  name: string;
  idMasked: string;
  idHash: string;
  contact: string;
}
export type FileObjectionCommand = { filer: ObjectionFiler; text: string; requestId?: string };
export type ResolveObjectionCommand = ActionContext & {
  objectionId: string;
  resolution: 'dismissed' | 'upheld';
  /** For an upheld objection: send the case back to expert review, or reject it. */
  action?: 'back_to_review' | 'reject';
  reason: string;
};

export const fileObjectionUpdate = defineUpdate<PublicNoticeView, [FileObjectionCommand]>('fileObjection');
export const resolveObjectionUpdate = defineUpdate<PublicNoticeView, [ResolveObjectionCommand]>('resolveObjection');
// Named apart from the case's 'view': a case may run its notice in itself and answer both.
export const publicNoticeViewQuery = defineQuery<PublicNoticeView>('publicNotice');

// ---- Milestone check (中期评估 / 验收) ----

export interface MilestoneCheckInput {
  caseKind: CaseKind;
  caseId: string;
  /** Who must submit the report: the applicant, or a station's host. */
  reporterId: string;
  milestone: MilestoneConfig;
  attempt: number;
  /** ISO: when the report is due. */
  dueAt: string;
  timeScale: number;
}

export type MilestoneStatus = 'awaiting_report' | 'overdue' | 'awaiting_score' | 'scored' | 'no_show';
export interface MilestoneCheckView {
  code: string;
  attempt: number;
  dueAt: string;
  status: MilestoneStatus;
  reportedAt: string | null;
  score: number | null;
}

export interface MilestoneCheckResult {
  outcome: 'scored' | 'no_show';
  score: number | null;
  passed: boolean;
}

export type SubmitReportCommand = ActionContext & { summary: string };
export type RecordScoreCommand = ActionContext & { score: number };

export const submitReportUpdate = defineUpdate<MilestoneCheckView, [SubmitReportCommand]>('submitReport');
export const recordScoreUpdate = defineUpdate<MilestoneCheckView, [RecordScoreCommand]>('recordScore');
// Named apart from the case's 'view', as the notice's.
export const milestoneCheckViewQuery = defineQuery<MilestoneCheckView>('milestoneCheck');
