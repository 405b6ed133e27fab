import { inTransaction } from '../infra/transaction';
import { type AuditContent, appendAudit } from '../audit/chain';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../infra/db';
import type { CaseEvent } from '../shared';

type Tx = Prisma.TransactionClient;
type Json = Prisma.InputJsonValue;

const json = (v: unknown): Json => JSON.parse(JSON.stringify(v ?? null)) as Json;
const date = (s: string | null | undefined) => (s ? new Date(s) : null);

/**
 * Writes what workflows report into the read model, the audit trail and the notification outbox.
 * Idempotent: stage changes by sequence number, snapshots by revision, everything else by key, so a
 * retried or replayed batch changes nothing twice and never moves a record backwards.
 */
export function projectorActivities(prisma: PrismaClient) {
  return {
    async projectEvents(events: CaseEvent[]): Promise<void> {
      await inTransaction(prisma, async (tx) => {
        for (const event of events) await apply(tx, event);
      });
    },
  };
}

async function apply(tx: Tx, e: CaseEvent): Promise<void> {
  switch (e.type) {
    case 'stage': {
      const { change } = e;
      const moved = change.from !== change.to;
      if (moved) {
        await tx.stageHistory.upsert({
          where: { caseId_seq: { caseId: e.caseId, seq: change.seq } },
          create: {
            caseId: e.caseId,
            seq: change.seq,
            stage: change.to,
            enteredAt: new Date(change.at),
            actorId: change.actor?.id,
            reason: change.reason,
            detail: change.detail ? json(change.detail) : undefined,
          },
          update: {},
        });
        await audit(tx, `${e.caseId}:stage:${change.seq}`, {
          at: new Date(change.at),
          actorId: change.actor?.id,
          actorRole: change.actor?.role ?? 'system',
          action: `${e.caseKind}.${change.to}`,
          targetType: e.caseKind,
          targetId: e.caseId,
          before: { stage: change.from },
          after: { stage: change.to, ...(change.detail ?? {}) },
          reason: change.reason,
          requestId: change.requestId,
        });
      }
      const current = {
        stage: change.to,
        stageSeq: change.seq,
        waitingOn: change.next.waitingOn,
        nextAction: change.next.what,
        dueAt: date(change.next.dueAt),
      };
      const where = { id: e.caseId, stageSeq: { lt: change.seq } };
      if (e.caseKind === 'application') {
        const submitted = moved && change.to === 'submitted' ? { submittedAt: new Date(change.at), workflowId: e.caseId } : {};
        await tx.application.updateMany({ where, data: { ...current, ...submitted } });
      } else {
        await tx.station.updateMany({ where, data: { ...current, ...stationFacts(change.detail) } });
      }
      return;
    }
    case 'facts':
      await tx.application.update({
        where: { id: e.caseId },
        data: { configVersion: e.configVersion, tier: e.award?.tier ?? null, awardFen: e.award ? BigInt(e.award.amountFen) : null },
      });
      return;
    case 'assignment': {
      const a = e.assignment;
      const current = await tx.reviewAssignment.findUnique({ where: { id: e.id }, select: { rev: true } });
      if (current && current.rev >= e.rev) return;
      const data = {
        status: a.status,
        dueAt: new Date(a.dueAt),
        scores: a.scores ? json(a.scores) : undefined,
        total: a.total,
        comment: a.comment,
        recommendation: a.recommendation,
        submittedAt: date(a.submittedAt),
        rev: e.rev,
      };
      await tx.reviewAssignment.upsert({
        where: { id: e.id },
        create: { id: e.id, caseId: e.caseId, programmeId: await programmeOf(tx, e.caseId), round: e.round, reviewerId: a.reviewerId, ...data },
        update: data,
      });
      return;
    }
    case 'objection': {
      const o = e.objection;
      const current = await tx.objection.findUnique({ where: { id: o.id }, select: { rev: true } });
      if (current && current.rev >= e.rev) return;
      const data = {
        status: o.status,
        resolution: o.resolution,
        resolvedById: e.resolvedById,
        resolvedAt: o.status === 'open' ? null : new Date(),
        rev: e.rev,
      };
      await tx.objection.upsert({
        where: { id: o.id },
        create: {
          id: o.id,
          caseId: e.caseId,
          programmeId: await programmeOf(tx, e.caseId),
          noticeId: e.noticeId,
          filerName: e.filer.name,
          filerIdMasked: e.filer.idMasked,
          filerIdHash: e.filer.idHash,
          contact: e.filer.contact,
          text: o.text,
          filedAt: new Date(o.filedAt),
          ...data,
        },
        update: data,
      });
      return;
    }
    case 'tranche': {
      const t = e.tranche;
      const id = `${e.caseId}:${t.code}`;
      const current = await tx.tranche.findUnique({ where: { id }, select: { rev: true } });
      if (current && current.rev >= e.rev) return;
      const data = { status: t.status, approvals: json(t.approvals), paidAt: date(t.paidAt), rev: e.rev };
      await tx.tranche.upsert({
        where: { id },
        create: { id, applicationId: e.caseId, code: t.code, amountFen: BigInt(t.amountFen), ...data },
        update: data,
      });
      return;
    }
    case 'milestone': {
      const m = e.milestone;
      const current = await tx.milestone.findUnique({ where: { id: e.id }, select: { rev: true } });
      if (current && current.rev >= e.rev) return;
      const data = {
        status: m.status,
        score: m.score,
        reportSummary: e.reportSummary,
        reportedAt: date(m.reportedAt),
        dueAt: new Date(m.dueAt),
        rev: e.rev,
      };
      await tx.milestone.upsert({
        where: { id: e.id },
        create: { id: e.id, caseId: e.caseId, programmeId: await programmeOf(tx, e.caseId), code: m.code, attempt: m.attempt, ...data },
        update: data,
      });
      return;
    }
    case 'notify':
      await tx.notification.upsert({
        where: { id: e.key },
        create: {
          id: e.key,
          userId: 'userId' in e.to ? e.to.userId : null,
          role: 'role' in e.to ? e.to.role : null,
          caseId: e.caseId,
          kind: e.kind,
          message: e.message,
          dueAt: date(e.dueAt),
        },
        update: {},
      });
      return;
    case 'audit':
      await audit(tx, e.key, {
        actorId: e.actor?.id,
        actorRole: e.actor?.role ?? 'system',
        action: e.action,
        targetType: e.caseKind,
        targetId: e.caseId,
        after: e.detail,
        reason: e.reason,
        requestId: e.requestId,
      });
      return;
    case 'view':
      // Flushes reach the projector in order, one after another, so the last token written is the
      // current one; a retried batch writes the same token again.
      if (e.caseKind === 'application') await tx.application.updateMany({ where: { id: e.caseId }, data: { viewToken: e.token } });
      else await tx.station.updateMany({ where: { id: e.caseId }, data: { viewToken: e.token } });
      return;
    case 'credit':
      for (const s of e.subjects) {
        const id = `${e.caseId}:${s.kind}:${s.name}`;
        await tx.creditRecord.upsert({
          where: { id },
          create: {
            id,
            caseId: e.caseId,
            subjectKind: s.kind,
            subjectName: s.name,
            subjectUserId: s.userId,
            consequence: e.consequence,
            reason: e.reason,
            at: new Date(e.at),
          },
          update: {},
        });
      }
      return;
  }
}

/**
 * The programme of a case, an application or a station (the API writes either row before its
 * workflow starts). Read here, one lookup by key, rather than carried in the events, so that
 * workflow code and recorded histories stay as they are.
 */
async function programmeOf(tx: Tx, caseId: string): Promise<string> {
  const app = await tx.application.findUnique({ where: { id: caseId }, select: { programmeId: true } });
  if (app) return app.programmeId;
  const station = await tx.station.findUnique({ where: { id: caseId }, select: { programmeId: true } });
  if (station) return station.programmeId;
  throw new Error(`case ${caseId} is neither an application nor a station in the read model`);
}

/** Station facts a stage change may carry: the term, its end, the establishment date. */
function stationFacts(detail: Record<string, unknown> | undefined) {
  const d = (detail ?? {}) as { term?: number; termEndsAt?: string; establishedAt?: string };
  return {
    ...(d.term !== undefined ? { term: d.term } : {}),
    ...(d.termEndsAt ? { termEndsAt: new Date(d.termEndsAt) } : {}),
    ...(d.establishedAt ? { establishedAt: new Date(d.establishedAt) } : {}),
  };
}

async function audit(
  tx: Tx,
  key: string,
  entry: Omit<AuditContent, 'idempotencyKey' | 'before' | 'after'> & { before?: unknown; after?: unknown },
): Promise<void> {
  await appendAudit(tx, {
    ...entry,
    idempotencyKey: key,
    before: entry.before === undefined ? undefined : json(entry.before),
    after: entry.after === undefined ? undefined : json(entry.after),
  });
}
