export const ROLES = ['applicant', 'reviewer', 'officer', 'finance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who performs a human action. Carried into workflow updates so that the workflow can check it. */
export interface Actor {
  id: string;
  role: Role;
}
