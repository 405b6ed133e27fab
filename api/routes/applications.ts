import { z } from 'zod';
import { EXPORT_TYPES } from '../http/file-response';
import { defineRoute } from '../http/route';
import { idParams, queryInt } from '../http/schemas';
import {
  createDraft,
  draftPatchSchema,
  getApplication,
  listApplications,
  listApplicationsQuery,
  newDraftSchema,
  resubmit,
  submit,
  updateDraft,
} from '../use-cases/applications';
import { CASE_ACTIONS, fileObjection, listNotices, loadApplicationCase, objectionSchema } from '../use-cases/case-actions';
import { caseActionRoutes } from './case-action-routes';
import { exportApplications, exportQuery } from '../use-cases/reports';
import { INBOX_KINDS, caseReviews, inbox, myAssignments } from '../use-cases/views';

const VIEWERS = ['applicant', 'reviewer', 'officer', 'finance', 'admin'] as const;

export const applicationRoutes = [
  defineRoute({
    method: 'post',
    path: '/applications',
    summary: 'Create a draft application',
    auth: ['applicant'],
    body: newDraftSchema,
    status: 201,
    handler: ({ deps, actor, body, requestId, keepAnswer }) => createDraft(deps, actor, body, requestId, keepAnswer),
  }),
  defineRoute({
    method: 'get',
    path: '/applications',
    summary: 'List applications (applicants see their own)',
    auth: ['applicant', 'officer', 'finance', 'admin'],
    query: listApplicationsQuery,
    handler: ({ deps, actor, query }) => listApplications(deps, actor, query),
  }),
  defineRoute({
    method: 'get',
    path: '/applications/export',
    summary: 'The applications list with the same filters, every row, as CSV or XLSX, streamed',
    auth: ['officer', 'finance', 'admin'],
    query: exportQuery,
    produces: EXPORT_TYPES,
    handler: async ({ deps, query }) => exportApplications(deps.prisma, query),
  }),
  defineRoute({
    method: 'get',
    path: '/applications/:id',
    summary: 'One application with its stage, what it waits for, its history and live workflow state',
    auth: VIEWERS,
    params: idParams,
    handler: ({ deps, actor, params, requestId }) => getApplication(deps, actor, params.id, requestId),
  }),
  defineRoute({
    method: 'patch',
    path: '/applications/:id',
    summary: 'Edit a draft, or an application returned for revision',
    auth: ['applicant'],
    params: idParams,
    body: draftPatchSchema,
    handler: ({ deps, actor, params, body, requestId }) => updateDraft(deps, actor, params.id, body, requestId),
  }),
  defineRoute({
    method: 'post',
    path: '/applications/:id/submit',
    summary: 'Submit a draft: starts its workflow and returns the new stage',
    auth: ['applicant'],
    params: idParams,
    handler: ({ deps, actor, params, requestId, updateId }) => submit(deps, actor, params.id, { requestId, updateId }),
  }),
  defineRoute({
    method: 'post',
    path: '/applications/:id/resubmit',
    summary: 'Resubmit an application returned for revision, as edited',
    auth: ['applicant'],
    params: idParams,
    handler: ({ deps, actor, params, requestId, updateId }) => resubmit(deps, actor, params.id, { requestId, updateId }),
  }),
  ...caseActionRoutes('/applications', CASE_ACTIONS, loadApplicationCase),
  defineRoute({
    method: 'get',
    path: '/applications/:id/reviews',
    summary: 'The review panel and scores (blind for reviewers until they submit)',
    auth: ['reviewer', 'officer', 'admin'],
    params: idParams,
    handler: ({ deps, actor, params }) => caseReviews(deps, actor, params.id),
  }),
  defineRoute({
    method: 'get',
    path: '/reviews',
    summary: 'My review assignments and their due dates (reviewer)',
    auth: ['reviewer'],
    handler: ({ deps, actor }) => myAssignments(deps, actor),
  }),
  defineRoute({
    method: 'get',
    path: '/inbox',
    summary: 'What waits on me, soonest due first: `limit` items (of one `kind`, or all) after `cursor`, whether there are more, and the next page\'s cursor',
    auth: VIEWERS,
    query: z.strictObject({ kind: z.enum(INBOX_KINDS).optional(), limit: queryInt(1, 500).default(100), cursor: z.string().max(1_000).optional() }),
    handler: ({ deps, actor, query }) => inbox(deps, actor, query),
  }),
  defineRoute({
    method: 'get',
    path: '/notices',
    summary: 'Cases under public notice now (public)',
    auth: 'public',
    handler: ({ deps }) => listNotices(deps),
  }),
  defineRoute({
    method: 'post',
    path: '/notices/:id/objections',
    summary: 'File a real-name objection to a case under public notice (public)',
    auth: 'public',
    params: idParams,
    body: objectionSchema,
    status: 202,
    handler: ({ deps, params, body, requestId, updateId }) => fileObjection(deps, params.id, body, { requestId, updateId }),
  }),
];
