/**
 * Business-rule violations, shared by workflows (which raise them as ApplicationFailure types)
 * and the API (which maps them to HTTP problem responses).
 */
export const BUSINESS_PROBLEMS = {
  WrongStage: { status: 409, title: 'The case is not in a stage that allows this action' },
  NotYourCase: { status: 403, title: 'You are not allowed to act on this case' },
  CallNotOpen: { status: 409, title: 'The call is not open for submissions' },
  AlreadyExists: { status: 409, title: 'The resource already exists' },
  DeadlinePassed: { status: 409, title: 'The deadline for this action has passed' },
  ConflictDeclared: { status: 409, title: 'A declared conflict of interest prevents this action' },
  BudgetExhausted: { status: 409, title: "The programme's remaining budget cannot cover this" },
  AlreadyDone: { status: 409, title: 'This action has already been taken' },
  InvalidAction: { status: 422, title: 'The action does not fit the case' },
  QuotaReached: { status: 409, title: "The programme's quota for this kind of station is reached" },
  ExpertOverCommitted: { status: 409, title: 'An expert is already resident at as many stations as allowed' },
} as const;

export type BusinessProblemCode = keyof typeof BUSINESS_PROBLEMS;

export function isBusinessProblemCode(code: unknown): code is BusinessProblemCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(BUSINESS_PROBLEMS, code);
}
