import { z } from 'zod';
import { ROLES } from '../../shared';
import { EXPORT_TYPES } from '../http/file-response';
import { defineRoute } from '../http/route';
import { idParams, pageQuery } from '../http/schemas';
import { exportLedger, exportReport } from '../use-cases/reports';
import { createProgramme, getProgramme, listProgrammes, newProgrammeSchema, programmeLedger, reviseConfig } from '../use-cases/programmes';

export const programmeRoutes = [
  defineRoute({
    method: 'post',
    path: '/programmes',
    summary: 'Create a programme (a call for applications) with its rules',
    auth: ['officer', 'admin'],
    body: newProgrammeSchema,
    status: 201,
    handler: ({ deps, actor, body, requestId, keepAnswer }) => createProgramme(deps.prisma, actor, body, requestId, keepAnswer),
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
  defineRoute({
    method: 'put',
    path: '/programmes/:id/config',
    summary: "A new version of the programme's rules; running cases keep theirs until migrated",
    auth: ['officer', 'admin'],
    params: idParams,
    body: z.record(z.string(), z.unknown()),
    handler: ({ deps, actor, params, body, requestId }) => reviseConfig(deps.prisma, actor, params.id, body, requestId),
  }),
  defineRoute({
    method: 'get',
    path: '/programmes/:id/report',
    summary: 'Money, pipeline by stage, per-tier and per-year totals, overdue items, time per stage',
    auth: ['officer', 'finance', 'admin'],
    params: idParams,
    handler: ({ deps, params }) => deps.reports.get(deps, params.id),
  }),
  defineRoute({
    method: 'get',
    path: '/programmes/:id/report/export',
    summary: 'The programme report as CSV or XLSX',
    auth: ['officer', 'finance', 'admin'],
    params: idParams,
    query: z.strictObject({ format: z.enum(['csv', 'xlsx']).default('csv') }),
    produces: EXPORT_TYPES,
    handler: ({ deps, params, query }) => exportReport(deps, params.id, query.format),
  }),
  defineRoute({
    method: 'get',
    path: '/programmes/:id/ledger/export',
    summary: "The programme's ledger entries as CSV or XLSX, streamed",
    auth: ['officer', 'finance', 'admin'],
    params: idParams,
    query: z.strictObject({ format: z.enum(['csv', 'xlsx']).default('csv') }),
    produces: EXPORT_TYPES,
    handler: async ({ deps, params, query }) => {
      await getProgramme(deps.prisma, params.id);
      return exportLedger(deps.prisma, params.id, query.format);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/programmes/:id/ledger',
    summary: 'Budget, committed, paid, returned, clawed back and remaining, from the ledger',
    auth: ['officer', 'finance', 'admin'],
    params: idParams,
    handler: ({ deps, params }) => programmeLedger(deps.prisma, params.id),
  }),
];
