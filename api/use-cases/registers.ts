import { z } from 'zod';
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

function paged<T extends { id: string | number }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.id) : null };
}

export const objectionsQuery = z.strictObject({ programmeId: z.uuid().optional(), caseId: z.uuid().optional(), status: z.enum(['open', 'dismissed', 'upheld']).optional(), ...page });

export function listObjections(deps: AppDeps, q: z.infer<typeof objectionsQuery>) {
  // The identity number is shown masked only; its hash stays internal (not selected).
  return registerPage(deps, 'Objection', OBJECTION_COLUMNS, q);
}

export const milestonesQuery = z.strictObject({
  programmeId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  status: z.enum(['awaiting_report', 'overdue', 'awaiting_score', 'scored', 'no_show']).optional(),
  ...window,
  ...page,
});

export function listMilestones(deps: AppDeps, q: z.infer<typeof milestonesQuery>) {
  return registerPage(deps, 'Milestone', MILESTONE_COLUMNS, q);
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

/** Review assignments across cases, for officers chasing scores. */
export function listAssignments(deps: AppDeps, q: z.infer<typeof assignmentsQuery>) {
  return registerPage(deps, 'ReviewAssignment', ASSIGNMENT_COLUMNS, q, (where) => {
    if (q.reviewerId) where.add('"reviewerId" = ?', q.reviewerId);
  });
}

// ---- Pages of a register, plain SQL ---------------------------------------------------------------

/** A column as the read store gives it, or with how to make it what Prisma gave (times as ISO). */
type Column = string | readonly [name: string, convert: (v: unknown) => unknown];
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

// In the models' field order, so that a page's JSON is what the Prisma model queries gave.
const ASSIGNMENT_COLUMNS: Column[] = ['id', 'caseId', 'programmeId', ['round', num], 'reviewerId', 'status', ['dueAt', isoTime], ['scores', readJson], ['total', num], 'comment', 'recommendation', 'conflictReason', ['submittedAt', isoTime], ['rev', num]];
const OBJECTION_COLUMNS: Column[] = ['id', 'caseId', 'programmeId', 'noticeId', 'workflowId', 'filerName', 'filerIdMasked', 'contact', 'text', 'status', 'resolution', 'resolvedById', ['filedAt', isoTime], ['resolvedAt', isoTime], ['rev', num]];
const MILESTONE_COLUMNS: Column[] = ['id', 'caseId', 'workflowId', 'programmeId', 'code', ['attempt', num], ['dueAt', isoTime], 'status', ['score', num], 'reportSummary', ['reportedAt', isoTime], ['rev', num]];

/**
 * A register's page in id order, by programme, case, status and due window: plain SQL through the
 * read store. As a Prisma model query a page of 150 review assignments cost 1.4-2.5 ms of CPU, as
 * SQL 0.4 (the lifecycle bench's officers poll that register while panels review; bench/README.md,
 * sixteenth session).
 */
async function registerPage(
  { reads }: AppDeps,
  table: string,
  columns: Column[],
  q: { programmeId?: string; caseId?: string; status?: string; dueBefore?: string; dueAfter?: string; cursor?: string; limit: number },
  more?: (where: Conditions) => void,
) {
  const where = new Conditions();
  if (q.status) where.add('"status" = ?', q.status);
  if (q.programmeId) where.add('"programmeId" = ?', q.programmeId);
  if (q.caseId) where.add('"caseId" = ?', q.caseId);
  if (q.dueBefore) where.add('"dueAt" < ?', reads.date(new Date(q.dueBefore)));
  if (q.dueAfter) where.add('"dueAt" >= ?', reads.date(new Date(q.dueAfter)));
  more?.(where);
  if (q.cursor) where.add('"id" > ?', q.cursor);
  const names = columns.map((c) => (typeof c === 'string' ? c : c[0]));
  const rows = await reads.all<Record<string, unknown>>(
    `SELECT ${names.map((n) => `"${n}"`).join(', ')} FROM "${table}"${where.clause} ORDER BY "id" LIMIT ?`,
    [...where.params, q.limit + 1],
  );
  const present = (row: Record<string, unknown>) =>
    Object.fromEntries(columns.map((c) => (typeof c === 'string' ? [c, row[c] ?? null] : [c[0], c[1](row[c[0]])])));
  return paged(rows.map(present) as Array<{ id: string }>, q.limit);
}
