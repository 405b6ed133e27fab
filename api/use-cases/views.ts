import type { Actor } from '../../shared';
import type { AppDeps } from '../deps';
import { isoTime } from '../../infra/read-store';
import { loadVisible } from './applications';

/** A reviewer's assignments and their due dates. */
export async function myAssignments(deps: AppDeps, actor: Actor) {
  const rows = await deps.prisma.reviewAssignment.findMany({ where: { reviewerId: actor.id }, orderBy: { dueAt: 'asc' } });
  // A case under review is an application or a station; either way, its title and field.
  const ids = [...new Set(rows.map((r) => r.caseId))];
  const [apps, stations] = await Promise.all([
    deps.prisma.application.findMany({ where: { id: { in: ids } }, select: { id: true, title: true, field: true } }),
    deps.prisma.station.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, field: true } }),
  ]);
  const subject = new Map<string, { kind: string; title: string; field: string }>([
    ...apps.map((a) => [a.id, { kind: 'application', title: a.title, field: a.field }] as const),
    ...stations.map((s) => [s.id, { kind: 'station', title: s.name, field: s.field }] as const),
  ]);
  return {
    items: rows.map((r) => ({
      caseId: r.caseId,
      caseKind: subject.get(r.caseId)?.kind ?? null,
      title: subject.get(r.caseId)?.title ?? null,
      field: subject.get(r.caseId)?.field ?? null,
      round: r.round,
      status: r.status,
      dueAt: r.dueAt,
      submittedAt: r.submittedAt,
    })),
  };
}

/**
 * The review panel of a case. Review is blind: a reviewer sees the others' scores only after
 * submitting their own; officers see everything.
 */
export async function caseReviews(deps: AppDeps, actor: Actor, applicationId: string) {
  await loadVisible(deps, actor, applicationId);
  const rows = await deps.prisma.reviewAssignment.findMany({ where: { caseId: applicationId }, orderBy: [{ round: 'asc' }, { id: 'asc' }] });
  const mine = rows.filter((r) => r.reviewerId === actor.id);
  const seeAll = actor.role !== 'reviewer' || mine.some((r) => r.status === 'submitted');
  return {
    items: rows
      .filter((r) => seeAll || r.reviewerId === actor.id)
      .map((r) => ({
        round: r.round,
        reviewerId: r.reviewerId,
        status: r.status,
        dueAt: r.dueAt,
        scores: r.scores,
        total: r.total,
        recommendation: r.recommendation,
        comment: r.comment,
        submittedAt: r.submittedAt,
      })),
  };
}

/**
 * The first `take` rows soonest due first, undated last, as two reads each in an index's order.
 * (Prisma wrote `orderBy: { dueAt: { nulls: 'last' } }` as an expression SQLite sorts every
 * matching row by: 138 ms for 26,585 cases waiting on officers, against 6 ms this way.)
 */
async function datedFirst<T>(take: number, read: (dated: boolean, take: number) => Promise<T[]>): Promise<T[]> {
  const dated = await read(true, take);
  if (dated.length >= take) return dated;
  return [...dated, ...(await read(false, take - dated.length))];
}

export const INBOX_KINDS = ['case', 'review', 'decision', 'objection', 'milestone', 'payment'] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

/**
 * What waits on the caller, soonest due first: the first `limit` items, of one kind or all, and
 * whether there are more. Each source is read already in that order and no further than `limit`
 * (and one more, to tell), so a busy officer's inbox costs the same as a quiet one. Plain SQL
 * through the read store (infra/read-store.ts): through Prisma, reading and shaping the few hundred
 * rows cost several times the queries.
 */
export async function inbox(deps: AppDeps, actor: Actor, query: { kind?: InboxKind; limit: number }) {
  const { reads } = deps;
  const take = query.limit + 1;
  const wanted = (kind: InboxKind) => query.kind === undefined || query.kind === kind;
  type Item = { kind: InboxKind; caseId: string; what: string; dueAt: string | null; ref?: string };
  type Row = Record<string, unknown>;
  const sources: Item[][] = [];
  // Fund applications and stations alike: whatever waits on this role (and, for a host, on them).
  const cases = async (kind: InboxKind, waitingOn: string, ownerId?: string) => {
    const read = (table: 'Application' | 'Station', title: string, owner: string) =>
      datedFirst(take, (dated, n) =>
        reads.all<Row>(
          `SELECT "id", "${title}" AS "title", "nextAction", "dueAt" FROM "${table}" WHERE "waitingOn" = ?${ownerId ? ` AND "${owner}" = ?` : ''} ` +
            (dated ? 'AND "dueAt" IS NOT NULL ORDER BY "dueAt", "id"' : 'AND "dueAt" IS NULL ORDER BY "id"') +
            ' LIMIT ?',
          ownerId ? [waitingOn, ownerId, n] : [waitingOn, n],
        ),
      );
    const [apps, stations] = await Promise.all([read('Application', 'title', 'applicantId'), read('Station', 'name', 'hostId')]);
    for (const rows of [apps, stations]) sources.push(rows.map((c) => ({ kind, caseId: c.id as string, what: `${c.title}: ${c.nextAction}`, dueAt: isoTime(c.dueAt) })));
  };
  switch (actor.role) {
    case 'applicant':
      if (wanted('case')) await cases('case', 'applicant', actor.id);
      break;
    case 'reviewer':
      if (wanted('review')) {
        const seats = await reads.all<Row>(
          `SELECT "caseId", "status", "dueAt" FROM "ReviewAssignment" WHERE "reviewerId" = ? AND "status" IN ('assigned', 'accepted') ORDER BY "dueAt", "id" LIMIT ?`,
          [actor.id, take],
        );
        sources.push(seats.map((a) => ({ kind: 'review', caseId: a.caseId as string, what: a.status === 'assigned' ? 'Declare conflicts of interest, then score' : 'Score the application', dueAt: isoTime(a.dueAt) })));
      }
      break;
    case 'officer':
      if (wanted('decision')) await cases('decision', 'officer');
      if (wanted('objection')) {
        const open = await reads.all<Row>(`SELECT "id", "caseId", "filerName" FROM "Objection" WHERE "status" = 'open' ORDER BY "filedAt", "id" LIMIT ?`, [take]);
        sources.push(open.map((o) => ({ kind: 'objection', caseId: o.caseId as string, what: `Resolve the objection filed by ${o.filerName}`, dueAt: null, ref: o.id as string })));
      }
      if (wanted('milestone')) {
        const checks = await reads.all<Row>(
          `SELECT "caseId", "code", "status", "dueAt" FROM "Milestone" WHERE "status" IN ('overdue', 'awaiting_score') ORDER BY "dueAt", "id" LIMIT ?`,
          [take],
        );
        sources.push(checks.map((m) => ({ kind: 'milestone', caseId: m.caseId as string, what: m.status === 'overdue' ? `The ${m.code} report is overdue` : `Record the ${m.code} score`, dueAt: isoTime(m.dueAt) })));
      }
      break;
    case 'finance':
      if (wanted('payment')) {
        const released = await reads.all<Row>(`SELECT "applicationId", "code", "amountFen" FROM "Tranche" WHERE "status" = 'released' ORDER BY "id" LIMIT ?`, [take]);
        sources.push(released.map((t) => ({ kind: 'payment', caseId: t.applicationId as string, what: `Approve tranche ${t.code} (${t.amountFen} fen)`, dueAt: null, ref: t.code as string })));
      }
      break;
    default:
      break;
  }
  // Each source is in order and holds at most limit + 1: the first `limit` of their merge are the
  // caller's first `limit`, and anything past them means more. ISO times in UTC compare as text.
  const items = sources.flat().sort((a, b) => (a.dueAt === b.dueAt ? 0 : a.dueAt === null ? 1 : b.dueAt === null ? -1 : a.dueAt < b.dueAt ? -1 : 1));
  return { items: items.slice(0, query.limit), more: items.length > query.limit };
}
