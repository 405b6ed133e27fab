/**
 * Stages of a talent-fund application. `draft` lives only in the database; every later stage is
 * driven by the application workflow.
 */
export const APPLICATION_STAGES = [
  'draft',
  'submitted',
  'formal_review',
  'revision_requested',
  'expert_review',
  'review_stalled',
  'defence',
  'committee',
  'public_notice',
  'agreement',
  'in_progress',
  'final_acceptance',
  // Final stages:
  'withdrawn',
  'rejected',
  'lapsed',
  'cancelled',
  'completed',
  'closed_without_penalty',
  'terminated',
  'force_terminated',
] as const;
export type ApplicationStage = (typeof APPLICATION_STAGES)[number];

/** Stages from which no further transition is possible. */
export const FINAL_STAGES: readonly ApplicationStage[] = [
  'withdrawn',
  'rejected',
  'lapsed',
  'cancelled',
  'completed',
  'closed_without_penalty',
  'terminated',
  'force_terminated',
];

/** Stages in which the applicant may still withdraw (everything before the agreement is signed). */
export const WITHDRAWABLE_STAGES: readonly ApplicationStage[] = [
  'submitted',
  'formal_review',
  'revision_requested',
  'expert_review',
  'review_stalled',
  'defence',
  'committee',
  'public_notice',
  'agreement',
];

export type WaitingOn = 'applicant' | 'officer' | 'reviewer' | 'finance' | 'public' | 'system' | 'nobody';
