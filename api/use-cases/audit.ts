import { appendAudit } from '../../audit/chain';
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
