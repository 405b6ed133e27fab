import { randomUUID } from 'node:crypto';
import { type AuditContent, appendAudits } from '../audit/chain';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../infra/db';
import { SqlJson, type SqlStatements } from '../infra/sql';
import { sqlTransaction } from '../infra/transaction';
import type { CaseEvent } from '../shared';

const json = (v: unknown): Prisma.InputJsonValue => JSON.parse(JSON.stringify(v ?? null)) as Prisma.InputJsonValue;
const date = (s: string | null | undefined) => (s ? new Date(s) : null);

/**
 * Writes what workflows report into the read model, the audit trail and the notification outbox.
 * Idempotent: stage changes by sequence number, snapshots by revision, everything else by key, so a
 * retried or replayed batch changes nothing twice and never moves a record backwards.
 *
 * Every batch is one transaction of plain SQL statements (each write one statement, its condition in
 * the SQL): the projector runs after nearly every update of every case, on the thread that also
 * serves the API and hands workflow tasks on, and as Prisma model queries (5-10 ms of CPU each) it
 * was most of that thread's work in the lifecycle bench (bench/README.md).
 */
export function projectorActivities(prisma: PrismaClient) {
  return {
    async projectEvents(events: CaseEvent[]): Promise<void> {
      await sqlTransaction(prisma, async (sql) => {
        // The batch's audit entries are appended together, in order, after its other writes.
        const audits: AuditContent[] = [];
        const programmes = await programmesOf(sql, events);
        for (const event of events) await apply(sql, event, audits, programmes);
        await appendAudits(sql, audits);
      });
    },
  };
}

async function apply(sql: SqlStatements, e: CaseEvent, audits: AuditContent[], programmes: ReadonlyMap<string, string>): Promise<void> {
  switch (e.type) {
    case 'stage': {
      const { change } = e;
      const moved = change.from !== change.to;
      if (moved) {
        await sql.insert('StageHistory', {
          id: randomUUID(),
          caseId: e.caseId,
          seq: change.seq,
          stage: change.to,
          enteredAt: new Date(change.at),
          actorId: change.actor?.id,
          reason: change.reason,
          detail: change.detail ? new SqlJson(change.detail) : undefined,
        }, { conflict: ['caseId', 'seq'] });
        audits.push(auditOf(`${e.caseId}:stage:${change.seq}`, {
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
        }));
      }
      const current = {
        stage: change.to,
        stageSeq: change.seq,
        waitingOn: change.next.waitingOn,
        nextAction: change.next.what,
        dueAt: date(change.next.dueAt),
        updatedAt: new Date(),
      };
      const newer = ['"id" = ? AND "stageSeq" < ?', [e.caseId, change.seq]] as const;
      if (e.caseKind === 'application') {
        const submitted = moved && change.to === 'submitted' ? { submittedAt: new Date(change.at), workflowId: e.caseId } : {};
        await sql.update('Application', { ...current, ...submitted }, ...newer);
      } else {
        await sql.update('Station', { ...current, ...stationFacts(change.detail) }, ...newer);
      }
      return;
    }
    case 'facts': {
      const award = e.award ? { tier: e.award.tier, awardFen: BigInt(e.award.amountFen) } : { tier: null, awardFen: null };
      const changed = await sql.update('Application', { configVersion: e.configVersion, ...award, updatedAt: new Date() }, '"id" = ?', [e.caseId]);
      if (changed !== 1) throw new Error(`application ${e.caseId} is not in the read model`);
      return;
    }
    case 'assignment': {
      const a = e.assignment;
      const data = {
        status: a.status,
        dueAt: new Date(a.dueAt),
        scores: a.scores ? new SqlJson(a.scores) : undefined,
        total: a.total,
        comment: a.comment,
        recommendation: a.recommendation,
        submittedAt: date(a.submittedAt),
        rev: e.rev,
      };
      const create = { id: e.id, caseId: e.caseId, programmeId: programmes.get(e.caseId), round: e.round, reviewerId: a.reviewerId, ...data };
      await sql.insert('ReviewAssignment', create, { conflict: ['id'], update: data, ifOlderThan: e.rev });
      return;
    }
    case 'objection': {
      const o = e.objection;
      const data = {
        status: o.status,
        resolution: o.resolution,
        resolvedById: e.resolvedById,
        resolvedAt: o.status === 'open' ? null : new Date(),
        rev: e.rev,
      };
      const create = {
        id: o.id,
        caseId: e.caseId,
        programmeId: programmes.get(e.caseId),
        noticeId: e.noticeId,
        workflowId: e.workflowId ?? e.noticeId,
        filerName: e.filer.name,
        filerIdMasked: e.filer.idMasked,
        filerIdHash: e.filer.idHash,
        contact: e.filer.contact,
        text: o.text,
        filedAt: new Date(o.filedAt),
        ...data,
      };
      await sql.insert('Objection', create, { conflict: ['id'], update: data, ifOlderThan: e.rev });
      return;
    }
    case 'tranche': {
      const t = e.tranche;
      const id = `${e.caseId}:${t.code}`;
      const data = { status: t.status, approvals: new SqlJson(t.approvals), paidAt: date(t.paidAt), rev: e.rev };
      const create = { id, applicationId: e.caseId, code: t.code, amountFen: BigInt(t.amountFen), ...data };
      await sql.insert('Tranche', create, { conflict: ['id'], update: data, ifOlderThan: e.rev });
      return;
    }
    case 'milestone': {
      const m = e.milestone;
      const data = {
        status: m.status,
        score: m.score,
        reportSummary: e.reportSummary,
        reportedAt: date(m.reportedAt),
        dueAt: new Date(m.dueAt),
        rev: e.rev,
      };
      const create = { id: e.id, caseId: e.caseId, programmeId: programmes.get(e.caseId), workflowId: e.workflowId ?? e.id, code: m.code, attempt: m.attempt, ...data };
      await sql.insert('Milestone', create, { conflict: ['id'], update: data, ifOlderThan: e.rev });
      return;
    }
    case 'notify':
      await sql.insert('Notification', {
        id: e.key,
        userId: 'userId' in e.to ? e.to.userId : null,
        role: 'role' in e.to ? e.to.role : null,
        caseId: e.caseId,
        kind: e.kind,
        message: e.message,
        dueAt: date(e.dueAt),
        createdAt: new Date(),
      }, { conflict: ['id'] });
      return;
    case 'audit':
      audits.push(auditOf(e.key, {
        actorId: e.actor?.id,
        actorRole: e.actor?.role ?? 'system',
        action: e.action,
        targetType: e.caseKind,
        targetId: e.caseId,
        after: e.detail,
        reason: e.reason,
        requestId: e.requestId,
      }));
      return;
    case 'view':
      // Flushes reach the projector in order, one after another, so the last view written is the
      // current one; a retried batch writes the same view again. A token without its view (from
      // older workflow code) clears the view it replaces, so that no stale view is read under it.
      // Not a change of the case's data: its updatedAt (which the programme report watches) stays.
      await sql.update(e.caseKind === 'application' ? 'Application' : 'Station', { viewToken: e.token, viewJson: e.json ?? null }, '"id" = ?', [e.caseId]);
      return;
    case 'credit':
      for (const s of e.subjects) {
        await sql.insert('CreditRecord', {
          id: `${e.caseId}:${s.kind}:${s.name}`,
          caseId: e.caseId,
          subjectKind: s.kind,
          subjectName: s.name,
          subjectUserId: s.userId,
          consequence: e.consequence,
          reason: e.reason,
          at: new Date(e.at),
        }, { conflict: ['id'] });
      }
      return;
  }
}

const FILED_UNDER_PROGRAMME = new Set<CaseEvent['type']>(['assignment', 'objection', 'milestone']);

/**
 * The programmes of the cases whose rows a batch files under their programme (review seats,
 * objections, milestones), an application's or a station's (the API writes either row before its
 * workflow starts): read here, in one statement, rather than carried in the events, so that
 * workflow code and recorded histories stay as they are.
 */
async function programmesOf(sql: SqlStatements, events: readonly CaseEvent[]): Promise<Map<string, string>> {
  const ids = [...new Set(events.filter((e) => FILED_UNDER_PROGRAMME.has(e.type)).map((e) => e.caseId))];
  if (ids.length === 0) return new Map();
  const marks = ids.map(() => '?').join(', ');
  const rows = await sql.all<{ id: string; programmeId: string }>(
    `SELECT "id", "programmeId" FROM "Application" WHERE "id" IN (${marks}) UNION ALL SELECT "id", "programmeId" FROM "Station" WHERE "id" IN (${marks})`,
    [...ids, ...ids],
  );
  const found = new Map(rows.map((r) => [r.id, r.programmeId]));
  for (const id of ids) if (!found.has(id)) throw new Error(`case ${id} is neither an application nor a station in the read model`);
  return found;
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

function auditOf(key: string, entry: Omit<AuditContent, 'idempotencyKey' | 'before' | 'after'> & { before?: unknown; after?: unknown }): AuditContent {
  return {
    ...entry,
    idempotencyKey: key,
    before: entry.before === undefined ? undefined : json(entry.before),
    after: entry.after === undefined ? undefined : json(entry.after),
  };
}
