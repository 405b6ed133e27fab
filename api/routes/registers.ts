import { z } from 'zod';
import { EXPORT_TYPES } from '../http/file-response';
import { defineRoute } from '../http/route';
import { assignmentsQuery, disbursementsQuery, listAssignments, listDisbursements, listMilestones, listObjections, milestonesQuery, objectionsQuery } from '../use-cases/registers';
import { exportList } from '../use-cases/reports';

const format = { format: z.enum(['csv', 'xlsx']).default('csv') };
const cols = (...keys: string[]) => keys.map((key) => ({ key, header: key }));

export const registerRoutes = [
  defineRoute({
    method: 'get',
    path: '/review-assignments/export',
    summary: 'The review assignments list, same filters, as CSV or XLSX',
    auth: ['officer', 'admin'],
    query: assignmentsQuery.omit({ limit: true, cursor: true }).extend(format),
    produces: EXPORT_TYPES,
    handler: async ({ deps, query: { format: f, ...q } }) =>
      exportList(f, 'review-assignments', cols('id', 'caseId', 'round', 'reviewerId', 'status', 'dueAt', 'total', 'recommendation', 'submittedAt'), (x) => listAssignments(deps, x), { ...q, limit: 200 }),
  }),
  defineRoute({
    method: 'get',
    path: '/review-assignments',
    summary: 'Review assignments across cases, by programme, case, reviewer, status and due date',
    auth: ['officer', 'admin'],
    query: assignmentsQuery,
    handler: ({ deps, query }) => listAssignments(deps, query),
  }),
  defineRoute({
    method: 'get',
    path: '/objections/export',
    summary: 'The objections list, same filters, as CSV or XLSX',
    auth: ['officer', 'admin'],
    query: objectionsQuery.omit({ limit: true, cursor: true }).extend(format),
    produces: EXPORT_TYPES,
    handler: async ({ deps, query: { format: f, ...q } }) =>
      exportList(f, 'objections', cols('id', 'caseId', 'filerName', 'filerIdMasked', 'status', 'text', 'resolution', 'filedAt', 'resolvedAt'), (x) => listObjections(deps, x), { ...q, limit: 200 }),
  }),
  defineRoute({
    method: 'get',
    path: '/milestones/export',
    summary: 'The milestone checks list, same filters, as CSV or XLSX',
    auth: ['officer', 'admin'],
    query: milestonesQuery.omit({ limit: true, cursor: true }).extend(format),
    produces: EXPORT_TYPES,
    handler: async ({ deps, query: { format: f, ...q } }) =>
      exportList(f, 'milestones', cols('id', 'caseId', 'code', 'attempt', 'status', 'dueAt', 'reportedAt', 'score'), (x) => listMilestones(deps, x), { ...q, limit: 200 }),
  }),
  defineRoute({
    method: 'get',
    path: '/disbursements/export',
    summary: 'The disbursements list, same filters, as CSV or XLSX',
    auth: ['officer', 'finance', 'admin'],
    query: disbursementsQuery.omit({ limit: true, cursor: true }).extend(format),
    produces: EXPORT_TYPES,
    handler: async ({ deps, query: { format: f, ...q } }) =>
      exportList(f, 'disbursements', cols('id', 'at', 'programmeId', 'caseId', 'trancheCode', 'amountFen'), (x: typeof q & { limit: number; cursor?: string }) => listDisbursements(deps, { ...x, cursor: x.cursor === undefined ? undefined : Number(x.cursor) }), { ...q, limit: 200 }),
  }),
  defineRoute({
    method: 'get',
    path: '/objections',
    summary: 'Objections to public notices, by programme, case and status',
    auth: ['officer', 'admin'],
    query: objectionsQuery,
    handler: ({ deps, query }) => listObjections(deps, query),
  }),
  defineRoute({
    method: 'get',
    path: '/milestones',
    summary: 'Milestone checks and yearly evaluations, by programme, case, status and due date',
    auth: ['officer', 'admin'],
    query: milestonesQuery,
    handler: ({ deps, query }) => listMilestones(deps, query),
  }),
  defineRoute({
    method: 'get',
    path: '/disbursements',
    summary: 'Payments made, by programme, case, amount and date',
    auth: ['officer', 'finance', 'admin'],
    query: disbursementsQuery,
    handler: ({ deps, query }) => listDisbursements(deps, query),
  }),
];
