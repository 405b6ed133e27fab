import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { CaseEvent, StageChange } from '../../shared';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { DAY } from '../helpers/fixtures';
import { seedApplication, seedProgramme } from '../helpers/seed';

let db: TestDatabase;
beforeAll(() => {
  db = freshDatabase();
});
afterAll(() => db.close());

function stage(applicationId: string, seq: number, from: StageChange['from'], to: StageChange['to']): CaseEvent {
  return {
    type: 'stage',
    caseKind: 'application',
    caseId: applicationId,
    change: { seq, from, to, at: new Date(Date.UTC(2026, 10, seq)).toISOString(), actor: null, next: { waitingOn: 'officer', what: `after ${to}`, dueAt: null } },
  };
}

async function newCase() {
  const programme = await seedProgramme(db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });
  return seedApplication(db.prisma, programme);
}

const env = () => new MockActivityEnvironment();

describe('projectEvents', () => {
  it('writes a stage change, its history row and its audit entry once, however often it is retried', async () => {
    const { applicationId } = await newCase();
    const { projectEvents } = createActivities({ prisma: db.prisma });
    for (let attempt = 0; attempt < 3; attempt++) {
      await env().run(projectEvents, [stage(applicationId, 1, 'draft', 'submitted')]);
    }
    const app = await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } });
    expect(app).toMatchObject({ stage: 'submitted', stageSeq: 1, workflowId: applicationId, waitingOn: 'officer', nextAction: 'after submitted' });
    expect(await db.prisma.stageHistory.count({ where: { caseId: applicationId } })).toBe(1);
    expect(await db.prisma.auditEntry.count({ where: { targetId: applicationId } })).toBe(1);
  });

  it('never moves a case backwards when an older batch is replayed after a newer one', async () => {
    const { applicationId } = await newCase();
    const { projectEvents } = createActivities({ prisma: db.prisma });
    await env().run(projectEvents, [stage(applicationId, 1, 'draft', 'submitted'), stage(applicationId, 2, 'submitted', 'formal_review')]);
    await env().run(projectEvents, [stage(applicationId, 1, 'draft', 'submitted')]);
    const app = await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } });
    expect(app).toMatchObject({ stage: 'formal_review', stageSeq: 2 });
  });

  it('keeps the newest revision of a snapshot and writes notifications once', async () => {
    const { applicationId } = await newCase();
    const { projectEvents } = createActivities({ prisma: db.prisma });
    const tranche = (rev: number, status: 'released' | 'paid'): CaseEvent => ({
      type: 'tranche',
      caseId: applicationId,
      rev,
      tranche: { code: 'T1', amountFen: 480_000_000, after: 'signing', status, approvals: [], paidAt: null },
    });
    const notify: CaseEvent = { type: 'notify', key: `${applicationId}:paid:T1`, caseId: applicationId, to: { role: 'finance' }, kind: 'payment', message: 'm' };
    await env().run(projectEvents, [tranche(1, 'released'), tranche(2, 'paid'), notify]);
    await env().run(projectEvents, [tranche(1, 'released'), notify]);
    const t = await db.prisma.tranche.findUniqueOrThrow({ where: { id: `${applicationId}:T1` } });
    expect(t).toMatchObject({ status: 'paid', rev: 2, amountFen: 480_000_000n });
    expect(await db.prisma.notification.count({ where: { caseId: applicationId } })).toBe(1);
  });
});
