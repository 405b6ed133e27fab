import { defineRoute } from '../http/route';
import { idParams } from '../http/schemas';
import {
  createDraft,
  draftPatchSchema,
  getApplication,
  listApplications,
  listApplicationsQuery,
  newDraftSchema,
  submit,
  updateDraft,
  withdraw,
  withdrawSchema,
} from '../use-cases/applications';

export const applicationRoutes = [
  defineRoute({
    method: 'post',
    path: '/applications',
    summary: 'Create a draft application',
    auth: ['applicant'],
    body: newDraftSchema,
    status: 201,
    handler: ({ deps, actor, body, requestId }) => createDraft(deps, actor, body, requestId),
  }),
  defineRoute({
    method: 'get',
    path: '/applications',
    summary: 'List applications (applicants see their own)',
    auth: ['applicant', 'officer', 'admin'],
    query: listApplicationsQuery,
    handler: ({ deps, actor, query }) => listApplications(deps, actor, query),
  }),
  defineRoute({
    method: 'get',
    path: '/applications/:id',
    summary: 'One application with its stage, history and live workflow state',
    auth: ['applicant', 'officer', 'admin'],
    params: idParams,
    handler: ({ deps, actor, params }) => getApplication(deps, actor, params.id),
  }),
  defineRoute({
    method: 'patch',
    path: '/applications/:id',
    summary: 'Edit a draft application',
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
    handler: ({ deps, actor, params, requestId }) => submit(deps, actor, params.id, requestId),
  }),
  defineRoute({
    method: 'post',
    path: '/applications/:id/withdraw',
    summary: 'Withdraw a submitted application (before the agreement)',
    auth: ['applicant'],
    params: idParams,
    body: withdrawSchema,
    handler: ({ deps, actor, params, body, requestId }) => withdraw(deps, actor, params.id, body.reason, requestId),
  }),
];
