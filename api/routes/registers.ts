import { defineRoute } from '../http/route';
import { disbursementsQuery, listDisbursements, listMilestones, listObjections, milestonesQuery, objectionsQuery } from '../use-cases/registers';

export const registerRoutes = [
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
