import { WorkflowNotFoundError } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { z } from 'zod';
import {
  type ActionContext,
  type Actor,
  type ReviewRoundView,
  type Role,
  applicationViewQuery,
  stationViewQuery,
  approvePaymentUpdate,
  awardUpdate,
  cancelUpdate,
  countersignUpdate,
  declareConflictUpdate,
  fileObjectionUpdate,
  finalDecisionUpdate,
  forceTerminateUpdate,
  formalReviewUpdate,
  migrateConfigUpdate,
  recordAssessmentUpdate,
  recordScoreUpdate,
  resolveObjectionUpdate,
  scheduleAssessmentUpdate,
  signUpdate,
  stalledReviewUpdate,
  submitReportUpdate,
  submitScoreUpdate,
  withdrawUpdate,
} from '../../shared';
import { keyedHash } from '../../infra/pii';
import type { AppDeps, RequestIds } from '../deps';
import { problems } from '../http/problem';
import { fen, isoDateTime } from '../http/schemas';
import { readVisible } from './applications';
import { getConfigVersion } from './programmes';
import type { ProjectedView } from './live-views';

// Every human action on a running case, as data: who may take it, what it takes, and which
// workflow (the case or one of its children) receives it as an update. The routes are made from
// this table; the workflows' validators have the last word on stage, person and deadline.

export type Target = 'case' | 'reviewRound' | 'notice' | 'milestoneCheck';

export interface CaseAction<B extends z.ZodType = z.ZodType> {
  path: string;
  summary: string;
  roles: readonly Role[];
  body: B;
  target: Target;
  /** Extra path parameters (besides the application id). */
  params?: Record<string, z.ZodType>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  update: any;
  command: (body: z.infer<B>, ctx: ActionContext, extra: { deps: AppDeps; params: Record<string, string>; programmeId: string }) => unknown;
  /** What of the workflow's answer the caller may see; all of it when absent. */
  present?: (result: never, actor: Actor) => unknown;
}

export const reason = z.string().trim().min(1).max(2_000);
export const empty = z.strictObject({});
export const asIs = (body: object, ctx: ActionContext) => ({ ...body, ...ctx });

export function action<B extends z.ZodType>(a: CaseAction<B>): CaseAction {
  return a as unknown as CaseAction;
}

/**
 * A review round's view as a reviewer may see it: review is blind, so until they have submitted
 * their own score a reviewer sees only their own seat, as GET .../reviews shows it.
 */
export function blindRound(view: ReviewRoundView, actor: Actor): ReviewRoundView {
  if (actor.role !== 'reviewer') return view;
  const mine = view.assignments.filter((a) => a.reviewerId === actor.id);
  return mine.some((a) => a.status === 'submitted') ? view : { ...view, assignments: mine };
}

/**
 * The actions every kind of case takes through its child workflows: the review round's declaration
 * and score, the notice's objection resolution, and the report and score of a milestone check (a
 * fund's milestone, a station's yearly evaluation).
 */
export function childActions(check: { report: string; score: string; check: string }): CaseAction[] {
  return [
    action({
      path: 'review/declaration',
      summary: 'Declare whether you have a conflict of interest (reviewer)',
      roles: ['reviewer'],
      target: 'reviewRound',
      update: declareConflictUpdate,
      body: z.strictObject({ conflict: z.boolean(), reason: z.string().trim().max(2_000).optional() }),
      command: asIs,
      present: blindRound,
    }),
    action({
      path: 'review/score',
      summary: 'Submit your scores, comment and recommendation (reviewer)',
      roles: ['reviewer'],
      target: 'reviewRound',
      update: submitScoreUpdate,
      body: z.strictObject({
        scores: z.record(z.string().regex(/^[a-z0-9_]{1,32}$/), z.number().int().min(0).max(100)),
        comment: z.string().trim().min(1).max(10_000),
        recommendation: z.enum(['fund', 'do_not_fund', 'revise']),
      }),
      command: asIs,
      present: blindRound,
    }),
    action({
      path: check.report,
      summary: `Submit the report for the current ${check.check}`,
      roles: ['applicant'],
      target: 'milestoneCheck',
      update: submitReportUpdate,
      body: z.strictObject({ summary: z.string().trim().min(1).max(20_000) }),
      command: asIs,
    }),
    action({
      path: check.score,
      summary: `Record the expert panel's score for the current ${check.check}`,
      roles: ['officer'],
      target: 'milestoneCheck',
      update: recordScoreUpdate,
      body: z.strictObject({ score: z.number().min(0).max(100) }),
      command: asIs,
    }),
    action({
      path: 'objections/:objectionId/resolve',
      summary: 'Resolve an objection to the public notice',
      roles: ['officer'],
      target: 'notice',
      params: { objectionId: z.string().min(1).max(300) },
      update: resolveObjectionUpdate,
      body: z.strictObject({ resolution: z.enum(['dismissed', 'upheld']), action: z.enum(['back_to_review', 'reject']).optional(), reason }),
      command: (b, ctx, { params }) => ({ ...b, ...ctx, objectionId: params.objectionId }),
    }),
  ];
}

export const CASE_ACTIONS: readonly CaseAction[] = [
  action({ path: 'withdraw', summary: 'Withdraw the application (before the agreement)', roles: ['applicant'], target: 'case', update: withdrawUpdate, body: z.strictObject({ reason }), command: asIs }),
  action({
    path: 'formal-review',
    summary: 'Decide formal review: accept, reject, or return for revision',
    roles: ['officer'],
    target: 'case',
    update: formalReviewUpdate,
    body: z.discriminatedUnion('decision', [
      z.strictObject({ decision: z.literal('accept') }),
      z.strictObject({ decision: z.literal('reject'), reason }),
      z.strictObject({ decision: z.literal('return'), reason }),
    ]),
    command: asIs,
  }),
  action({
    path: 'stalled-review',
    summary: 'After a review without quorum: restart it, or reject',
    roles: ['officer'],
    target: 'case',
    update: stalledReviewUpdate,
    body: z.strictObject({ decision: z.enum(['restart', 'reject']), reason }),
    command: asIs,
  }),
  action({
    path: 'assessments/schedule',
    summary: 'Schedule the defence or the site visit',
    roles: ['officer'],
    target: 'case',
    update: scheduleAssessmentUpdate,
    body: z.strictObject({ kind: z.enum(['defence', 'site_visit']), at: isoDateTime, place: z.string().trim().min(1).max(300) }),
    command: asIs,
  }),
  action({
    path: 'assessments/record',
    summary: 'Record the outcome of the defence or the site visit',
    roles: ['officer'],
    target: 'case',
    update: recordAssessmentUpdate,
    body: z.strictObject({ kind: z.enum(['defence', 'site_visit']), outcome: z.enum(['pass', 'fail']), notes: z.string().trim().max(5_000).default('') }),
    command: asIs,
  }),
  action({
    path: 'award',
    summary: 'Record the committee decision: tier and amount, or rejection',
    roles: ['officer'],
    target: 'case',
    update: awardUpdate,
    body: z.discriminatedUnion('decision', [
      z.strictObject({ decision: z.literal('award'), tier: z.string().min(1).max(16), amountFen: fen }),
      z.strictObject({ decision: z.literal('reject'), reason }),
    ]),
    command: asIs,
  }),
  action({ path: 'sign', summary: 'Sign the agreement (applicant)', roles: ['applicant'], target: 'case', update: signUpdate, body: empty, command: asIs }),
  action({
    path: 'countersign',
    summary: "Countersign the agreement, committing the award to the programme's budget",
    roles: ['officer'],
    target: 'case',
    update: countersignUpdate,
    body: empty,
    command: asIs,
  }),
  action({
    path: 'tranches/:code/approve',
    summary: 'Approve the payment of a released tranche (finance; it is paid once all approvals are in)',
    roles: ['finance'],
    target: 'case',
    params: { code: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/) },
    update: approvePaymentUpdate,
    body: empty,
    command: (_b, ctx, { params }) => ({ ...ctx, trancheCode: params.code }),
  }),
  action({
    path: 'final-decision',
    summary: 'Decide the final acceptance outcome (then published)',
    roles: ['officer'],
    target: 'case',
    update: finalDecisionUpdate,
    body: z.strictObject({ outcome: z.enum(['pass', 'rectify', 'close', 'terminate', 'force_terminate']), reason }),
    command: asIs,
  }),
  action({ path: 'force-terminate', summary: 'Force-terminate a funded case: clawback and credit consequences', roles: ['officer'], target: 'case', update: forceTerminateUpdate, body: z.strictObject({ reason }), command: asIs }),
  action({ path: 'cancel', summary: 'Cancel the case at any stage', roles: ['officer'], target: 'case', update: cancelUpdate, body: z.strictObject({ reason }), command: asIs }),
  action({
    path: 'migrate-config',
    summary: "Move the case to a newer version of the programme's configuration",
    roles: ['officer'],
    target: 'case',
    update: migrateConfigUpdate,
    body: z.strictObject({ configVersion: z.number().int().positive() }),
    command: async (b, ctx, { deps, programmeId }) => ({
      ...ctx,
      configVersion: b.configVersion,
      config: await getConfigVersion(deps.prisma, programmeId, b.configVersion),
    }),
  }),
  ...childActions({ report: 'milestone/report', score: 'milestone/score', check: 'milestone check' }),
];

/** A case an action is taken on, as the caller may see it. */
export interface LoadedCase {
  workflowId: string | null;
  programmeId: string;
  /** The case workflow's view query; its `active` names the children running now. */
  viewQuery: QueryDefinition<{ active: Record<Exclude<Target, 'case'>, string | null> }>;
  /** That view as the read model last has it. */
  projected?: ProjectedView;
}

/**
 * The workflow an action goes to: the case itself, or the child that takes it now. The read model
 * names the child: the reviewer's seat, the open milestone check or the objection's notice, or else
 * the case's projected view: an action goes where the case, as the API shows it, says. That spares
 * a query of the case workflow, a round trip through Temporal and the worker before every child's
 * action, and a query's risk (docs/operations.md, "A case stopped by a nondeterminism error"). A
 * child started but not yet projected is not running yet as far as the API goes: WrongStage, as a
 * moment earlier. Only a row projected by workflow code older than its view (a token alone) has the
 * case workflow asked. The child's validator has the last word either way, and a child that has
 * ended answers WrongStage (see runCaseAction).
 */
async function targetWorkflow(
  deps: AppDeps,
  kase: LoadedCase & { workflowId: string },
  target: Target,
  caller?: { actor: Actor; params: Record<string, string> & { id: string } },
): Promise<string> {
  if (target === 'case') return kase.workflowId;
  const onRecord = caller ? await childOnRecord(deps, target, caller.actor, caller.params) : null;
  if (onRecord) return onRecord;
  const child = (await deps.liveViews.get(kase.workflowId, kase.viewQuery, kase.projected)).active[target];
  if (!child) {
    const what = { reviewRound: 'expert review round', notice: 'public notice', milestoneCheck: 'milestone check' }[target];
    throw problems.business('WrongStage', `No ${what} is running for this case`);
  }
  return child;
}

// SQL lists of the statuses in which a seat, a milestone check takes actions.
const OPEN_SEAT = `'assigned', 'accepted'`;
const OPEN_CHECK = `'awaiting_report', 'overdue', 'awaiting_score'`;

/** The workflow the read model says takes this caller's action on the case (a child's, or the case's own), if it says. */
async function childOnRecord(deps: AppDeps, target: Exclude<Target, 'case'>, actor: Actor, params: Record<string, string> & { id: string }): Promise<string | null> {
  const caseId = params.id;
  if (target === 'reviewRound') {
    if (actor.role !== 'reviewer') return null;
    // A seat's id is "<round workflow id>:<reviewer id>"; after a restarted review, the newest round.
    const [seat] = await deps.reads.all<{ id: string }>(
      `SELECT "id" FROM "ReviewAssignment" WHERE "caseId" = ? AND "reviewerId" = ? AND "status" IN (${OPEN_SEAT}) ORDER BY "round" DESC LIMIT 1`,
      [caseId, actor.id],
    );
    return seat ? seat.id.slice(0, -(actor.id.length + 1)) : null;
  }
  if (target === 'milestoneCheck') {
    const [check] = await deps.reads.all<{ workflowId: string }>(
      `SELECT "workflowId" FROM "Milestone" WHERE "caseId" = ? AND "status" IN (${OPEN_CHECK}) ORDER BY "attempt" DESC LIMIT 1`,
      [caseId],
    );
    return check?.workflowId ?? null;
  }
  if (!params.objectionId) return null;
  const [objection] = await deps.reads.all<{ caseId: string; workflowId: string }>('SELECT "caseId", "workflowId" FROM "Objection" WHERE "id" = ?', [params.objectionId]);
  return objection?.caseId === caseId ? objection.workflowId : null;
}

export async function runCaseAction(
  deps: AppDeps,
  actor: Actor,
  a: CaseAction,
  kase: LoadedCase,
  params: Record<string, string> & { id: string },
  body: unknown,
  { requestId, updateId }: RequestIds,
) {
  if (!kase.workflowId) throw problems.business('WrongStage', 'The case has not been submitted');
  const workflowId = await targetWorkflow(deps, { ...kase, workflowId: kase.workflowId }, a.target, { actor, params });
  const cmd = await a.command(body as never, { actor, requestId }, { deps, params, programmeId: kase.programmeId });
  try {
    const result = await deps.temporal.workflow.getHandle(workflowId).executeUpdate(a.update, { args: [cmd], updateId });
    return a.present ? a.present(result as never, actor) : result;
  } catch (err) {
    // The workflow exists (its id is on record), so "not found" means it has finished.
    if (err instanceof WorkflowNotFoundError) throw problems.business('WrongStage', 'The case, or the step it was in, has ended');
    throw err;
  }
}

// ---- Public objections ----------------------------------------------------------------------

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** A mainland resident identity number: 17 digits and a GB 11643 check character. */
export function isResidentIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const sum = ID_WEIGHTS.reduce((s, w, i) => s + w * Number(id[i]), 0);
  return ID_CHECK[sum % 11] === id[17];
}

export const objectionSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  idNumber: z
    .string()
    .trim()
    .transform((s) => s.toUpperCase())
    .refine(isResidentIdNumber, 'Give a valid 18-character resident identity number'),
  contact: z.string().trim().min(3).max(200),
  text: z.string().trim().min(1).max(10_000),
});

/** An application's case for the actions table. */
export async function loadApplicationCase(deps: AppDeps, actor: Actor, id: string): Promise<LoadedCase> {
  const app = await readVisible(deps, actor, id);
  return { workflowId: app.workflowId, programmeId: app.programmeId, viewQuery: applicationViewQuery, projected: app };
}

/** Any case under public notice, application or station, for the public. */
async function caseUnderNotice(deps: AppDeps, id: string): Promise<LoadedCase & { workflowId: string }> {
  const [app, station] = await Promise.all([
    deps.prisma.application.findUnique({ where: { id } }),
    deps.prisma.station.findUnique({ where: { id } }),
  ]);
  const row = app ?? station;
  if (!row?.workflowId || row.stage !== 'public_notice') throw problems.notFound('case under public notice');
  return { workflowId: row.workflowId, programmeId: row.programmeId, viewQuery: app ? applicationViewQuery : stationViewQuery, projected: row };
}

/**
 * Files a real-name objection to a case under public notice. The identity number is masked and
 * given a keyed hash here: the raw number never reaches workflow history or the database.
 */
export async function fileObjection(deps: AppDeps, caseId: string, input: z.infer<typeof objectionSchema>, { requestId, updateId }: RequestIds) {
  const noticeId = await targetWorkflow(deps, await caseUnderNotice(deps, caseId), 'notice');
  const filer = {
    name: input.name,
    idMasked: `${input.idNumber.slice(0, 6)}********${input.idNumber.slice(14)}`,
    idHash: keyedHash(deps.piiHashKey, input.idNumber),
    contact: input.contact,
  };
  const view = await deps.temporal.workflow.getHandle(noticeId).executeUpdate(fileObjectionUpdate, { args: [{ filer, text: input.text, requestId }], updateId });
  return { status: 'received', noticeEndsAt: view.endsAt };
}

/** What is under public notice now, awards and stations, for anyone to read. */
export async function listNotices(deps: AppDeps) {
  const [apps, stations] = await Promise.all([
    deps.prisma.application.findMany({
      where: { stage: 'public_notice' },
      orderBy: { updatedAt: 'desc' },
      take: 200,
      select: { id: true, title: true, unitName: true, field: true, tier: true, awardFen: true, programme: { select: { title: true } } },
    }),
    deps.prisma.station.findMany({
      where: { stage: 'public_notice' },
      orderBy: { updatedAt: 'desc' },
      take: 200,
      select: { id: true, name: true, hostName: true, type: true, field: true, programme: { select: { title: true } } },
    }),
  ]);
  return {
    items: [
      ...apps.map((r) => ({ kind: 'award', ...r, programme: r.programme.title })),
      ...stations.map((r) => ({ kind: 'station', id: r.id, title: r.name, unitName: r.hostName, type: r.type, field: r.field, programme: r.programme.title })),
    ],
  };
}
