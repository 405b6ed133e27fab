import { BUSINESS_PROBLEMS, type BusinessProblemCode } from '../../shared';

/**
 * Errors as RFC 9457 problem details. Every error response of the API has this shape, with a stable
 * machine-readable `code` (also the last segment of `type`).
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'urn:programme-flow:problem:';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  requestId?: string;
  /** Field-level validation issues. */
  errors?: Array<{ path: string; message: string }>;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly errors?: Problem['errors'],
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }

  toProblem(instance?: string, requestId?: string): Problem {
    return {
      type: TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      detail: this.message,
      instance,
      code: this.code,
      requestId,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const problems = {
  validation: (errors: Problem['errors'], detail = 'The request is not valid') =>
    new AppError(400, 'ValidationFailed', 'The request is not valid', detail, errors),
  badRequest: (detail: string) => new AppError(400, 'BadRequest', 'The request could not be read', detail),
  unauthenticated: (detail = 'Send a valid API key as "Authorization: Bearer <key>"') =>
    new AppError(401, 'Unauthenticated', 'Authentication required', detail),
  forbidden: (detail = 'Your role does not allow this action') => new AppError(403, 'Forbidden', 'Forbidden', detail),
  notFound: (what = 'resource') => new AppError(404, 'NotFound', 'Not found', `No such ${what}`),
  /** A business-rule violation, with the status and title the shared module gives it. */
  business: (code: BusinessProblemCode, detail: string) =>
    new AppError(BUSINESS_PROBLEMS[code].status, code, BUSINESS_PROBLEMS[code].title, detail),
  unsupportedMediaType: () =>
    new AppError(415, 'UnsupportedMediaType', 'Unsupported media type', 'Send the body as application/json'),
  tooLarge: () => new AppError(413, 'PayloadTooLarge', 'Payload too large', 'The request body is too large'),
  unavailable: (detail: string) => new AppError(503, 'Unavailable', 'A dependency is unavailable', detail),
};
