import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { verifyAuditChain } from '../../audit/chain';
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

  it('writes every kind of event as the read model reads it back: dates, JSON, money, and the audit chain intact', async () => {
    const { applicationId } = await newCase();
    const { projectEvents } = createActivities({ prisma: db.prisma });
    const at = '2026-11-03T04:05:06.789Z';
    const due = '2027-01-02T03:04:05.006Z';
    const officer = { id: 'officer-1', role: 'officer' as const };
    const before = await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } });
    const seat = (rev: number, status: 'assigned' | 'submitted'): CaseEvent => ({
      type: 'assignment',
      caseId: applicationId,
      id: `${applicationId}:round:1:r1`,
      round: 1,
      rev,
      assignment:
        status === 'submitted'
          ? { reviewerId: 'r1', status, dueAt: due, scores: { innovation: 8, team: 7 }, total: 75.5, recommendation: 'fund', comment: '可行', submittedAt: at }
          : { reviewerId: 'r1', status, dueAt: due, scores: null, total: null, recommendation: null, comment: null, submittedAt: null },
    });
    const batch: CaseEvent[] = [
      {
        type: 'stage',
        caseKind: 'application',
        caseId: applicationId,
        change: { seq: 1, from: 'draft', to: 'submitted', at, actor: officer, reason: 'on time', requestId: 'req-1', detail: { note: '氢能' }, next: { waitingOn: 'officer', what: 'formal review', dueAt: due } },
      },
      { type: 'facts', caseId: applicationId, configVersion: 3, award: { tier: 'A', amountFen: 800_000_000 } },
      seat(2, 'submitted'),
      { type: 'tranche', caseId: applicationId, rev: 1, tranche: { code: 'T1', amountFen: 480_000_000, after: 'signing', status: 'released', approvals: [{ by: 'f1', at }], paidAt: null } },
      { type: 'milestone', caseId: applicationId, id: `${applicationId}:midterm:1`, rev: 1, milestone: { code: 'midterm', attempt: 1, dueAt: due, status: 'awaiting_score', reportedAt: at, score: 61.5 }, reportSummary: '按计划' },
      { type: 'notify', key: `${applicationId}:n1`, caseId: applicationId, to: { userId: 'u-1' }, kind: 'stage', message: '已受理', dueAt: due },
      { type: 'audit', key: `${applicationId}:a1`, caseKind: 'application', caseId: applicationId, actor: officer, action: 'application.noted', detail: { fen: 5 }, reason: 'why' },
      { type: 'credit', caseId: applicationId, subjects: [{ kind: 'unit', name: 'Unit Co.' }, { kind: 'lead', name: 'Li Na', userId: 'u-1' }], consequence: 'barred_3y', reason: 'fraud', at },
    ];
    await env().run(projectEvents, batch);
    // An older revision arriving late changes nothing.
    await env().run(projectEvents, [seat(1, 'assigned')]);

    const app = await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } });
    expect(app).toMatchObject({ stage: 'submitted', stageSeq: 1, waitingOn: 'officer', nextAction: 'formal review', dueAt: new Date(due), submittedAt: new Date(at), workflowId: applicationId });
    expect(app).toMatchObject({ configVersion: 3, tier: 'A', awardFen: 800_000_000n });
    expect(app.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    expect(await db.prisma.stageHistory.findMany({ where: { caseId: applicationId }, omit: { id: true } })).toEqual([
      { caseId: applicationId, seq: 1, stage: 'submitted', enteredAt: new Date(at), actorId: 'officer-1', reason: 'on time', detail: { note: '氢能' } },
    ]);
    expect(await db.prisma.reviewAssignment.findUniqueOrThrow({ where: { id: `${applicationId}:round:1:r1` } })).toMatchObject({
      status: 'submitted',
      rev: 2,
      dueAt: new Date(due),
      scores: { innovation: 8, team: 7 },
      total: 75.5,
      recommendation: 'fund',
      comment: '可行',
      submittedAt: new Date(at),
    });
    expect(await db.prisma.tranche.findUniqueOrThrow({ where: { id: `${applicationId}:T1` } })).toMatchObject({ amountFen: 480_000_000n, status: 'released', approvals: [{ by: 'f1', at }], paidAt: null });
    expect(await db.prisma.milestone.findUniqueOrThrow({ where: { id: `${applicationId}:midterm:1` } })).toMatchObject({ status: 'awaiting_score', score: 61.5, reportSummary: '按计划', reportedAt: new Date(at), dueAt: new Date(due) });
    const note = await db.prisma.notification.findUniqueOrThrow({ where: { id: `${applicationId}:n1` } });
    expect(note).toMatchObject({ userId: 'u-1', role: null, kind: 'stage', message: '已受理', dueAt: new Date(due), dispatchedAt: null });
    expect(Math.abs(note.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await db.prisma.creditRecord.findMany({ where: { caseId: applicationId }, orderBy: { id: 'asc' }, select: { id: true, subjectUserId: true, at: true } })).toEqual([
      { id: `${applicationId}:lead:Li Na`, subjectUserId: 'u-1', at: new Date(at) },
      { id: `${applicationId}:unit:Unit Co.`, subjectUserId: null, at: new Date(at) },
    ]);
    const audits = await db.prisma.auditEntry.findMany({ where: { targetId: applicationId }, orderBy: { seq: 'asc' } });
    expect(audits.map((a) => [a.action, a.at.toISOString() === at, a.before, a.after])).toEqual([
      ['application.submitted', true, { stage: 'draft' }, { stage: 'submitted', note: '氢能' }],
      ['application.noted', false, null, { fen: 5 }],
    ]);
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ intact: true });

    // A view is not a change of the case's data: its updatedAt stays.
    const view: CaseEvent = { type: 'view', caseKind: 'application', caseId: applicationId, token: 'run-1:7', json: '{"stage":"submitted"}' };
    await env().run(projectEvents, [view]);
    expect(await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } })).toMatchObject({ viewToken: 'run-1:7', viewJson: '{"stage":"submitted"}', updatedAt: app.updatedAt });
    // A token without its view (older workflow code) leaves no stale view under it.
    const tokenOnly: CaseEvent = { type: 'view', caseKind: 'application', caseId: applicationId, token: 'run-1:8' };
    await env().run(projectEvents, [tokenOnly]);
    expect(await db.prisma.application.findUniqueOrThrow({ where: { id: applicationId } })).toMatchObject({ viewToken: 'run-1:8', viewJson: null });
  });
});

