/**
 * Stages of a talent-fund application. `draft` lives only in the database; every later stage is
 * driven by the application workflow.
 */
export const APPLICATION_STAGES = [
  'draft',
  'submitted',
  'formal_review',
  'withdrawn',
] as const;
export type ApplicationStage = (typeof APPLICATION_STAGES)[number];

/** Stages from which no further transition is possible. */
export const FINAL_STAGES: readonly ApplicationStage[] = ['withdrawn'];

/** Stages in which the applicant may still withdraw (everything before the agreement). */
export const WITHDRAWABLE_STAGES: readonly ApplicationStage[] = ['submitted', 'formal_review'];
