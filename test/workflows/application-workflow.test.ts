import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { applicationViewQuery, submitUpdate, withdrawUpdate } from '../../shared';
import type { ApplicationWorkflowInput } from '../../shared';
import type { applicationWorkflow } from '../../workflows';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { DAY } from '../helpers/fixtures';
import { seedApplication } from '../helpers/seed';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let worker: Awaited<ReturnType<typeof startWorker>>;

beforeAll(async () => {
  env = await startTimeSkippingServer();
  db = freshDatabase();
  worker = await startWorker(env.nativeConnection, db.prisma);
});

afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await db?.close();
});

async function startCase(closesInDays: number) {
  const now = await env.currentTimeMs();
  const input = await seedApplication(db.prisma, {
    opensAt: new Date(now - DAY),
    closesAt: new Date(now + closesInDays * DAY),
  });
  const handle = await env.client.workflow.start<typeof applicationWorkflow>('applicationWorkflow', {
    workflowId: input.applicationId,
    taskQueue: worker.taskQueue,
    args: [input],
  });
  return { input, handle };
}

const applicantOf = (input: ApplicationWorkflowInput) => ({ id: input.applicantId, role: 'applicant' as const });

it('waits weeks for the call to close, then moves a submitted application to formal review', async () => {
  const { input, handle } = await startCase(21);
  const submitted = await handle.executeUpdate(submitUpdate, { args: [{ actor: applicantOf(input), requestId: 'req-1' }] });
  expect(submitted.stage).toBe('submitted');

  await env.sleep('20 days');
  expect((await handle.query(applicationViewQuery)).stage).toBe('submitted');
  await env.sleep('2 days');
  const view = await handle.query(applicationViewQuery);
  expect(view.stage).toBe('formal_review');
  expect(view.next.waitingOn).toBe('officer');

  const row = await db.prisma.application.findUniqueOrThrow({ where: { id: input.applicationId } });
  expect(row.stage).toBe('formal_review');
  const history = await db.prisma.stageHistory.findMany({ where: { applicationId: input.applicationId }, orderBy: { seq: 'asc' } });
  expect(history.map((h) => h.stage)).toEqual(['submitted', 'formal_review']);
  // The review started when the call closed, three weeks of workflow time after submission.
  expect(history[1]!.enteredAt.getTime() - history[0]!.enteredAt.getTime()).toBeGreaterThanOrEqual(20 * DAY);
  const audit = await db.prisma.auditEntry.findMany({ where: { targetId: input.applicationId }, orderBy: { id: 'asc' } });
  expect(audit.map((a) => [a.action, a.actorRole])).toEqual([
    ['application.submitted', 'applicant'],
    ['application.formal_review', 'system'],
  ]);
});

it('rejects an update from someone other than the applicant before it enters history', async () => {
  const { input, handle } = await startCase(10);
  const err = await handle
    .executeUpdate(submitUpdate, { args: [{ actor: { id: 'someone-else', role: 'applicant' } }] })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('NotYourCase');

  const history = await handle.fetchHistory();
  const updateEvents = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(updateEvents).toHaveLength(0);
  expect((await handle.query(applicationViewQuery)).stage).toBe('draft');
  expect(await db.prisma.stageHistory.count({ where: { applicationId: input.applicationId } })).toBe(0);
});

it('refuses a submission before the call opens, in the validator', async () => {
  const now = await env.currentTimeMs();
  const input = await seedApplication(db.prisma, { opensAt: new Date(now + 5 * DAY), closesAt: new Date(now + 30 * DAY) });
  const handle = await env.client.workflow.start<typeof applicationWorkflow>('applicationWorkflow', {
    workflowId: input.applicationId,
    taskQueue: worker.taskQueue,
    args: [input],
  });
  const err = await handle.executeUpdate(submitUpdate, { args: [{ actor: applicantOf(input) }] }).catch((e: unknown) => e);
  expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('CallNotOpen');
});

it('ends an unsubmitted case when its call closes', async () => {
  const { input, handle } = await startCase(7);
  await env.sleep('8 days');
  const result = await handle.result();
  expect(result.stage).toBe('draft');
  await expect(handle.executeUpdate(submitUpdate, { args: [{ actor: applicantOf(input) }] })).rejects.toThrow();
  expect(await db.prisma.stageHistory.count({ where: { applicationId: input.applicationId } })).toBe(0);
});

it('lets the applicant withdraw before the call closes; no formal review follows', async () => {
  const { input, handle } = await startCase(14);
  await handle.executeUpdate(submitUpdate, { args: [{ actor: applicantOf(input) }] });
  await env.sleep('3 days');
  const view = await handle.executeUpdate(withdrawUpdate, { args: [{ actor: applicantOf(input), reason: 'Joined another programme' }] });
  expect(view.stage).toBe('withdrawn');
  const result = await handle.result();
  expect(result.history.map((h) => h.stage)).toEqual(['submitted', 'withdrawn']);
  const history = await db.prisma.stageHistory.findMany({ where: { applicationId: input.applicationId }, orderBy: { seq: 'asc' } });
  expect(history.map((h) => [h.stage, h.reason])).toEqual([
    ['submitted', null],
    ['withdrawn', 'Joined another programme'],
  ]);
});
