import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { withdrawUpdate } from '../../shared';
import { CaseDriver } from '../helpers/case-driver';
import type { TestDatabase } from '../helpers/db';

export const HISTORIES_DIR = `${__dirname}/../histories`;

type Scenario = (env: TestWorkflowEnvironment, taskQueue: string, db: TestDatabase) => Promise<string>;

/** The paths whose histories are recorded. Each returns the case's workflow id; its children are recorded too. */
export const scenarios: Record<string, Scenario> = {
  async 'fund-straight-to-close-out'(env, taskQueue, db) {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.toSignedAgreement();
    await c.approve('T1');
    await env.sleep('540 days');
    await c.milestone(75);
    await c.waitUntil('T2 released', (v) => v.tranches[1]!.status === 'released');
    await c.approve('T2');
    await env.sleep('540 days');
    await c.milestone(82);
    await c.decideFinal('pass');
    await c.waitFor('completed');
    return c.id;
  },
  async 'fund-withdrawn-in-review'(env, taskQueue, db) {
    const c = await (await new CaseDriver(env, db, taskQueue).programmeWith()).submitted();
    await c.closeCallAndAccept();
    await c.seatedPanel();
    await c.handle.executeUpdate(withdrawUpdate, { args: [{ actor: c.applicant, reason: 'recorded' }] });
    return c.id;
  },
};
