import { appendAudit } from '../../audit/chain';
import type { PrismaClient } from '../../infra/db';
import { inTransaction } from '../../infra/transaction';
import type { Prisma } from '../../generated/prisma/client';
import type { Actor } from '../../shared';

export interface AuditInput {
  actor: Actor | null;
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
  reason?: string;
  requestId?: string;
}

/** JSON-safe copy of a record for the audit trail (bigint fen become numbers). */
function snapshot(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** Appends an audit entry inside the caller's transaction, so the change and its record land together. */
export async function writeAudit(tx: Prisma.TransactionClient, entry: AuditInput): Promise<void> {
  await appendAudit(tx, {
    actorId: entry.actor?.id,
    actorRole: entry.actor?.role ?? 'system',
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    before: snapshot(entry.before),
    after: snapshot(entry.after),
    reason: entry.reason,
    requestId: entry.requestId,
  });
}

/**
 * Records that a member of staff read a case's personal data (applicants' names, team members,
 * objectors' contacts). Applicants reading their own case and reviewers their assignment are not
 * recorded: it is staff access that the trail must show.
 */
export async function auditRead(prisma: PrismaClient, actor: Actor, targetType: string, targetId: string, requestId: string): Promise<void> {
  if (actor.role === 'applicant' || actor.role === 'reviewer') return;
  await inTransaction(prisma, (tx) => writeAudit(tx, { actor, action: `${targetType}.read`, targetType, targetId, requestId }));
}
