// Workflows whose worker is down through a reminder's moment and the deadline after it, on the real
// Temporal dev server (the time-skipping server never delivers a workflow task late, and its worker
// cannot be stopped and started again mid-test). At a compressed time scale (here a day is a second;
// the demo's is a fifteenth of one) a short outage is enough. Each path's history is kept in
// test/histories/outage (the time-skipping server that records test/histories cannot take it), to
// replay against later code; `PF_RECORD_HISTORIES=1` writes one that is missing.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DAY_MS, type MilestoneCheckInput, type ReviewRoundInput, milestoneCheckViewQuery, reviewRoundViewQuery } from '../../shared';
import type { milestoneCheckWorkflow, reviewRoundWorkflow } from '../../workflows';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { DAY } from '../helpers/fixtures';
import { type SeededProgramme, seedApplication, seedProgramme, seedReviewers } from '../helpers/seed';
import { NativeConnection, devServerAddress, startWorker, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { readRecordedHistory } from './history-scenarios';

jest.setTimeout(120_000);

const OUTAGE_HISTORIES = path.join(__dirname, '../histories/outage');
/** A day, at the tests' time scale. */
const SCALED_DAY_MS = 1_000;

let db: TestDatabase;
let native: NativeConnection;
let connection: Connection;
let client: Client;
let programme: SeededProgramme;
beforeAll(async () => {
  db = freshDatabase();
  native = await NativeConnection.connect({ address: devServerAddress() });
  connection = await Connection.connect({ address: devServerAddress() });
  client = new Client({ connection });
  programme = await seedProgramme(db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });
});
afterAll(async () => {
  await connection?.close();
  await native?.close();
  await db?.close();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a workflow with a worker of its own task queue, stops the worker once `ready` says the
 * workflow has set its timers, and starts another half a second after `until` (from the view).
 */
async function withWorkerDown<T>(
  start: (taskQueue: string) => Promise<WorkflowHandle>,
  ready: (handle: WorkflowHandle) => Promise<T | null>,
  until: (ready: T) => { firstMoment: number; back: number },
  then: (handle: WorkflowHandle) => Promise<void>,
): Promise<void> {
  const taskQueue = uniqueTaskQueue();
  let worker: Awaited<ReturnType<typeof startWorker>> | null = await startWorker(native, db.prisma, taskQueue);
  const handle = await start(taskQueue);
  try {
    let seen: T | null = null;
    while (!(seen = await ready(handle).catch(() => null))) await pause(50);
    await worker.stop();
    worker = null;
    const { firstMoment, back } = until(seen);
    expect(Date.now()).toBeLessThan(firstMoment); // the worker was down before the first reminder's moment
    await pause(back - Date.now() + 500);
    worker = await startWorker(native, db.prisma, taskQueue);
    await then(handle);
  } finally {
    await handle.terminate('test over').catch(() => undefined);
    await worker?.stop();
  }
}

/** Replays the run as it went, the worker's restart included, and keeps it if asked to. */
async function replayAndKeep(handle: WorkflowHandle, name: string): Promise<void> {
  const history = await handle.fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, handle.workflowId);
  const file = path.join(OUTAGE_HISTORIES, `${name}.json`);
  if (process.env.PF_RECORD_HISTORIES && !fs.existsSync(file)) {
    fs.mkdirSync(OUTAGE_HISTORIES, { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ workflowId: handle.workflowId, history }));
  }
}

it('review round: drops the reminders whose window passed while its worker was down, instead of waking again at once, over and over', async () => {
  const application = await seedApplication(db.prisma, programme);
  await seedReviewers(db.prisma, 8);
  // The reminders come 11 and 13 s after the panel is drawn, the deadline at 14 s, the silent
  // reviewers' replacement a minute after that.
  const input: ReviewRoundInput = {
    caseKind: 'application',
    caseId: application.applicationId,
    round: 1,
    field: application.application.field,
    review: { ...programme.config.review, deadlineDays: 14, reminderDaysBefore: [3, 1], replaceSilentAfterDays: 60 },
    timeScale: DAY_MS / SCALED_DAY_MS,
    exclude: [],
  };
  await withWorkerDown(
    (taskQueue) =>
      client.workflow.start<typeof reviewRoundWorkflow>('reviewRoundWorkflow', { workflowId: `${application.applicationId}:review:1`, taskQueue, args: [input] }),
    async (round) => {
      const panel = await round.query(reviewRoundViewQuery);
      return panel.assignments.length === input.review.panelSize ? new Date(panel.assignments[0]!.dueAt).getTime() : null;
    },
    (dueAt) => ({ firstMoment: dueAt - 3 * SCALED_DAY_MS, back: dueAt }),
    async (round) => {
      while (!(await round.query(reviewRoundViewQuery)).escalated) await pause(50);
      // It then waits for its next moment, the replacements a minute on: its history stops growing.
      // With the missed reminders still counted as due, it woke again at once, over and over (177
      // events 30 s after the restart in one run, against 29 in all with the patch).
      const events = async () => (await round.fetchHistory()).events!.length;
      const giveUpAt = Date.now() + 30_000;
      for (let last = -1, since = Date.now(); Date.now() - since < 2_000; await pause(200)) {
        const count = await events();
        if (count !== last) [last, since] = [count, Date.now()];
        if (Date.now() > giveUpAt) throw new Error(`the round's history is still growing 30 s after the restart: ${count} events`);
      }
      const notes = await db.prisma.notification.findMany({ where: { caseId: application.applicationId } });
      expect(notes.filter((n) => n.kind === 'review.reminder')).toHaveLength(0);
      expect(notes.filter((n) => n.kind === 'review.overdue')).not.toHaveLength(0);
      await replayAndKeep(round, 'review-round-missed-reminders');
    },
  );
});

it('milestone check: sends no "due in N days" reminder once the report is already due, only the overdue notice', async () => {
  const application = await seedApplication(db.prisma, programme);
  const dueAt = Date.now() + 14 * SCALED_DAY_MS;
  const input: MilestoneCheckInput = {
    caseKind: 'application',
    caseId: application.applicationId,
    reporterId: application.applicantId,
    milestone: { ...programme.config.milestones[0]!, reminderDaysBefore: [3, 1], graceDays: 60 },
    attempt: 1,
    dueAt: new Date(dueAt).toISOString(),
    timeScale: DAY_MS / SCALED_DAY_MS,
  };
  await withWorkerDown(
    (taskQueue) =>
      client.workflow.start<typeof milestoneCheckWorkflow>('milestoneCheckWorkflow', { workflowId: `${application.applicationId}:milestone:1`, taskQueue, args: [input] }),
    async (check) => ((await check.query(milestoneCheckViewQuery)).status === 'awaiting_report' ? true : null),
    () => ({ firstMoment: dueAt - 3 * SCALED_DAY_MS, back: dueAt }),
    async (check) => {
      while ((await check.query(milestoneCheckViewQuery)).status !== 'overdue') await pause(50);
      const notes = await db.prisma.notification.findMany({ where: { caseId: application.applicationId } });
      expect(notes.map((n) => n.id.slice(check.workflowId.length + 1)).sort()).toEqual(['due', 'overdue', 'escalated'].sort());
      await replayAndKeep(check, 'milestone-check-late-reminders');
    },
  );
});

it.each(fs.readdirSync(OUTAGE_HISTORIES).filter((f) => f.endsWith('.json')))(
  'replays the recorded run %s: its patch stays while running workflows may have taken it',
  async (file) => {
    const { workflowId, history } = readRecordedHistory(path.join(OUTAGE_HISTORIES, file));
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId);
  },
);
