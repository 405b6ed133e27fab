import type { Actor } from '../../shared';
import type { AppDeps } from '../deps';
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

/** What waits on the caller, soonest due first. */
export async function inbox(deps: AppDeps, actor: Actor) {
  const { prisma } = deps;
  const items: Array<{ kind: string; caseId: string; what: string; dueAt: Date | null; ref?: string }> = [];
  // Fund applications and stations alike: whatever waits on this role (and, for a host, on them).
  const cases = async (waitingOn: string, ownerId?: string) => [
    ...(await prisma.application.findMany({
      where: { waitingOn, ...(ownerId ? { applicantId: ownerId } : {}) },
      select: { id: true, title: true, nextAction: true, dueAt: true },
      orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
      take: 500,
    })),
    ...(
      await prisma.station.findMany({
        where: { waitingOn, ...(ownerId ? { hostId: ownerId } : {}) },
        select: { id: true, name: true, nextAction: true, dueAt: true },
        orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
        take: 500,
      })
    ).map((s) => ({ id: s.id, title: s.name, nextAction: s.nextAction, dueAt: s.dueAt })),
  ];
  switch (actor.role) {
    case 'applicant':
      for (const c of await cases('applicant', actor.id)) items.push({ kind: 'case', caseId: c.id, what: `${c.title}: ${c.nextAction}`, dueAt: c.dueAt });
      break;
    case 'reviewer':
      for (const a of await prisma.reviewAssignment.findMany({ where: { reviewerId: actor.id, status: { in: ['assigned', 'accepted'] } } })) {
        items.push({ kind: 'review', caseId: a.caseId, what: a.status === 'assigned' ? 'Declare conflicts of interest, then score' : 'Score the application', dueAt: a.dueAt });
      }
      break;
    case 'officer':
      for (const c of await cases('officer')) items.push({ kind: 'decision', caseId: c.id, what: `${c.title}: ${c.nextAction}`, dueAt: c.dueAt });
      for (const o of await prisma.objection.findMany({ where: { status: 'open' }, take: 500 })) {
        items.push({ kind: 'objection', caseId: o.caseId, what: `Resolve the objection filed by ${o.filerName}`, dueAt: null, ref: o.id });
      }
      for (const m of await prisma.milestone.findMany({ where: { status: { in: ['overdue', 'awaiting_score'] } }, take: 500 })) {
        items.push({ kind: 'milestone', caseId: m.caseId, what: m.status === 'overdue' ? `The ${m.code} report is overdue` : `Record the ${m.code} score`, dueAt: m.dueAt });
      }
      break;
    case 'finance':
      for (const t of await prisma.tranche.findMany({ where: { status: 'released' }, take: 500 })) {
        items.push({ kind: 'payment', caseId: t.applicationId, what: `Approve tranche ${t.code} (${t.amountFen} fen)`, dueAt: null, ref: t.code });
      }
      break;
    default:
      break;
  }
  items.sort((a, b) => (a.dueAt?.getTime() ?? Infinity) - (b.dueAt?.getTime() ?? Infinity));
  return { items };
}
