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
  return { ...(await seedApplication(db.prisma, programme)), programme: { id: programme.programmeId } };
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

  it('files assignments, objections and milestones under their case’s programme, an application’s or a station’s', async () => {
    const { applicationId, programme } = await newCase();
    const host = await db.prisma.user.create({ data: { email: `host-${applicationId}@corp.cn`, displayName: 'Host', role: 'applicant' } });
    const station = await db.prisma.station.create({
      data: { programmeId: programme.id, hostId: host.id, hostName: 'Host Co.', type: 'academician_workstation', name: 'Workstation', field: 'advanced-manufacturing' },
    });
    const other = await newCase(); // another programme: its id must not leak into these rows
    expect(other.programme.id).not.toBe(programme.id);
    const { projectEvents } = createActivities({ prisma: db.prisma });
    const due = new Date(Date.UTC(2026, 11, 1)).toISOString();
    const events = (caseId: string): CaseEvent[] => [
      {
        type: 'assignment',
        caseId,
        id: `${caseId}:round:1:r1`,
        round: 1,
        rev: 1,
        assignment: { reviewerId: 'r1', status: 'assigned', dueAt: due, scores: null, total: null, recommendation: null, comment: null, submittedAt: null },
      },
      {
        type: 'objection',
        caseId,
        noticeId: `${caseId}:notice`,
        rev: 1,
        objection: { id: `${caseId}:o1`, filerName: 'Chen Wei', filedAt: due, text: 't', status: 'open', resolution: null, action: null },
        filer: { name: 'Chen Wei', idMasked: 'x', idHash: 'h', contact: 'c' },
        resolvedById: null,
      },
      { type: 'milestone', caseId, id: `${caseId}:midterm:1`, rev: 1, milestone: { code: 'midterm', attempt: 1, dueAt: due, status: 'awaiting_report', reportedAt: null, score: null }, reportSummary: null },
    ];
    await env().run(projectEvents, [...events(applicationId), ...events(station.id), ...events(other.applicationId)]);
    const where = { caseId: { in: [applicationId, station.id, other.applicationId] } };
    const select = { caseId: true, programmeId: true } as const;
    const expected = [
      { caseId: applicationId, programmeId: programme.id },
      { caseId: station.id, programmeId: programme.id },
      { caseId: other.applicationId, programmeId: other.programme.id },
    ];
    const byCase = (rows: Array<{ caseId: string }>) => [...rows].sort((a, b) => expected.findIndex((e) => e.caseId === a.caseId) - expected.findIndex((e) => e.caseId === b.caseId));
    expect(byCase(await db.prisma.reviewAssignment.findMany({ where, select }))).toEqual(expected);
    expect(byCase(await db.prisma.objection.findMany({ where, select }))).toEqual(expected);
    expect(byCase(await db.prisma.milestone.findMany({ where, select }))).toEqual(expected);

    // A later revision updates the row and keeps its programme.
    await env().run(projectEvents, [{ ...events(station.id)[2]!, rev: 2, milestone: { code: 'midterm', attempt: 1, dueAt: due, status: 'overdue', reportedAt: null, score: null } } as CaseEvent]);
    expect(await db.prisma.milestone.findUniqueOrThrow({ where: { id: `${station.id}:midterm:1` } })).toMatchObject({ status: 'overdue', programmeId: programme.id, rev: 2 });
  });

  it('refuses a row for a case the read model does not hold, writing nothing of the batch', async () => {
    const { applicationId } = await newCase();
    const { projectEvents } = createActivities({ prisma: db.prisma });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const milestone = (caseId: string): CaseEvent => ({
      type: 'milestone',
      caseId,
      id: `${caseId}:final:1`,
      rev: 1,
      milestone: { code: 'final', attempt: 1, dueAt: new Date().toISOString(), status: 'awaiting_report', reportedAt: null, score: null },
      reportSummary: null,
    });
    await expect(env().run(projectEvents, [milestone(applicationId), milestone(unknown)])).rejects.toThrow(/neither an application nor a station/);
    expect(await db.prisma.milestone.count({ where: { caseId: { in: [applicationId, unknown] } } })).toBe(0);
  });
});
