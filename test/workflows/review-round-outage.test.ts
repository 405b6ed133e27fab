// A review round whose worker is down through a reminder's window and the deadline, on the real
// Temporal dev server (the time-skipping server never delivers a workflow task late, and its worker
// cannot be stopped and started again mid-test). At a compressed time scale (here a day is a second;
// the demo's is a fifteenth of one) a short outage is enough.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DAY_MS, type ReviewRoundInput, reviewRoundViewQuery } from '../../shared';
import type { reviewRoundWorkflow } from '../../workflows';
import { type TestDatabase, freshDatabase } from '../helpers/db';
import { DAY } from '../helpers/fixtures';
import { seedApplication, seedProgramme, seedReviewers } from '../helpers/seed';
import { NativeConnection, devServerAddress, startWorker, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

jest.setTimeout(120_000);

/**
 * This path's history as it ran, kept like test/histories' (which the time-skipping server records),
 * to replay against later code. `PF_RECORD_HISTORIES=1` writes it when it is missing.
 */
const RECORDED = path.join(__dirname, '../histories/outage/review-round-missed-reminders.json');

let db: TestDatabase;
let native: NativeConnection;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  db = freshDatabase();
  native = await NativeConnection.connect({ address: devServerAddress() });
  connection = await Connection.connect({ address: devServerAddress() });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await native?.close();
  await db?.close();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('drops the reminders whose window passed while its worker was down, instead of waking again at once, over and over', async () => {
  const programme = await seedProgramme(db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });
  const application = await seedApplication(db.prisma, programme);
  await seedReviewers(db.prisma, 8);
  const taskQueue = uniqueTaskQueue();
  // A day is a second: the reminders come 11 and 13 s after the panel is drawn, the deadline at
  // 14 s, the silent reviewers' replacement a minute after that.
  const input: ReviewRoundInput = {
    caseKind: 'application',
    caseId: application.applicationId,
    round: 1,
    field: application.application.field,
    review: { ...programme.config.review, deadlineDays: 14, reminderDaysBefore: [3, 1], replaceSilentAfterDays: 60 },
    timeScale: DAY_MS / 1_000,
    exclude: [],
  };
  let worker: Awaited<ReturnType<typeof startWorker>> | null = await startWorker(native, db.prisma, taskQueue);
  const round = await client.workflow.start<typeof reviewRoundWorkflow>('reviewRoundWorkflow', {
    workflowId: `${application.applicationId}:review:1`,
    taskQueue,
    args: [input],
  });
  try {
    let dueAt = 0;
    while (!dueAt) {
      const panel = await round.query(reviewRoundViewQuery).catch(() => null);
      if (panel?.assignments.length === input.review.panelSize) dueAt = new Date(panel.assignments[0]!.dueAt).getTime();
      else await pause(50);
    }
    await worker.stop();
    worker = null;
    const reminderAt = dueAt - 3 * 1_000;
    expect(Date.now()).toBeLessThan(reminderAt); // the worker was down before the first reminder's moment
    await pause(dueAt - Date.now() + 500);
    worker = await startWorker(native, db.prisma, taskQueue);

    while (!(await round.query(reviewRoundViewQuery)).escalated) await pause(50);
    // It then waits for its next moment, the replacements a minute on: its history stops growing.
    // With the missed reminders still counted as due, it woke again at once, over and over (177 events
    // 30 s after the restart in one run, against 29 in all with the patch).
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
    // The path replays as it ran, the worker's restart included.
    const history = await round.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, round.workflowId);
    if (process.env.PF_RECORD_HISTORIES && !fs.existsSync(RECORDED)) {
      fs.mkdirSync(path.dirname(RECORDED), { recursive: true });
      fs.writeFileSync(RECORDED, JSON.stringify({ workflowId: round.workflowId, history }));
    }
  } finally {
    await round.terminate('test over').catch(() => undefined);
    await worker?.stop();
  }
});

it('replays the recorded run of that path: the patch stays while rounds may have taken it', async () => {
  const recorded = JSON.parse(fs.readFileSync(RECORDED, 'utf8'));
  const history = temporal.api.history.v1.History.fromObject(recorded.history);
  await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, recorded.workflowId);
});
