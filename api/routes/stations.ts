import { z } from 'zod';
import { EXPORT_TYPES } from '../http/file-response';
import { defineRoute } from '../http/route';
import { exportList } from '../use-cases/reports';
import { idParams } from '../http/schemas';
import { caseActionRoutes } from './case-action-routes';
import {
  STATION_ACTIONS,
  createExpert,
  createStation,
  getExpert,
  getStation,
  listStations,
  listStationsQuery,
  loadStationCase,
  newExpertSchema,
  newStationSchema,
  submitStation,
} from '../use-cases/stations';

export const stationRoutes = [
  defineRoute({
    method: 'post',
    path: '/experts',
    summary: 'Register an expert who may be resident at stations',
    auth: ['officer', 'admin'],
    body: newExpertSchema,
    status: 201,
    handler: ({ deps, actor, body, requestId, keepAnswer }) => createExpert(deps, actor, body, requestId, keepAnswer),
  }),
  defineRoute({
    method: 'get',
    path: '/experts/:id',
    summary: 'An expert and their commitments across stations',
    auth: ['applicant', 'officer', 'admin'],
    params: idParams,
    handler: ({ deps, actor, params }) => getExpert(deps, actor, params.id),
  }),
  defineRoute({
    method: 'post',
    path: '/stations',
    summary: 'Create a station application as its host, naming the resident experts',
    auth: ['applicant'],
    body: newStationSchema,
    status: 201,
    handler: ({ deps, actor, body, requestId, keepAnswer }) => createStation(deps, actor, body, requestId, keepAnswer),
  }),
  defineRoute({
    method: 'get',
    path: '/stations',
    summary: 'Stations by type, host, stage and next due date (hosts see their own)',
    auth: ['applicant', 'officer', 'finance', 'admin'],
    query: listStationsQuery,
    handler: ({ deps, actor, query }) => listStations(deps, actor, query),
  }),
  defineRoute({
    method: 'get',
    path: '/stations/export',
    summary: 'The stations list, same filters, as CSV or XLSX',
    auth: ['officer', 'finance', 'admin'],
    query: listStationsQuery.omit({ limit: true, cursor: true }).extend({ format: z.enum(['csv', 'xlsx']).default('csv') }),
    produces: EXPORT_TYPES,
    handler: async ({ deps, actor, query: { format, ...q } }) =>
      exportList(
        format,
        'stations',
        ['id', 'name', 'type', 'hostName', 'stage', 'term', 'establishedAt', 'termEndsAt'].map((key) => ({ key, header: key })),
        (x) => listStations(deps, actor, x),
        { ...q, limit: 200 },
      ),
  }),
  defineRoute({
    method: 'get',
    path: '/stations/:id',
    summary: 'One station with its experts, history, evaluations and live state',
    auth: ['applicant', 'reviewer', 'officer', 'finance', 'admin'],
    params: idParams,
    handler: ({ deps, actor, params, requestId }) => getStation(deps, actor, params.id, requestId),
  }),
  defineRoute({
    method: 'post',
    path: '/stations/:id/submit',
    summary: 'Submit a station application: starts its workflow and returns its stage',
    auth: ['applicant'],
    params: idParams,
    handler: ({ deps, actor, params, requestId, updateId }) => submitStation(deps, actor, params.id, { requestId, updateId }),
  }),
  ...caseActionRoutes('/stations', STATION_ACTIONS, loadStationCase),
];
