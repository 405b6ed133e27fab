import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import { inTransaction } from '../../infra/transaction';
import { containsText } from '../../infra/db';
import {
  type Actor,
  STATION_STAGES,
  type StationView,
  type StationWorkflowInput,
  applyForRenewalUpdate,
  cancelStationUpdate,
  decideExpertChangeUpdate,
  decideRenewalUpdate,
  requestExpertChangeUpdate,
  siteVisitUpdate,
  stationFormalUpdate,
  stationStalledUpdate,
  stationViewQuery,
  submitStationUpdate,
  withdrawStationUpdate,
} from '../../shared';
import { EXPERT_TITLES, type StationProgrammeConfig } from '../../shared/programme-config';
import type { stationWorkflow } from '../../workflows';
import type { AppDeps, RequestIds, KeepAnswer } from '../deps';
import { problems } from '../http/problem';
import { isoDateTime, queryInt } from '../http/schemas';
import { type CaseAction, type LoadedCase, action, asIs, childActions, empty, reason } from './case-actions';
import { writeAudit } from './audit';

// ---- Experts -------------------------------------------------------------------------------

export const newExpertSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  title: z.enum(EXPERT_TITLES),
  field: z.string().trim().min(1).max(100),
});

export async function createExpert(deps: AppDeps, actor: Actor, input: z.infer<typeof newExpertSchema>, requestId: string, keep?: KeepAnswer) {
  return inTransaction(deps.prisma, async (tx) => {
    const e = await tx.expert.create({ data: input });
    await writeAudit(tx, { actor, action: 'expert.create', targetType: 'expert', targetId: e.id, after: e, requestId });
    await keep?.(tx, e);
    return e;
  });
}

/** Stages in which a station has been published (its public notice, and all that follows). */
const PUBLISHED_STATION_STAGES = ['public_notice', 'established', 'rectifying', 'renewal_review', 'revoked', 'expired'];

/**
 * An expert and the stations they sit at, so that commitments across stations are visible. An
 * applicant sees the stations they host and those already published, not other hosts'
 * applications; staff see all.
 */
export async function getExpert(deps: AppDeps, actor: Actor, id: string) {
  const e = await deps.prisma.expert.findUnique({
    where: { id },
    include: { seats: { include: { station: { select: { id: true, name: true, type: true, stage: true, hostName: true, hostId: true } } } } },
  });
  if (!e) throw problems.notFound('expert');
  const seats = actor.role === 'applicant' ? e.seats.filter((s) => s.station.hostId === actor.id || PUBLISHED_STATION_STAGES.includes(s.station.stage)) : e.seats;
  return {
    id: e.id,
    name: e.name,
    title: e.title,
    field: e.field,
    residentSeats: e.residentSeats,
    stations: seats.map(({ station: { hostId: _h, ...station }, ...s }) => ({ ...station, seat: s.status, since: s.since, until: s.until })),
  };
}

// ---- Stations ------------------------------------------------------------------------------

export const newStationSchema = z.strictObject({
  programmeId: z.uuid(),
  type: z.string().regex(/^[a-z0-9_]{1,40}$/),
  name: z.string().trim().min(1).max(300),
  field: z.string().trim().min(1).max(100),
  hostName: z.string().trim().min(1).max(300),
  hostKind: z.enum(['enterprise', 'institution']).default('enterprise'),
  experts: z.array(z.uuid()).min(1).max(50),
});

export const listStationsQuery = z.strictObject({
  programmeId: z.uuid().optional(),
  type: z.string().max(40).optional(),
  host: z.string().max(300).optional(),
  stage: z.enum(STATION_STAGES).optional(),
  dueBefore: isoDateTime.optional(),
  dueAfter: isoDateTime.optional(),
  limit: queryInt(1, 200).default(50),
  cursor: z.uuid().optional(),
});

type StationRow = Prisma.StationGetPayload<{ include: { experts: true } }>;

function present(s: StationRow) {
  return {
    id: s.id,
    programmeId: s.programmeId,
    hostId: s.hostId,
    hostName: s.hostName,
    hostKind: s.hostKind,
    type: s.type,
    name: s.name,
    field: s.field,
    stage: s.stage,
    term: s.term,
    establishedAt: s.establishedAt,
    termEndsAt: s.termEndsAt,
    next: { waitingOn: s.waitingOn, what: s.nextAction, dueAt: s.dueAt },
    experts: s.experts.map((e) => ({ expertId: e.expertId, status: e.status, since: e.since, until: e.until })),
    createdAt: s.createdAt,
  };
}

/** Hosts see their own stations; reviewers those they sit on; officers, finance and administrators all. */
async function loadVisibleStation(deps: AppDeps, actor: Actor, id: string): Promise<StationRow> {
  const s = await deps.prisma.station.findUnique({ where: { id }, include: { experts: true } });
  const hidden = () => problems.notFound('station');
  if (!s) throw hidden();
  if (actor.role === 'applicant' && s.hostId !== actor.id) throw hidden();
  if (actor.role === 'reviewer') {
    const seat = await deps.prisma.reviewAssignment.findFirst({ where: { caseId: id, reviewerId: actor.id, status: { in: ['assigned', 'accepted', 'submitted'] } } });
    if (!seat) throw hidden();
  }
  return s;
}

export async function loadStationCase(deps: AppDeps, actor: Actor, id: string): Promise<LoadedCase> {
  const s = await loadVisibleStation(deps, actor, id);
  return { workflowId: s.workflowId, programmeId: s.programmeId, viewQuery: stationViewQuery, projected: s };
}

export async function createStation(deps: AppDeps, actor: Actor, input: z.infer<typeof newStationSchema>, requestId: string, keep?: KeepAnswer) {
  const programme = await deps.prisma.programme.findUnique({ where: { id: input.programmeId } });
  if (!programme || programme.kind !== 'workstation') throw problems.notFound('station programme');
  const config = programme.config as unknown as StationProgrammeConfig;
  if (!config.stationTypes.some((t) => t.code === input.type)) {
    throw problems.validation([{ path: 'body.type', message: `This programme has no station type ${input.type}` }]);
  }
  const known = await deps.prisma.expert.count({ where: { id: { in: input.experts } } });
  if (known !== new Set(input.experts).size) throw problems.validation([{ path: 'body.experts', message: 'Every expert must be registered, once' }]);
  const { experts, ...fields } = input;
  const station = await inTransaction(deps.prisma, async (tx) => {
    const s = await tx.station.create({
      data: { ...fields, hostId: actor.id, experts: { create: experts.map((expertId) => ({ expertId, status: 'proposed' })) } },
      include: { experts: true },
    });
    await writeAudit(tx, { actor, action: 'station.draft', targetType: 'station', targetId: s.id, after: present(s), requestId });
    await keep?.(tx, present(s));
    return s;
  });
  return present(station);
}

/** Submits a station application: starts its workflow (id = station id) by update-with-start. */
export async function submitStation(deps: AppDeps, actor: Actor, id: string, { requestId, updateId }: RequestIds): Promise<StationView> {
  const s = await loadVisibleStation(deps, actor, id);
  if (s.hostId !== actor.id) throw problems.notFound('station');
  if (s.stage !== 'draft') throw problems.business('WrongStage', `The station application is already ${s.stage}`);
  const programme = await deps.prisma.programme.findUniqueOrThrow({ where: { id: s.programmeId } });
  const input: StationWorkflowInput = {
    stationId: s.id,
    hostId: s.hostId,
    programme: { id: programme.id, configVersion: programme.configVersion, config: programme.config as unknown as StationProgrammeConfig },
    station: {
      type: s.type,
      name: s.name,
      field: s.field,
      hostName: s.hostName,
      hostKind: s.hostKind as 'enterprise' | 'institution',
      experts: s.experts.map((e) => e.expertId),
    },
  };
  const start = new WithStartWorkflowOperation<typeof stationWorkflow>('stationWorkflow', {
    workflowId: s.id,
    taskQueue: deps.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const view = await deps.temporal.workflow.executeUpdateWithStart(submitStationUpdate, { args: [{ actor, requestId }], updateId, startWorkflowOperation: start });
  await deps.prisma.station.update({ where: { id: s.id }, data: { workflowId: s.id, configVersion: programme.configVersion } });
  return view;
}

export async function getStation(deps: AppDeps, actor: Actor, id: string, requestId: string) {
  const s = await loadVisibleStation(deps, actor, id);
  // As for an application: the staff read is recorded while the station is read; both or nothing.
  const [, history, evaluations, workflow] = await Promise.all([
    deps.readRecorder.record(actor, 'station', id, requestId),
    deps.prisma.stageHistory.findMany({ where: { caseId: id }, orderBy: { seq: 'asc' }, select: { stage: true, enteredAt: true, reason: true } }),
    deps.prisma.milestone.findMany({ where: { caseId: id }, orderBy: { dueAt: 'asc' } }),
    (async (): Promise<StationView | null> => {
      if (!s.workflowId) return null;
      try {
        return await deps.liveViews.get(s.workflowId, stationViewQuery, s);
      } catch (err) {
        deps.logger.warn({ err, stationId: id }, 'workflow query failed');
        return null;
      }
    })(),
  ]);
  return { ...present(s), history, evaluations, workflow };
}

/** Stations by type, host, stage and next due date, soonest due first, from the read model. */
export async function listStations(deps: AppDeps, actor: Actor, q: z.infer<typeof listStationsQuery>) {
  const where: Prisma.StationWhereInput = {
    programmeId: q.programmeId,
    type: q.type,
    stage: q.stage,
    ...(q.host ? { hostName: containsText(deps.prisma, q.host) } : {}),
    ...(q.dueBefore || q.dueAfter ? { dueAt: { ...(q.dueBefore ? { lt: new Date(q.dueBefore) } : {}), ...(q.dueAfter ? { gte: new Date(q.dueAfter) } : {}) } } : {}),
    ...(actor.role === 'applicant' ? { hostId: actor.id } : {}),
  };
  const rows = await deps.prisma.station.findMany({
    where,
    include: { experts: true },
    // Explicit: SQLite sorts NULLs first, PostgreSQL last; stations waiting on nothing go last.
    orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
    take: q.limit + 1,
    ...(q.cursor ? { cursor: { id: q.cursor }, skip: 1 } : {}),
  });
  const items = rows.slice(0, q.limit).map(present);
  return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
}

// ---- Actions on a running station ----------------------------------------------------------

export const STATION_ACTIONS: readonly CaseAction[] = [
  action({
    path: 'formal-check',
    summary: 'Decide the formal check of a station application',
    roles: ['officer'],
    target: 'case',
    update: stationFormalUpdate,
    body: z.discriminatedUnion('decision', [z.strictObject({ decision: z.literal('accept') }), z.strictObject({ decision: z.literal('reject'), reason })]),
    command: asIs,
  }),
  action({ path: 'stalled-review', summary: 'After a panel without quorum: restart it, or reject', roles: ['officer'], target: 'case', update: stationStalledUpdate, body: z.strictObject({ decision: z.enum(['restart', 'reject']), reason }), command: asIs }),
  action({ path: 'site-visit', summary: 'Record the site visit at the host', roles: ['officer'], target: 'case', update: siteVisitUpdate, body: z.strictObject({ outcome: z.enum(['pass', 'fail']), notes: z.string().trim().max(5_000).default('') }), command: asIs }),
  action({
    path: 'experts/change',
    summary: 'Ask to add or remove a resident expert during the term (host)',
    roles: ['applicant'],
    target: 'case',
    update: requestExpertChangeUpdate,
    body: z.strictObject({ add: z.uuid().optional(), remove: z.uuid().optional(), reason }),
    command: asIs,
  }),
  action({
    path: 'experts/changes/:changeId/decide',
    summary: 'Approve or refuse a change of resident experts',
    roles: ['officer'],
    target: 'case',
    params: { changeId: z.string().min(1).max(200) },
    update: decideExpertChangeUpdate,
    body: z.strictObject({ approve: z.boolean(), reason }),
    command: (b, ctx, { params }) => ({ ...b, ...ctx, changeId: params.changeId }),
  }),
  action({ path: 'renewal', summary: 'Apply for renewal in the last months of the term (host)', roles: ['applicant'], target: 'case', update: applyForRenewalUpdate, body: empty, command: asIs }),
  action({ path: 'renewal/decide', summary: 'Decide on renewal for another term', roles: ['officer'], target: 'case', update: decideRenewalUpdate, body: z.strictObject({ approve: z.boolean(), reason }), command: asIs }),
  action({ path: 'withdraw', summary: 'Withdraw the application before establishment (host)', roles: ['applicant'], target: 'case', update: withdrawStationUpdate, body: z.strictObject({ reason }), command: asIs }),
  action({ path: 'cancel', summary: 'Cancel the station', roles: ['officer'], target: 'case', update: cancelStationUpdate, body: z.strictObject({ reason }), command: asIs }),
  ...childActions({ report: 'evaluation/report', score: 'evaluation/score', check: 'yearly evaluation' }),
];
