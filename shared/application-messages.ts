import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from './roles';
import type { ApplicationStage } from './stages';

/**
 * What the application workflow is started with: a snapshot taken at submission. Its workflow id is
 * the application's id.
 */
export interface ApplicationWorkflowInput {
  applicationId: string;
  applicantId: string;
  programme: {
    id: string;
    /** The configuration version this case keeps for its whole life. */
    configVersion: number;
    /** ISO timestamps. */
    opensAt: string;
    closesAt: string;
  };
}

export interface ActionContext {
  actor: Actor;
  /** The API request id, recorded in the audit trail. */
  requestId?: string;
  reason?: string;
}

export type SubmitCommand = ActionContext;
export type WithdrawCommand = ActionContext & { reason: string };

export interface StageChange {
  seq: number;
  from: ApplicationStage;
  to: ApplicationStage;
  /** ISO timestamp (workflow time). */
  at: string;
  actor: Actor | null;
  requestId?: string;
  reason?: string;
}

/** What the workflow reports about a case: returned by every update and by the state query. */
export interface ApplicationView {
  applicationId: string;
  stage: ApplicationStage;
  configVersion: number;
  submittedAt: string | null;
  /** What happens next and by when, for the people who follow the case. */
  next: { waitingOn: 'applicant' | 'officer' | 'system' | 'nobody'; what: string; dueAt: string | null };
  history: Array<{ stage: ApplicationStage; at: string }>;
}

export const submitUpdate = defineUpdate<ApplicationView, [SubmitCommand]>('submit');
export const withdrawUpdate = defineUpdate<ApplicationView, [WithdrawCommand]>('withdraw');
export const applicationViewQuery = defineQuery<ApplicationView>('view');
