// Kill the worker with SIGKILL at random moments, and inside the money activities at their worst
// moments, while a whole talent-fund programme runs through the HTTP API; restart it each time.
// Every case must still end where its persona says, and the money must add up: no payment twice,
// none missing. Shared by the bounded test (npm test) and the long one (npm run test:chaos).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, type FundProgrammeResult, PERSONAS, type Persona, SCALE, expectedFinalStage, runFundProgramme } from '../../scripts/simulation/fund-programme';
import { reconcile } from '../../money/ledger';
import { SystemProcess } from '../helpers/processes';
import { type TestSystem, startSystem } from '../helpers/system';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { devServerAddress, workflowBundle } from '../helpers/temporal';

export interface WorkerKillOptions {
  personas: Persona[];
  /**
   * External SIGKILLs: `count` of them, each `between[0]`..`between[1]` ms after the worker came
   * up. A budget rather than a rate: on a slow machine a worker killed too often gets nothing done.
   */
  kills: { count: number; between: [number, number] };
  /** Chance of dying inside each money activity, before or after its work. */
  insideMoneyProbability: number;
  /** At most this many of those deaths in the run (none by default: as many as the chance makes). */
  insideMoneyBudget?: number;
  log?: (line: string) => void;
}

export interface WorkerKillReport {
  result: FundProgrammeResult;
  externalKills: number;
  insideKills: Array<{ activityType: string; moment: string; workflowId?: string }>;
  workerStarts: number;
  seconds: number;
}

const MONEY_ACTIVITIES = ['commitAward', 'payTranche', 'settleCase'];

/**
 * The demo's personas without the two whose fate is a missed deadline (a lapsed agreement, a
 * revision never made in time): a worker that is down must not decide a case. A worker killed again
 * and again can hold a case still for minutes (each death inside an activity waits out its 12 s
 * start-to-close), and at the demo's pace (a day in 1/15 s) even the longest deadline a programme
 * may set, 3650 days, is 4 minutes: a final report sent late because the worker was dead became a
 * no-show (its due date counts from signing, so a rectified mid-term had used most of its grace).
 * At a tenth of that pace a day is 2/3 s and 3650 days are 40 minutes, longer than the whole run
 * may take; the milestones come after weeks instead of years to keep the run short.
 */
export function patientConfig(config: Record<string, any>): void {
  const long = 3650;
  config.timeScale = SCALE / 10;
  config.formalReview = { revisionDays: long };
  config.review = { ...config.review, deadlineDays: long, replaceSilentAfterDays: long };
  config.agreement = { signDays: long };
  config.milestones = (config.milestones as Array<Record<string, unknown>>).map((m, i) => ({ ...m, monthsAfterSigning: 0.25 * (i + 1), graceDays: long }));
  config.limits = { maxExtensions: 1, rectificationMonths: 0.1 };
}

export const CHAOS_PERSONAS = PERSONAS.filter((p) => !p.neverSigns);

export async function runWorkerKills(opts: WorkerKillOptions): Promise<{ report: WorkerKillReport; sys: TestSystem }> {
  const log = opts.log ?? (() => undefined);
  const dir = fs.mkdtempSync(path.join(process.env.PF_TEST_DIR ?? os.tmpdir(), 'worker-kills-'));
  const killLog = path.join(dir, 'kills.jsonl');
  const sys = await startSystem({ inProcessWorker: false });
  const worker = new SystemProcess(
    'worker',
    'test/reliability/chaos-worker.ts',
    {
      DATABASE_URL: sys.db.url,
      TEMPORAL_ADDRESS: devServerAddress(),
      TEMPORAL_TASK_QUEUE: sys.taskQueue,
      WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
      LOG_LEVEL: 'info',
      NOTIFY_IDLE_MS: '500',
      PF_CHAOS_KILL_IN: MONEY_ACTIVITIES.join(','),
      PF_CHAOS_KILL_PROBABILITY: String(opts.insideMoneyProbability),
      PF_CHAOS_KILL_LOG: killLog,
      ...(opts.insideMoneyBudget === undefined ? {} : { PF_CHAOS_KILL_BUDGET: String(opts.insideMoneyBudget) }),
    },
    /"msg":"worker running"/,
    path.join(dir, 'worker.log'),
  );
  await worker.start();

  let done = false;
  let finish = () => undefined as void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let externalKills = 0;
  const started = Date.now();
  // The supervisor: restarts the worker whenever it is gone (killed by us, or by itself inside an
  // activity), and kills it at random moments.
  const supervisor = (async () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    while (!done) {
      if (!worker.running) {
        await worker.start();
        continue;
      }
      const [lo, hi] = opts.kills.between;
      const budgetLeft = externalKills < opts.kills.count;
      await Promise.race([budgetLeft ? pause(lo + Math.random() * (hi - lo)) : new Promise(() => undefined), worker.whenExited(), finished]);
      if (done) break;
      if (worker.running) {
        await worker.kill('SIGKILL');
        externalKills++;
        log(`  killed the worker (${externalKills} external kills)`);
      } else {
        log('  the worker died inside a money activity');
      }
      await pause(Math.random() * 1_000);
    }
  })();

  let result: FundProgrammeResult;
  try {
    result = await runFundProgramme(new Api(sys.baseUrl), sys.adminKey, {
      personas: opts.personas,
      configure: patientConfig,
      log,
      timeoutMs: 20 * 60_000,
      // Applying takes a while on a loaded machine; the call must not close on the applicants.
      callOpenMs: 20_000 + opts.personas.length * 1_000,
    });
  } catch (err) {
    done = true;
    finish();
    await supervisor.catch(() => undefined);
    // What Temporal holds for the workflows still running, read before the system stops: a run
    // that did not finish says whether a workflow was failing its tasks, waiting on an activity, or idle.
    const held = await openWorkflows(sys).catch((e) => [`(could not read them: ${(e as Error).message})`]);
    await worker.kill('SIGTERM');
    await sys.stop();
    (err as Error).message += `\nworkflows still running:\n${held.join('\n')}\nthe worker's warnings and errors, the last 30:\n${warnings(path.join(dir, 'worker.log'), 30).join('\n')}`;
    throw err;
  }
  done = true;
  finish();
  await supervisor.catch(() => undefined);
  await worker.kill('SIGTERM');
  const insideKills = fs.existsSync(killLog)
    ? fs.readFileSync(killLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];
  return {
    sys,
    report: { result, externalKills, insideKills, workerStarts: worker.starts, seconds: (Date.now() - started) / 1000 },
  };
}

/** What each case's money must be, from its persona alone, against what the ledger holds. */
export async function moneyDiscrepancies(sys: TestSystem, result: FundProgrammeResult): Promise<string[]> {
  const problems: string[] = [];
  const entries = await sys.db.prisma.ledgerEntry.findMany({ where: { programmeId: result.programmeId } });
  for (const c of result.cases) {
    const mine = entries.filter((e) => e.caseId === c.id);
    const of = (kind: string) => mine.filter((e) => e.kind === kind);
    const sum = (kind: string) => of(kind).reduce((s, e) => s + e.amountFen, 0n);
    const payments = of('payment').map((e) => e.trancheCode).sort();
    const stage = expectedFinalStage(c.persona);
    const funded = ['completed', 'closed_without_penalty', 'terminated', 'force_terminated'].includes(stage);
    // A forced termination lands when the officer's action gets through: T2 may have been paid
    // by then (a slow worker lets the mid-term check pass first); it is clawed back with T1.
    const forcedLate = stage === 'force_terminated' && payments.length === 2;
    const expected = {
      commits: funded ? 1 : 0,
      payments: stage === 'completed' || stage === 'closed_without_penalty' || forcedLate ? ['T1', 'T2'] : funded ? ['T1'] : [],
      clawbacks: stage === 'force_terminated' ? 1 : 0,
    };
    const actual = { commits: of('commit').length, payments, clawbacks: of('clawback').length };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`${c.persona.title} (${stage}): expected ${JSON.stringify(expected)}, ledger has ${JSON.stringify(actual)}`);
    }
    const committed = sum('commit');
    const settled = sum('payment') - sum('clawback') + sum('return');
    if (stage === 'force_terminated' && sum('clawback') !== sum('payment')) {
      problems.push(`${c.persona.title}: clawed back ${sum('clawback')} of ${sum('payment')} paid`);
    }
    if (funded && settled !== committed - sum('clawback')) {
      problems.push(`${c.persona.title}: paid ${sum('payment')} - clawed back ${sum('clawback')} + returned ${sum('return')} does not settle the commitment of ${committed}`);
    }
  }
  problems.push(...(await reconcile(sys.db.prisma, result.programmeId)));
  return problems;
}

/**
 * Every workflow the run started on its task queue (cases, their children, the dispatcher), replayed
 * from its history against the current code: how many, and the failures by workflow id. A history
 * that does not replay stops its case at the next replay; the run can finish without meeting one, so
 * it is checked.
 */
export async function replayEveryHistory(sys: TestSystem): Promise<{ replayed: number; failures: string[] }> {
  const failures: string[] = [];
  let replayed = 0;
  const histories = sys.client.workflow.list({ query: `TaskQueue = "${sys.taskQueue}"` }).intoHistories();
  for await (const { workflowId, history } of histories) {
    replayed += 1;
    try {
      await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId);
    } catch (err) {
      failures.push(`${workflowId}: ${(err as Error).message.slice(0, 300)}`);
    }
  }
  return { replayed, failures };
}

/**
 * Each workflow still running on the run's task queue, one line each: its id and type, its history's
 * length and last events, its failed workflow tasks (the last failure's message), and its pending
 * workflow task and activities with their attempts.
 */
export async function openWorkflows(sys: TestSystem): Promise<string[]> {
  const lines: string[] = [];
  for await (const wf of sys.client.workflow.list({ query: `TaskQueue = "${sys.taskQueue}" AND ExecutionStatus = "Running"` })) {
    const handle = sys.client.workflow.getHandle(wf.workflowId, wf.runId);
    const [described, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    const events = history.events ?? [];
    const failed = events.filter((e) => e.workflowTaskFailedEventAttributes);
    const lastFailure = failed.at(-1)?.workflowTaskFailedEventAttributes;
    const pendingTask = described.raw.pendingWorkflowTask;
    const activities = (described.raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 120)})` : ''}`,
    );
    const kinds = events.slice(-6).map((e) => `${e.eventId}:${enumName(temporal.api.enums.v1.EventType, e.eventType, 'EVENT_TYPE_')}`);
    lines.push(
      `  ${wf.workflowId} ${wf.type}: ${events.length} events, last ${kinds.join(' ')}` +
        (failed.length ? `; ${failed.length} failed workflow tasks, the last: ${enumName(temporal.api.enums.v1.WorkflowTaskFailedCause, lastFailure?.cause, 'WORKFLOW_TASK_FAILED_CAUSE_')} ${lastFailure?.failure?.message?.slice(0, 200) ?? ''}` : '') +
        (pendingTask ? `; workflow task pending, attempt ${pendingTask.attempt}` : '') +
        (activities.length ? `; activities pending: ${activities.join(', ')}` : ''),
    );
  }
  return lines;
}

/** A protobuf enum value by its name, without the enum's prefix (the history and describe give numbers). */
function enumName(values: Record<number, string>, value: number | null | undefined, prefix: string): string {
  return (values[value ?? 0] ?? String(value)).replace(prefix, '');
}

/** The last `n` warnings and errors in a worker's log (pino's levels 40 and up; the SDK's WARN and ERROR lines). */
function warnings(logFile: string, n: number): string[] {
  if (!fs.existsSync(logFile)) return ['(no worker log)'];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /"level":(40|50|60)|\b(WARN|ERROR)\b|[Nn]ondeterminism/.test(l))
    .slice(-n)
    .map((l) => `  ${l.slice(0, 400)}`);
}
