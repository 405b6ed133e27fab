/**
 * Business-rule violations, shared by workflows (which raise them as ApplicationFailure types)
 * and the API (which maps them to HTTP problem responses).
 */
export const BUSINESS_PROBLEMS = {
  WrongStage: { status: 409, title: 'The case is not in a stage that allows this action' },
  NotYourCase: { status: 403, title: 'You are not allowed to act on this case' },
  CallNotOpen: { status: 409, title: 'The call is not open for submissions' },
  AlreadyExists: { status: 409, title: 'The resource already exists' },
} as const;

export type BusinessProblemCode = keyof typeof BUSINESS_PROBLEMS;

export function isBusinessProblemCode(code: unknown): code is BusinessProblemCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(BUSINESS_PROBLEMS, code);
}
