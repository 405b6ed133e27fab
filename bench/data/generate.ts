// Bulk data for benchmarks and tests at scale: people, programmes, applications at every stage with
// what they wait on, review assignments, tranches, milestones and ledger entries. Rows go straight
// into the read model in chunks of createMany (no workflows behind them): it measures and tests the
// read side at sizes no workflow run could reach in minutes. Deterministic for a given index, so a
// test can count what it expects.
import { randomUUID } from 'node:crypto';
import { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import { APPLICATION_STAGES, type ApplicationStage, FINAL_STAGES, type WaitingOn } from '../../shared';

const DAY = 24 * 60 * 60 * 1000;
export const FIELDS = ['new-energy', 'advanced-manufacturing', 'biomedicine', 'electronics'] as const;

/** Who a case waits on in each stage (what the workflow reports to the read model). */
const WAITING: Partial<Record<ApplicationStage, { on: WaitingOn; what: string }>> = {
  submitted: { on: 'system', what: 'The call closes' },
  formal_review: { on: 'officer', what: 'Formal review' },
  revision_requested: { on: 'applicant', what: 'Revise and resubmit' },
  expert_review: { on: 'reviewer', what: 'Expert review' },
  review_stalled: { on: 'officer', what: 'Restart or reject the stalled review' },
  defence: { on: 'officer', what: 'Record the defence and site visit' },
  committee: { on: 'officer', what: 'Record the committee decision' },
  public_notice: { on: 'public', what: 'Public notice' },
  agreement: { on: 'applicant', what: 'Sign the agreement' },
  in_progress: { on: 'applicant', what: 'Report on the milestone' },
  final_acceptance: { on: 'officer', what: 'Decide the final acceptance' },
};

type Value = string | number | bigint | Date | null | string[];

/** Dates as Prisma stores them in SQLite (ISO 8601 with an explicit offset), so they read back alike. */
function sqlValue(v: Value) {
  if (v instanceof Date) return v.toISOString().replace('Z', '+00:00');
  if (Array.isArray(v)) return JSON.stringify(v);
  return v;
}

/**
 * Inserts rows (all with the same columns) with multi-row INSERTs of bound values. Prisma's
 * createMany builds its statements row by row in JavaScript, which costs minutes at a million rows
 * on this machine; this takes seconds. Columns with database defaults may be left out.
 */
export async function insertRows(prisma: PrismaClient, table: string, rows: Array<Record<string, Value>>): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const per = Math.max(1, Math.floor(30_000 / columns.length));
  const head = Prisma.raw(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES `);
  await prisma.$transaction(async (tx) => {
    for (let k = 0; k < rows.length; k += per) {
      const values = rows.slice(k, k + per).map((r) => Prisma.sql`(${Prisma.join(columns.map((c) => sqlValue(r[c] ?? null)))})`);
      await tx.$executeRaw`${head}${Prisma.join(values)}`;
    }
  }, { timeout: 600_000 });
}

/** Every stage a submitted case can be in, open ones first. */
export const CASE_STAGES = APPLICATION_STAGES.filter((s) => s !== 'draft');

export interface GeneratedCase {
  stage: ApplicationStage;
  waitingOn: string;
  nextAction: string | null;
  dueAt: Date | null;
}

/**
 * `submitted-and-formal`: every fourth case in formal review (waiting on an officer, no due date),
 * the rest submitted — what test/api/scale-and-inbox.test.ts counts on.
 * `every-stage`: cases spread over every stage, with a due date where someone must act and the stage
 * history that led there.
 */
export type StageMix = 'submitted-and-formal' | 'every-stage';

export function caseAt(i: number, mix: StageMix, now = Date.now()): GeneratedCase {
  if (mix === 'submitted-and-formal') {
    return i % 4 === 0
      ? { stage: 'formal_review', waitingOn: 'officer', nextAction: null, dueAt: null }
      : { stage: 'submitted', waitingOn: 'system', nextAction: null, dueAt: null };
  }
  const stage = CASE_STAGES[i % CASE_STAGES.length]!;
  if (FINAL_STAGES.includes(stage)) return { stage, waitingOn: 'nobody', nextAction: null, dueAt: null };
  const w = WAITING[stage]!;
  const acts = w.on !== 'system' && w.on !== 'public';
  return { stage, waitingOn: w.on, nextAction: w.what, dueAt: acts ? new Date(now + ((i % 90) - 10) * DAY) : null };
}

/** The main road of a funded case, in order. */
const ROAD: readonly ApplicationStage[] = ['submitted', 'formal_review', 'expert_review', 'defence', 'committee', 'public_notice', 'agreement', 'in_progress', 'final_acceptance'];
/** Where a case leaves the road for each stage off it: the stage of the road it was in last. */
const LEFT_FROM: Partial<Record<ApplicationStage, ApplicationStage>> = {
  revision_requested: 'formal_review',
  withdrawn: 'formal_review',
  review_stalled: 'expert_review',
  rejected: 'committee',
  cancelled: 'agreement',
  completed: 'final_acceptance',
  closed_without_penalty: 'in_progress',
  terminated: 'in_progress',
  force_terminated: 'in_progress',
};

/** The stages a generated case went through to reach `stage`, in order, ending with it. */
export function stagePath(stage: ApplicationStage): ApplicationStage[] {
  const onRoad = ROAD.indexOf(stage);
  if (onRoad >= 0) return ROAD.slice(0, onRoad + 1);
  if (stage === 'lapsed') return [...stagePath('revision_requested'), 'lapsed'];
  return [...stagePath(LEFT_FROM[stage] ?? 'submitted'), stage];
}

/**
 * The stage history of generated case `i` (in `stage`): one stay of 5-40 days in each stage before
 * it, the last of them entered 1-30 days before `now`.
 */
export function stageHistoryAt(i: number, caseId: string, stage: ApplicationStage, now = Date.now()) {
  const path = stagePath(stage);
  let at = now - (1 + (i % 30)) * DAY;
  const rows = [];
  for (let k = path.length - 1; k >= 0; k--) {
    rows.push({ id: randomUUID(), caseId, seq: k + 1, stage: path[k]!, enteredAt: new Date(at) });
    at -= (5 + ((i * 7 + k * 13) % 36)) * DAY;
  }
  return rows.reverse();
}

export interface PeopleCounts {
  officers?: number;
  applicants?: number;
  reviewers?: number;
  finance?: number;
}

export interface People {
  officers: string[];
  applicants: string[];
  reviewers: string[];
  finance: string[];
}

/** Users of each role (without API keys: the API's own user creation hands those out). */
export async function seedPeople(prisma: PrismaClient, counts: PeopleCounts): Promise<People> {
  const tag = randomUUID().slice(0, 8);
  const make = async (role: string, n: number, extra: (i: number) => object = () => ({})) => {
    const rows = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), email: `${role}-${i}-${tag}@bench.cn`, displayName: `${role} ${i}`, role, ...extra(i) }));
    for (let k = 0; k < rows.length; k += 5_000) await prisma.user.createMany({ data: rows.slice(k, k + 5_000) });
    return rows.map((r) => r.id);
  };
  return {
    officers: await make('officer', counts.officers ?? 1),
    applicants: await make('applicant', counts.applicants ?? 1, (i) => ({ displayName: `Team Lead ${i}` })),
    reviewers: await make('reviewer', counts.reviewers ?? 0, (i) => ({ expertise: [FIELDS[i % FIELDS.length]] })),
    finance: await make('finance', counts.finance ?? 0),
  };
}

export interface GenerateApplicationsOptions {
  programmeId: string;
  /** Applicants the cases are spread over (round robin). */
  applicantIds: string[];
  count: number;
  mix?: StageMix;
  /** Reviewers to hold assignments for cases in expert review (five each); none when empty. */
  reviewerIds?: string[];
  chunk?: number;
  /** Called after each chunk with the number written so far. */
  progress?: (done: number) => void;
}

/**
 * `count` applications in a programme. Titles are `Project <i>`, one in 10,000 (i % 10,000 === 7)
 * `氢能 hydrogen <i>`; requested amounts `(i % 100) * 1,000,000` fen; created one second apart going back.
 * With `every-stage`, cases in expert review get five review assignments, and funded cases their
 * tranches and milestones, so registers and inboxes have something to show, and every case its
 * stage history (`stageHistoryAt`), so the report's time in stage has stays to count. Returns the ids.
 */
export async function generateApplications(prisma: PrismaClient, o: GenerateApplicationsOptions): Promise<string[]> {
  const mix = o.mix ?? 'submitted-and-formal';
  const chunk = o.chunk ?? 10_000;
  const now = Date.now();
  const ids: string[] = [];
  for (let start = 0; start < o.count; start += chunk) {
    const n = Math.min(chunk, o.count - start);
    const apps = [];
    const assignments = [];
    const tranches = [];
    const milestones = [];
    const history = [];
    for (let j = 0; j < n; j++) {
      const i = start + j;
      const id = randomUUID();
      const c = caseAt(i, mix, now);
      ids.push(id);
      apps.push({
        id,
        programmeId: o.programmeId,
        applicantId: o.applicantIds[i % o.applicantIds.length]!,
        title: i % 10_000 === 7 ? `氢能 hydrogen ${i}` : `Project ${i}`,
        summary: '',
        field: FIELDS[i % FIELDS.length]!,
        unitName: `Unit ${i % 997}`,
        requestedFen: BigInt((i % 100) * 1_000_000),
        stage: c.stage,
        waitingOn: c.waitingOn,
        nextAction: c.nextAction,
        dueAt: c.dueAt,
        submittedAt: new Date(now - i * 1_000),
        createdAt: new Date(now - i * 1_000),
        updatedAt: new Date(now),
      });
      if (mix !== 'every-stage') continue;
      history.push(...stageHistoryAt(i, id, c.stage, now));
      if (c.stage === 'expert_review' && o.reviewerIds?.length) {
        for (let r = 0; r < 5; r++) {
          const reviewerId = o.reviewerIds[(i + r) % o.reviewerIds.length]!;
          assignments.push({ id: `${id}:1:${reviewerId}`, caseId: id, programmeId: o.programmeId, round: 1, reviewerId, status: r < 2 ? 'submitted' : 'assigned', dueAt: c.dueAt ?? new Date(now + 14 * DAY), rev: 1 });
        }
      }
      if (c.stage === 'in_progress' || c.stage === 'final_acceptance' || c.stage === 'completed') {
        tranches.push({ id: `${id}:T1`, applicationId: id, code: 'T1', amountFen: 120_000_000n, status: 'paid', paidAt: new Date(now - 200 * DAY), rev: 1 });
        tranches.push({ id: `${id}:T2`, applicationId: id, code: 'T2', amountFen: 80_000_000n, status: c.stage === 'in_progress' ? 'withheld' : i % 3 === 0 ? 'released' : 'paid', rev: 1 });
        milestones.push({ id: `${id}:midterm:1`, caseId: id, programmeId: o.programmeId, code: 'midterm', attempt: 1, status: c.stage === 'in_progress' && i % 2 === 0 ? 'awaiting_report' : 'passed', dueAt: new Date(now + ((i % 60) - 20) * DAY), rev: 1 });
      }
    }
    await insertRows(prisma, 'Application', apps);
    await insertRows(prisma, 'ReviewAssignment', assignments);
    await insertRows(prisma, 'Tranche', tranches.map((t) => ({ paidAt: null, ...t })));
    await insertRows(prisma, 'Milestone', milestones);
    await insertRows(prisma, 'StageHistory', history);
    o.progress?.(start + n);
  }
  return ids;
}

/**
 * `count` ledger entries for a programme over the last five years: commitments of 2 million yuan,
 * each followed by payments of 60% and 40%, on `caseIds` round robin (or on no case). The
 * programme's running totals are set to match, so the ledger reconciles.
 */
export async function generateLedger(
  prisma: PrismaClient,
  o: { programmeId: string; count: number; caseIds?: string[]; chunk?: number; progress?: (done: number) => void },
): Promise<void> {
  const chunk = o.chunk ?? 50_000;
  const now = Date.now();
  const tag = randomUUID().slice(0, 8);
  let committed = 0n;
  let paid = 0n;
  for (let start = 0; start < o.count; start += chunk) {
    const n = Math.min(chunk, o.count - start);
    const rows = [];
    for (let j = 0; j < n; j++) {
      const i = start + j;
      const award = i - (i % 3);
      const kind = i % 3 === 0 ? 'commit' : 'payment';
      const amountFen = i % 3 === 0 ? 200_000_000n : i % 3 === 1 ? 120_000_000n : 80_000_000n;
      if (kind === 'commit') committed += amountFen;
      else paid += amountFen;
      rows.push({
        programmeId: o.programmeId,
        caseId: o.caseIds?.length ? o.caseIds[(award / 3) % o.caseIds.length]! : null,
        kind,
        amountFen,
        trancheCode: kind === 'payment' ? (i % 3 === 1 ? 'T1' : 'T2') : null,
        idempotencyKey: `bench:${tag}:${i}`,
        at: new Date(now - ((o.count - i) / o.count) * 5 * 365 * DAY),
      });
    }
    await insertRows(prisma, 'LedgerEntry', rows);
    o.progress?.(start + n);
  }
  // A budget that holds every commitment; the running totals as the ledger module keeps them.
  const programme = await prisma.programme.findUniqueOrThrow({ where: { id: o.programmeId }, select: { budgetFen: true, committedFen: true, paidFen: true } });
  const committedFen = programme.committedFen + committed;
  await prisma.programme.update({
    where: { id: o.programmeId },
    data: { committedFen, paidFen: programme.paidFen + paid, budgetFen: programme.budgetFen > committedFen ? programme.budgetFen : committedFen },
  });
}
