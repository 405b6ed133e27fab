import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { StageChange } from '../../shared';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { DAY } from '../helpers/fixtures';
import { seedApplication } from '../helpers/seed';

let db: TestDatabase;
beforeAll(() => {
  db = freshDatabase();
});
afterAll(() => db.close());

function change(seq: number, from: StageChange['from'], to: StageChange['to']): StageChange {
  return { seq, from, to, at: new Date(Date.UTC(2026, 10, seq)).toISOString(), actor: null };
}

async function newCase() {
  return seedApplication(db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });
}

function activityEnv(workflowId: string) {
  return new MockActivityEnvironment({
    workflowExecution: { workflowId, runId: 'run-1' },
  } as never);
}

describe('recordStageChange', () => {
  it('writes the stage, its history row and an audit entry once, however often it is retried', async () => {
    const { applicationId } = await newCase();
    const { recordStageChange } = createActivities({ prisma: db.prisma });
    const env = activityEnv(applicationId);
    for (let attempt = 0; attempt < 3; attempt++) {
      await env.run(recordStageChange, applicationId, change(1, 'draft', 'submitted'));
    }
    const app = await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } });
    expect(app).toMatchObject({ stage: 'submitted', stageSeq: 1, workflowId: applicationId });
    expect(app.submittedAt?.toISOString()).toBe(change(1, 'draft', 'submitted').at);
    expect(await db.prisma.stageHistory.count({ where: { applicationId } })).toBe(1);
    expect(await db.prisma.auditEntry.count({ where: { targetId: applicationId } })).toBe(1);
  });

  it('never moves a case backwards when an older change is replayed after a newer one', async () => {
    const { applicationId } = await newCase();
    const { recordStageChange } = createActivities({ prisma: db.prisma });
    const env = activityEnv(applicationId);
    await env.run(recordStageChange, applicationId, change(1, 'draft', 'submitted'));
    await env.run(recordStageChange, applicationId, change(2, 'submitted', 'formal_review'));
    await env.run(recordStageChange, applicationId, change(1, 'draft', 'submitted'));
    const app = await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } });
    expect(app).toMatchObject({ stage: 'formal_review', stageSeq: 2 });
    const history = await db.prisma.stageHistory.findMany({ where: { applicationId }, orderBy: { seq: 'asc' } });
    expect(history.map((h) => h.stage)).toEqual(['submitted', 'formal_review']);
  });
});
