import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import {
  type Actor,
  APPLICATION_STAGES,
  type ApplicationStage,
  WITHDRAWABLE_STAGES,
  type ApplicationView,
  type ApplicationWorkflowInput,
  applicationViewQuery,
  submitUpdate,
  withdrawUpdate,
} from '../../shared';
import type { applicationWorkflow } from '../../workflows';
import type { AppDeps } from '../deps';
import { problems } from '../http/problem';
import { fen } from '../http/schemas';
import { writeAudit } from './audit';

export const newDraftSchema = z.strictObject({
  programmeId: z.uuid(),
  title: z.string().trim().min(1).max(300),
  summary: z.string().trim().max(20_000).default(''),
  field: z.string().trim().min(1).max(100),
  requestedFen: fen,
});
export const draftPatchSchema = newDraftSchema
  .omit({ programmeId: true })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'Send at least one field to change');
export const withdrawSchema = z.strictObject({ reason: z.string().trim().min(1).max(2_000) });
export const listApplicationsQuery = z.strictObject({
  programmeId: z.uuid().optional(),
  stage: z.enum(APPLICATION_STAGES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional(),
});

type ApplicationRow = Prisma.ApplicationGetPayload<object>;

function present(a: ApplicationRow) {
  return {
    id: a.id,
    programmeId: a.programmeId,
    applicantId: a.applicantId,
    title: a.title,
    summary: a.summary,
    field: a.field,
    requestedFen: a.requestedFen,
    stage: a.stage,
    submittedAt: a.submittedAt,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/** Applicants see only their own cases; to them another's case does not exist. */
async function loadVisible(deps: AppDeps, actor: Actor, id: string): Promise<ApplicationRow> {
  const app = await deps.prisma.application.findUnique({ where: { id } });
  if (!app || (actor.role === 'applicant' && app.applicantId !== actor.id)) throw problems.notFound('application');
  return app;
}

export async function createDraft(deps: AppDeps, actor: Actor, input: z.infer<typeof newDraftSchema>, requestId: string) {
  const programme = await deps.prisma.programme.findUnique({ where: { id: input.programmeId } });
  if (!programme) throw problems.notFound('programme');
  const app = await deps.prisma.$transaction(async (tx) => {
    const a = await tx.application.create({ data: { ...input, applicantId: actor.id } });
    await writeAudit(tx, { actor, action: 'application.draft', targetType: 'application', targetId: a.id, after: present(a), requestId });
    return a;
  });
  return present(app);
}

export async function updateDraft(
  deps: AppDeps,
  actor: Actor,
  id: string,
  patch: z.infer<typeof draftPatchSchema>,
  requestId: string,
) {
  const before = await loadVisible(deps, actor, id);
  if (before.applicantId !== actor.id) throw problems.notFound('application');
  const updated = await deps.prisma.$transaction(async (tx) => {
    // The stage condition makes the edit lose cleanly against a submission that lands first.
    const { count } = await tx.application.updateMany({ where: { id, stage: 'draft' }, data: patch });
    if (count === 0) {
      throw problems.business('WrongStage', 'Only a draft can be edited');
    }
    const after = await tx.application.findUniqueOrThrow({ where: { id } });
    await writeAudit(tx, { actor, action: 'application.edit', targetType: 'application', targetId: id, before: present(before), after: present(after), requestId });
    return after;
  });
  return present(updated);
}

/**
 * Submits a draft: starts its workflow (workflow id = application id) and submits in one
 * update-with-start, so the caller gets the new stage back. Repeating it cannot start a second case.
 */
export async function submit(deps: AppDeps, actor: Actor, id: string, requestId: string): Promise<ApplicationView> {
  const app = await loadVisible(deps, actor, id);
  if (app.applicantId !== actor.id) throw problems.notFound('application');
  if (app.stage !== 'draft') {
    throw problems.business('WrongStage', `The application is already ${app.stage}`);
  }
  const programme = await deps.prisma.programme.findUniqueOrThrow({ where: { id: app.programmeId } });
  // Checked here too, so that a refused submission starts no workflow; the workflow's validator
  // decides for a submission that races the deadline.
  const now = new Date();
  if (now < programme.opensAt || now >= programme.closesAt) {
    const when = now < programme.opensAt ? `opens at ${programme.opensAt.toISOString()}` : `closed at ${programme.closesAt.toISOString()}`;
    throw problems.business('CallNotOpen', `The call ${when}`);
  }
  const input: ApplicationWorkflowInput = {
    applicationId: app.id,
    applicantId: app.applicantId,
    programme: {
      id: programme.id,
      configVersion: programme.configVersion,
      opensAt: programme.opensAt.toISOString(),
      closesAt: programme.closesAt.toISOString(),
    },
  };
  const start = new WithStartWorkflowOperation<typeof applicationWorkflow>('applicationWorkflow', {
    workflowId: app.id,
    taskQueue: deps.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return deps.temporal.workflow.executeUpdateWithStart(submitUpdate, {
    args: [{ actor, requestId }],
    startWorkflowOperation: start,
  });
}

export async function withdraw(deps: AppDeps, actor: Actor, id: string, reason: string, requestId: string) {
  const app = await loadVisible(deps, actor, id);
  if (!app.workflowId || !WITHDRAWABLE_STAGES.includes(app.stage as ApplicationStage)) {
    throw problems.business('WrongStage', `An application that is ${app.stage} cannot be withdrawn`);
  }
  return deps.temporal.workflow.getHandle(app.workflowId).executeUpdate(withdrawUpdate, { args: [{ actor, reason, requestId }] });
}

export async function getApplication(deps: AppDeps, actor: Actor, id: string) {
  const app = await loadVisible(deps, actor, id);
  const history = await deps.prisma.stageHistory.findMany({
    where: { applicationId: id },
    orderBy: { seq: 'asc' },
    select: { stage: true, enteredAt: true, reason: true },
  });
  let workflow: ApplicationView | null = null;
  if (app.workflowId) {
    try {
      workflow = await deps.temporal.workflow.getHandle(app.workflowId).query(applicationViewQuery);
    } catch (err) {
      // The read model still answers when Temporal does not; the caller sees `workflow: null`.
      deps.logger.warn({ err, applicationId: id }, 'workflow query failed');
    }
  }
  return { ...present(app), history, workflow };
}

export async function listApplications(deps: AppDeps, actor: Actor, q: z.infer<typeof listApplicationsQuery>) {
  const rows = await deps.prisma.application.findMany({
    where: {
      programmeId: q.programmeId,
      stage: q.stage,
      ...(actor.role === 'applicant' ? { applicantId: actor.id } : {}),
    },
    orderBy: { id: 'asc' },
    take: q.limit + 1,
    ...(q.cursor ? { cursor: { id: q.cursor }, skip: 1 } : {}),
  });
  const items = rows.slice(0, q.limit).map(present);
  return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
}
