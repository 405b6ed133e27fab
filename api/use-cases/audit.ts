import { type AuditContent, appendAudit, appendAudits } from '../../audit/chain';
import type { PrismaClient } from '../../infra/db';
import { sqlTransaction } from '../../infra/transaction';
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
 * Records that members of staff read cases' personal data (applicants' names, team members,
 * objectors' contacts). Applicants reading their own case and reviewers their assignment are not
 * recorded: it is staff access that the trail must show. A read is answered only once its record
 * is committed; the reads that arrive while one batch commits are appended together by the next,
 * in one transaction of three statements (audit/chain.ts, appendAudits), so a burst of reads costs
 * a few transactions rather than one each (bench/README.md, "an officer's read").
 */
export class ReadRecorder {
  private readonly waiting: Array<{ content: AuditContent; settle: (err?: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly maxBatch = 256,
  ) {}

  record(actor: Actor, targetType: string, targetId: string, requestId: string): Promise<void> {
    if (actor.role === 'applicant' || actor.role === 'reviewer') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const content = { actorId: actor.id, actorRole: actor.role, action: `${targetType}.read`, targetType, targetId, requestId };
      this.waiting.push({ content, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    // A batch starts after the event loop's next turn: SQLite's driver runs the transaction on this
    // thread, so reads whose requests arrive while it runs cannot join it; those read in this turn can.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        await sqlTransaction(this.prisma, (sql) => appendAudits(sql, batch.map((b) => b.content)));
        for (const b of batch) b.settle();
      } catch (err) {
        for (const b of batch) b.settle(err ?? new Error('the audit append failed'));
      }
    }
    this.writing = false;
  }
}
