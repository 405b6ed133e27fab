import { inTransaction } from '../../infra/transaction';
import { Conditions, type JsonSql, type ReadStore, isoTime, readJson } from '../../infra/read-store';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import {
  type Actor,
  APPLICATION_STAGES,
  type ApplicationSnapshot,
  type ApplicationView,
  type ApplicationWorkflowInput,
  applicationViewQuery,
  resubmitUpdate,
  submitUpdate,
} from '../../shared';
import type { ProgrammeConfig } from '../../shared/programme-config';
import type { applicationWorkflow } from '../../workflows';
import type { AppDeps, RequestIds, KeepAnswer } from '../deps';
import { problems } from '../http/problem';
import { JsonText } from '../http/route';
import { fen, isoDateTime, queryInt } from '../http/schemas';
import { writeAudit } from './audit';

const name = z.string().trim().min(1).max(200);

export const newDraftSchema = z.strictObject({
  programmeId: z.uuid(),
  title: z.string().trim().min(1).max(300),
  summary: z.string().trim().max(20_000).default(''),
  field: z.string().trim().min(1).max(100),
  requestedFen: fen,
  /** The host unit (enterprise) and the team members besides the lead. */
  unitName: z.string().trim().max(300).default(''),
  members: z.array(name).max(50).default([]),
});
export const draftPatchSchema = newDraftSchema
  .omit({ programmeId: true })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'Send at least one field to change');
const SORTS = ['createdAt', 'requestedFen', 'title'] as const;

export const listApplicationsQuery = z
  .strictObject({
    programmeId: z.uuid().optional(),
    stage: z.enum(APPLICATION_STAGES).optional(),
    applicantId: z.uuid().optional(),
    /** Cases a reviewer sits (or sat) on. */
    reviewerId: z.uuid().optional(),
    waitingOn: z.enum(['applicant', 'officer', 'reviewer', 'finance', 'public', 'system', 'nobody']).optional(),
    dueBefore: isoDateTime.optional(),
    dueAfter: isoDateTime.optional(),
    minFen: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
    maxFen: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
    /** Free text over titles, host units and team leads' names. */
    q: z.string().trim().min(1).max(100).optional(),
    sort: z.enum(SORTS).default('createdAt'),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: queryInt(1, 200).default(50),
    /** The nextCursor of the previous page. */
    cursor: z.string().max(500).optional(),
  })
  .refine((q) => q.minFen === undefined || q.maxFen === undefined || q.minFen <= q.maxFen, { path: ['minFen'], message: 'minFen cannot exceed maxFen' });

/** Stages in which the applicant may edit the application's content. */
const EDITABLE_STAGES = ['draft', 'revision_requested'];

type ApplicationRow = Prisma.ApplicationGetPayload<object>;

function present(a: ApplicationRow) {
  return {
    id: a.id,
    programmeId: a.programmeId,
    applicantId: a.applicantId,
    title: a.title,
    summary: a.summary,
    field: a.field,
    requestedFen: a.requestedFen,
    unitName: a.unitName,
    members: (a.members as string[] | null) ?? [],
    stage: a.stage,
    configVersion: a.configVersion,
    tier: a.tier,
    awardFen: a.awardFen,
    next: { waitingOn: a.waitingOn, what: a.nextAction, dueAt: a.dueAt },
    submittedAt: a.submittedAt,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/**
 * The case as this actor may see it, or 404: applicants see their own; reviewers the cases they sit
 * on without a conflict; officers, finance and administrators all.
 */
export async function loadVisible(deps: AppDeps, actor: Actor, id: string): Promise<ApplicationRow> {
  return visible(deps, actor, await deps.prisma.application.findUnique({ where: { id } }));
}

async function visible(deps: AppDeps, actor: Actor, app: ApplicationRow | null): Promise<ApplicationRow> {
  const hidden = () => problems.notFound('application');
  if (!app) throw hidden();
  if (actor.role === 'applicant' && app.applicantId !== actor.id) throw hidden();
  if (actor.role === 'reviewer') {
    const [seat] = await deps.reads.all(
      `SELECT 1 AS "seated" FROM "ReviewAssignment" WHERE "caseId" = ? AND "reviewerId" = ? AND "status" IN ('assigned', 'accepted', 'submitted') LIMIT 1`,
      [app.id, actor.id],
    );
    if (!seat) throw hidden();
  }
  return app;
}

/**
 * The row of an application its caller may see, read with plain SQL (infra/read-store.ts): times,
 * money and JSON as the database gives them. For reads and actions that need the row's ids and
 * stage, not its typed values.
 */
export async function readVisible(deps: AppDeps, actor: Actor, id: string): Promise<StoredApplication> {
  return (await visible(deps, actor, (await readApplication(deps, id)) as unknown as ApplicationRow | null)) as unknown as StoredApplication;
}

async function loadOwn(deps: AppDeps, actor: Actor, id: string): Promise<ApplicationRow> {
  const app = await loadVisible(deps, actor, id);
  if (app.applicantId !== actor.id) throw problems.notFound('application');
  return app;
}

/** An application as a submission reads it, with its programme's call and rules and its lead's name. */
interface SubmissionRow {
  id: string;
  programmeId: string;
  applicantId: string;
  stage: string;
  workflowId: string | null;
  title: string;
  field: string;
  requestedFen: unknown;
  summary: string;
  unitName: string;
  members: unknown;
  opensAt: unknown;
  closesAt: unknown;
  config: unknown;
  configVersion: number;
  leadName: string;
}

/**
 * The caller's own application for a submission or a resubmission, with what the workflow is given:
 * one plain-SQL statement through the read store, where Prisma model queries read the row, the
 * programme and the lead one by one (bench/README.md, seventeenth session). Another's is not found.
 */
async function readSubmission(deps: AppDeps, actor: Actor, id: string) {
  const [row] = await deps.reads.all<SubmissionRow>(
    `SELECT a."id", a."programmeId", a."applicantId", a."stage", a."workflowId", a."title", a."field", a."requestedFen", a."summary", a."unitName", a."members",
       p."opensAt", p."closesAt", p."config", p."configVersion", u."displayName" AS "leadName"
     FROM "Application" a JOIN "Programme" p ON p."id" = a."programmeId" JOIN "User" u ON u."id" = a."applicantId"
     WHERE a."id" = ?`,
    [id],
  );
  if (!row || row.applicantId !== actor.id) throw problems.notFound('application');
  const snapshot: ApplicationSnapshot = {
    title: row.title,
    field: row.field,
    requestedFen: Number(row.requestedFen),
    summaryLength: row.summary.length,
    unitName: row.unitName,
    leadName: row.leadName,
    members: readJson<string[]>(row.members) ?? [],
  };
  const programme: ApplicationWorkflowInput['programme'] = {
    id: row.programmeId,
    configVersion: row.configVersion,
    opensAt: isoTime(row.opensAt)!,
    closesAt: isoTime(row.closesAt)!,
    config: readJson<ProgrammeConfig>(row.config)!,
  };
  return { row, snapshot, programme };
}

export async function createDraft(deps: AppDeps, actor: Actor, input: z.infer<typeof newDraftSchema>, requestId: string, keep?: KeepAnswer) {
  const [programme] = await deps.reads.all<{ kind: string }>('SELECT "kind" FROM "Programme" WHERE "id" = ?', [input.programmeId]);
  if (!programme || programme.kind !== 'talent_fund') throw problems.notFound('fund programme');
  const app = await inTransaction(deps.prisma, async (tx) => {
    const a = await tx.application.create({ data: { ...input, applicantId: actor.id } });
    await writeAudit(tx, { actor, action: 'application.draft', targetType: 'application', targetId: a.id, after: present(a), requestId });
    await keep?.(tx, present(a));
    return a;
  });
  return present(app);
}

export async function updateDraft(deps: AppDeps, actor: Actor, id: string, patch: z.infer<typeof draftPatchSchema>, requestId: string) {
  const before = await loadOwn(deps, actor, id);
  const updated = await inTransaction(deps.prisma, async (tx) => {
    // The stage condition makes the edit lose cleanly against a submission that lands first.
    const { count } = await tx.application.updateMany({ where: { id, stage: { in: EDITABLE_STAGES } }, data: patch });
    if (count === 0) throw problems.business('WrongStage', 'Only a draft, or an application returned for revision, can be edited');
    const after = await tx.application.findUniqueOrThrow({ where: { id } });
    await writeAudit(tx, { actor, action: 'application.edit', targetType: 'application', targetId: id, before: present(before), after: present(after), requestId });
    return after;
  });
  return present(updated);
}

/**
 * Submits a draft: starts its workflow (workflow id = application id) and submits in one
 * update-with-start, so the caller gets the new stage back. Repeating it cannot start a second case.
 */
export async function submit(deps: AppDeps, actor: Actor, id: string, { requestId, updateId }: RequestIds): Promise<ApplicationView> {
  const { row: app, snapshot, programme } = await readSubmission(deps, actor, id);
  // A case past its draft goes to its workflow all the same: the retry of the submission that
  // started it (same update id) gets that submission's answer back; any other is refused there.
  if (app.stage !== 'draft' && !app.workflowId) throw problems.business('WrongStage', `The application is already ${app.stage}`);
  // Checked here too, so that a refused submission starts no workflow; the workflow's validator
  // decides for a submission that races the deadline.
  const now = new Date();
  const notYet = now < new Date(programme.opensAt);
  if (app.stage === 'draft' && (notYet || now >= new Date(programme.closesAt))) {
    throw problems.business('CallNotOpen', `The call ${notYet ? `opens at ${programme.opensAt}` : `closed at ${programme.closesAt}`}`);
  }
  const input: ApplicationWorkflowInput = { applicationId: app.id, applicantId: app.applicantId, programme, application: snapshot };
  const start = new WithStartWorkflowOperation<typeof applicationWorkflow>('applicationWorkflow', {
    workflowId: app.id,
    taskQueue: deps.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return deps.temporal.workflow.executeUpdateWithStart(submitUpdate, { args: [{ actor, requestId }], updateId, startWorkflowOperation: start });
}

/** Resubmits an application returned for revision, with its content as edited since. */
export async function resubmit(deps: AppDeps, actor: Actor, id: string, { requestId, updateId }: RequestIds): Promise<ApplicationView> {
  const { row: app, snapshot: application } = await readSubmission(deps, actor, id);
  if (app.stage !== 'revision_requested') throw problems.business('WrongStage', 'No revision has been requested');
  return deps.temporal.workflow.getHandle(id).executeUpdate(resubmitUpdate, { args: [{ actor, requestId, application }], updateId });
}

/** An application row read with plain SQL (infra/read-store.ts), as the database gives it. */
async function readApplication(deps: AppDeps, id: string): Promise<StoredApplication | null> {
  const [r] = await deps.reads.all<StoredApplication>('SELECT * FROM "Application" WHERE "id" = ?', [id]);
  return r ?? null;
}

/** A row of "Application" from the read store: times and JSON as the database gives them. */
export type StoredApplication = Record<string, unknown> & Pick<ApplicationRow, 'id' | 'programmeId' | 'applicantId' | 'workflowId' | 'viewToken' | 'viewJson'>;

/**
 * present() for a read-store row, as its JSON will be: money as numbers, times as ISO strings (no
 * Date objects: formatting four per case was most of the cost of serialising a page of 50).
 */
function presentStored(r: StoredApplication) {
  const a = present(r as unknown as ApplicationRow);
  return {
    ...a,
    requestedFen: Number(r.requestedFen),
    awardFen: r.awardFen === null || r.awardFen === undefined ? null : Number(r.awardFen),
    members: readJson<string[]>(r.members) ?? [],
    next: { ...a.next, dueAt: isoTime(r.dueAt) },
    submittedAt: isoTime(r.submittedAt),
    createdAt: isoTime(r.createdAt)!,
    updatedAt: isoTime(r.updatedAt)!,
  };
}

/**
 * One case as its reader may see it: the row, its stage history and its workflow's live view. The
 * row and history are plain SQL, and the view is the one kept for the row's view token: a read of a
 * case that has not moved asks neither Prisma nor Temporal (bench/README.md, "one case").
 */
export async function getApplication(deps: AppDeps, actor: Actor, id: string, requestId: string) {
  const app = await readVisible(deps, actor, id);
  // The record of a staff read is written while the case is read, not before: the answer waits
  // for both, so nothing is shown unless the read was recorded, but the latencies overlap.
  const [, history, workflow] = await Promise.all([
    deps.readRecorder.record(actor, 'application', id, requestId),
    deps.reads
      .all<{ stage: string; enteredAt: unknown; reason: string | null }>('SELECT "stage", "enteredAt", "reason" FROM "StageHistory" WHERE "caseId" = ? ORDER BY "seq"', [id])
      .then((rows) => rows.map((h) => ({ stage: h.stage, enteredAt: isoTime(h.enteredAt)!, reason: h.reason }))),
    (async (): Promise<ApplicationView | null> => {
      if (!app.workflowId) return null;
      try {
        return await deps.liveViews.get(app.workflowId, applicationViewQuery, app);
      } catch (err) {
        // The read model still answers when Temporal does not; the caller sees `workflow: null`.
        deps.logger.warn({ err, applicationId: id }, 'workflow query failed');
        return null;
      }
    })(),
  ]);
  return { ...presentStored(app as unknown as StoredApplication), history, workflow };
}

/** A keyset cursor: the sort value and the id of the last row of a page, opaque to callers. */
function encodeCursor(sort: string, row: StoredApplication): string {
  const v = row[sort];
  const value = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v;
  return Buffer.from(JSON.stringify([sort, value, row.id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: string): { value: Date | bigint | string; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== sort || typeof parsed[2] !== 'string') {
    throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor of this list and sort' }]);
  }
  const [, raw, id] = parsed as [string, string, string];
  return { value: sort === 'createdAt' ? new Date(raw) : sort === 'requestedFen' ? BigInt(raw) : raw, id };
}

/**
 * Applications from the read model with filters, free text, a sort and keyset pagination (stable
 * and fast at any depth). Applicants see only their own. Plain SQL through the read store: for a
 * page of 50, Prisma's findMany cost several times the query itself (bench/README.md). Columns and
 * sorts come from the schema and the validated query, values are bound.
 */
/** A slice held by more cases than this is common: the search reads the list in order instead. */
const COMMON_SLICE = 2_000;

/**
 * The two-character slice of `term` (ASCII letters lower-cased, as SearchGram keeps them) that the
 * fewest cases hold, or null when the term has no slice (one character) or every slice is common.
 * Each count stops at COMMON_SLICE + 1 rows of the index.
 */
async function rarestSlice(reads: ReadStore, term: string): Promise<string | null> {
  const chars = Array.from(term.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  const slices = [...new Set(chars.slice(0, -1).map((c, i) => c + chars[i + 1]))];
  let rarest: string | null = null;
  let fewest = COMMON_SLICE + 1;
  for (const slice of slices) {
    const [row] = await reads.all<{ n: unknown }>('SELECT COUNT(*) AS "n" FROM (SELECT 1 FROM "SearchGram" WHERE "gram" = ? LIMIT ?) s', [slice, COMMON_SLICE + 1]);
    const n = Number(row!.n);
    if (n < fewest) [rarest, fewest] = [slice, n];
    if (fewest <= 50) break; // few enough to read them all
  }
  return rarest;
}

export async function listApplications(deps: AppDeps, actor: Actor, q: z.infer<typeof listApplicationsQuery>) {
  const { reads } = deps;
  const where = new Conditions();
  const when = where.add.bind(where);
  if (q.programmeId) when('a."programmeId" = ?', q.programmeId);
  if (q.stage) when('a."stage" = ?', q.stage);
  const applicantId = actor.role === 'applicant' ? actor.id : q.applicantId;
  if (applicantId) when('a."applicantId" = ?', applicantId);
  if (q.waitingOn) when('a."waitingOn" = ?', q.waitingOn);
  if (q.dueBefore) when('a."dueAt" < ?', reads.date(new Date(q.dueBefore)));
  if (q.dueAfter) when('a."dueAt" >= ?', reads.date(new Date(q.dueAfter)));
  if (q.minFen !== undefined) when('a."requestedFen" >= ?', BigInt(q.minFen));
  if (q.maxFen !== undefined) when('a."requestedFen" <= ?', BigInt(q.maxFen));
  let from = '"Application" a';
  const fromParams: unknown[] = [];
  if (q.q) {
    // A substring, case-insensitive (SQLite's LIKE ignores the case of ASCII letters; Chinese has
    // none), with LIKE's own wildcards taken as plain characters.
    const like = reads.dialect === 'postgresql' ? 'ILIKE' : 'LIKE';
    const text = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    when(
      `(a."title" ${like} ? ESCAPE '\\' OR a."unitName" ${like} ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM "User" u WHERE u."id" = a."applicantId" AND u."displayName" ${like} ? ESCAPE '\\'))`,
      text,
      text,
      text,
    );
    // Where the term has a slice few cases hold, only those cases (and those whose applicant's name
    // holds the term) are read and checked; a term every slice of which is common is found soon
    // enough by reading the cases in the list's order.
    const start = await rarestSlice(reads, q.q);
    if (start !== null) {
      from =
        `(SELECT g."caseId" AS "id" FROM "SearchGram" g WHERE g."gram" = ? UNION SELECT b."id" FROM "Application" b ` +
        `WHERE b."applicantId" IN (SELECT u."id" FROM "User" u WHERE u."displayName" ${like} ? ESCAPE '\\')) c CROSS JOIN "Application" a`;
      fromParams.push(start, text);
      when('a."id" = c."id"');
    }
  }
  if (q.reviewerId) when('a."id" IN (SELECT r."caseId" FROM "ReviewAssignment" r WHERE r."reviewerId" = ?)', q.reviewerId);
  const sort = `a."${q.sort}"`;
  const [op, dir] = q.order === 'asc' ? ['>', 'ASC'] : ['<', 'DESC'];
  if (q.cursor) {
    const after = decodeCursor(q.cursor, q.sort);
    const value = after.value instanceof Date ? reads.date(after.value) : after.value;
    when(`(${sort} ${op} ? OR (${sort} = ? AND a."id" ${op} ?))`, value, value, after.id);
  }
  // Each row's JSON is written by the database (listedJson: present()'s shape); only the id and the
  // sort key come back as values, for the cursor.
  const rows = await reads.all<{ json: string; id: string } & StoredApplication>(
    `SELECT ${listedJson(reads.json)} AS "json", a."id", ${sort} FROM ${from}${where.clause} ORDER BY ${sort} ${dir}, a."id" ${dir} LIMIT ?`,
    [...fromParams, ...where.params, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  const nextCursor = rows.length > q.limit ? encodeCursor(q.sort, page[page.length - 1]!) : null;
  return new JsonText(`{"items":[${page.map((r) => r.json).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`);
}

const listedJsonBySql = new WeakMap<JsonSql, string>();

/** SQL for present()'s JSON of the application row `a`, money as numbers and times as ISO strings. */
function listedJson(json: JsonSql): string {
  let sql = listedJsonBySql.get(json);
  if (!sql) {
    const column = (c: string) => [c, `a."${c}"`] as const;
    sql = json.text(
      json.object([
        ...['id', 'programmeId', 'applicantId', 'title', 'summary', 'field', 'requestedFen', 'unitName'].map(column),
        ['members', json.value('a."members"', '[]')],
        ...['stage', 'configVersion', 'tier', 'awardFen'].map(column),
        ['next', json.object([column('waitingOn'), ['what', 'a."nextAction"'], ['dueAt', json.time('a."dueAt"')]])],
        ...['submittedAt', 'createdAt', 'updatedAt'].map((c) => [c, json.time(`a."${c}"`)] as const),
      ]),
    );
    listedJsonBySql.set(json, sql);
  }
  return sql;
}
