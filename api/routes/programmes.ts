import { z } from 'zod';
import { ROLES } from '../../shared';
import { defineRoute } from '../http/route';
import { idParams, pageQuery } from '../http/schemas';
import { createProgramme, getProgramme, listProgrammes, newProgrammeSchema } from '../use-cases/programmes';

export const programmeRoutes = [
  defineRoute({
    method: 'post',
    path: '/programmes',
    summary: 'Create a programme (a call for applications)',
    auth: ['officer', 'admin'],
    body: newProgrammeSchema,
    status: 201,
    handler: ({ deps, actor, body, requestId }) => createProgramme(deps.prisma, actor, body, requestId),
  }),
  defineRoute({
    method: 'get',
    path: '/programmes',
    summary: 'List programmes',
    auth: ROLES,
    query: z.strictObject(pageQuery),
    handler: ({ deps, query }) => listProgrammes(deps.prisma, query),
  }),
  defineRoute({
    method: 'get',
    path: '/programmes/:id',
    summary: 'One programme',
    auth: ROLES,
    params: idParams,
    handler: ({ deps, params }) => getProgramme(deps.prisma, params.id),
  }),
];
