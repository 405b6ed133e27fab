import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { submitUpdate, withdrawUpdate } from '../../shared';
import type { TestDatabase } from '../helpers/db';
import { DAY } from '../helpers/fixtures';
import { seedApplication } from '../helpers/seed';

export const HISTORIES_DIR = `${__dirname}/../histories`;

type Scenario = (env: TestWorkflowEnvironment, taskQueue: string, db: TestDatabase) => Promise<string>;

/** The paths whose histories are recorded: each drives one application case to its end or a resting stage. */
export const scenarios: Record<string, Scenario> = {
  async 'application-submitted-then-formal-review'(env, taskQueue, db) {
    const now = await env.currentTimeMs();
    const input = await seedApplication(db.prisma, { opensAt: new Date(now - DAY), closesAt: new Date(now + 21 * DAY) });
    const handle = await env.client.workflow.start('applicationWorkflow', { workflowId: input.applicationId, taskQueue, args: [input] });
    await handle.executeUpdate(submitUpdate, { args: [{ actor: { id: input.applicantId, role: 'applicant' } }] });
    await env.sleep('22 days');
    await handle.executeUpdate(withdrawUpdate, { args: [{ actor: { id: input.applicantId, role: 'applicant' }, reason: 'recorded' }] });
    await handle.result();
    return input.applicationId;
  },
  async 'application-never-submitted'(env, taskQueue, db) {
    const now = await env.currentTimeMs();
    const input = await seedApplication(db.prisma, { opensAt: new Date(now - DAY), closesAt: new Date(now + 7 * DAY) });
    const handle = await env.client.workflow.start('applicationWorkflow', { workflowId: input.applicationId, taskQueue, args: [input] });
    await handle.result();
    return input.applicationId;
  },
};

