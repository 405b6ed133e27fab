import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import { Conditions, isoTime, readJson } from '../../infra/read-store';
import type { AppDeps } from '../deps';
import { isoDateTime, queryInt } from '../http/schemas';

// Registers for staff: objections, milestone checks and disbursements across cases, from the read
// model, filtered and paged by keyset (id order).

const page = {
  limit: queryInt(1, 200).default(50),
  cursor: z.string().max(200).optional(),
};
const window = {
  dueBefore: isoDateTime.optional(),
  dueAfter: isoDateTime.optional(),
};
const range = (before?: string, after?: string) =>
  before || after ? { ...(before ? { lt: new Date(before) } : {}), ...(after ? { gte: new Date(after) } : {}) } : undefined;

/** The part of a register's filter every case-linked register shares: programme or case, due window, keyset. */
function caseScoped(q: { programmeId?: string; caseId?: string; dueBefore?: string; dueAfter?: string; cursor?: string }) {
  return {
    // Each row carries its case's programme (migration 0003): no list of the programme's case ids,
    // which SQLite cannot bind past 999 and which is slow to read at 100,000 cases.
    programmeId: q.programmeId,
    caseId: q.caseId,
    dueAt: range(q.dueBefore, q.dueAfter),
    ...(q.cursor ? { id: { gt: q.cursor } } : {}),
  };
}

function paged<T extends { id: string | number }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.id) : null };
}

export const objectionsQuery = z.strictObject({ programmeId: z.uuid().optional(), caseId: z.uuid().optional(), status: z.enum(['open', 'dismissed', 'upheld']).optional(), ...page });

export async function listObjections(deps: AppDeps, q: z.infer<typeof objectionsQuery>) {
  const { dueAt: _none, ...scope } = caseScoped(q);
  const where: Prisma.ObjectionWhereInput = { status: q.status, ...scope };
  const rows = await deps.prisma.objection.findMany({ where, orderBy: { id: 'asc' }, take: q.limit + 1 });
  // The identity number is shown masked only; its hash stays internal.
  return paged(rows.map(({ filerIdHash: _h, ...o }) => o), q.limit);
}

export const milestonesQuery = z.strictObject({
  programmeId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  status: z.enum(['awaiting_report', 'overdue', 'awaiting_score', 'scored', 'no_show']).optional(),
  ...window,
  ...page,
});

export async function listMilestones(deps: AppDeps, q: z.infer<typeof milestonesQuery>) {
  const rows = await deps.prisma.milestone.findMany({
    where: { status: q.status, ...caseScoped(q) },
    orderBy: { id: 'asc' },
    take: q.limit + 1,
  });
  return paged(rows, q.limit);
}

export const disbursementsQuery = z.strictObject({
  programmeId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  minFen: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
  maxFen: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
  paidBefore: isoDateTime.optional(),
  paidAfter: isoDateTime.optional(),
  limit: page.limit,
  cursor: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
});

/** Payments made (ledger entries of kind payment). */
export async function listDisbursements(deps: AppDeps, q: z.infer<typeof disbursementsQuery>) {
  const rows = await deps.prisma.ledgerEntry.findMany({
    where: {
      kind: 'payment',
      programmeId: q.programmeId,
      caseId: q.caseId,
      at: range(q.paidBefore, q.paidAfter),
      ...(q.minFen !== undefined || q.maxFen !== undefined
        ? { amountFen: { ...(q.minFen !== undefined ? { gte: BigInt(q.minFen) } : {}), ...(q.maxFen !== undefined ? { lte: BigInt(q.maxFen) } : {}) } }
        : {}),
      ...(q.cursor !== undefined ? { id: { gt: q.cursor } } : {}),
    },
    orderBy: { id: 'asc' },
    take: q.limit + 1,
  });
  return paged(rows, q.limit);
}

export const assignmentsQuery = z.strictObject({
  programmeId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  reviewerId: z.uuid().optional(),
  status: z.enum(['assigned', 'accepted', 'recused', 'submitted', 'replaced']).optional(),
  ...window,
  ...page,
});

interface StoredAssignment {
  id: string;
  caseId: string;
  programmeId: string;
  round: unknown;
  reviewerId: string;
  status: string;
  dueAt: unknown;
  scores: unknown;
  total: unknown;
  comment: string | null;
  recommendation: string | null;
  conflictReason: string | null;
  submittedAt: unknown;
  rev: unknown;
}

/**
 * Review assignments across cases, for officers chasing scores: plain SQL through the read store.
 * As a Prisma model query a page of 150 cost 1.4-2.5 ms of CPU, as SQL 0.4 (the lifecycle bench's
 * officers poll it while panels review; bench/README.md, sixteenth session).
 */
export async function listAssignments(deps: AppDeps, q: z.infer<typeof assignmentsQuery>) {
  const { reads } = deps;
  const where = new Conditions();
  const when = where.add.bind(where);
  if (q.status) when('"status" = ?', q.status);
  if (q.reviewerId) when('"reviewerId" = ?', q.reviewerId);
  if (q.programmeId) when('"programmeId" = ?', q.programmeId);
  if (q.caseId) when('"caseId" = ?', q.caseId);
  if (q.dueBefore) when('"dueAt" < ?', reads.date(new Date(q.dueBefore)));
  if (q.dueAfter) when('"dueAt" >= ?', reads.date(new Date(q.dueAfter)));
  if (q.cursor) when('"id" > ?', q.cursor);
  const rows = await reads.all<StoredAssignment>(
    `SELECT "id", "caseId", "programmeId", "round", "reviewerId", "status", "dueAt", "scores", "total", "comment", "recommendation", "conflictReason", "submittedAt", "rev"
     FROM "ReviewAssignment"${where.clause} ORDER BY "id" LIMIT ?`,
    [...where.params, q.limit + 1],
  );
  return paged(
    rows.map((r) => ({
      ...r,
      round: Number(r.round),
      dueAt: isoTime(r.dueAt),
      scores: readJson<Record<string, number>>(r.scores),
      total: r.total === null ? null : Number(r.total),
      submittedAt: isoTime(r.submittedAt),
      rev: Number(r.rev),
    })),
    q.limit,
  );
}
