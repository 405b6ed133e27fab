import { ApplicationFailure } from '@temporalio/workflow';
import type { ActionContext, BusinessProblemCode, Role } from '../../shared';

/** Refuses an action: in a validator this keeps it out of history; the API maps the code to a status. */
export function reject(code: BusinessProblemCode, message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

export function requireRole(cmd: ActionContext, ...roles: Role[]): void {
  if (!roles.includes(cmd.actor.role)) reject('NotYourCase', `Only a ${roles.join(' or ')} may do this`);
}
