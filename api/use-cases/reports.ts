import { setImmediate as nextTurn } from 'node:timers/promises';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import { ledgerTotals } from '../../money/ledger';
import { APPLICATION_STAGES, DAY_MS, FINAL_STAGES, FINAL_STATION_STAGES, STATION_STAGES } from '../../shared';
import { type ExportFormat, exportRows } from '../http/file-response';
import { problems } from '../http/problem';
import { JsonText, toJson } from '../http/route';
import { type ReadStore, isoTime, readJson, readLong } from '../../infra/read-store';
import type { AppDeps } from '../deps';
import { listApplicationsQuery } from './applications';

const PAGE = 500;

/** Yields pages of PAGE rows, each fetched after the id of the last row of the one before. */
async function* pagesOf<K, T extends { id: K }>(fetch: (after?: K) => Promise<T[]>) {
  let after: K | undefined;
  for (;;) {
    const rows = await fetch(after);
    if (rows.length > 0) yield rows as unknown as Array<Record<string, unknown>>;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A programme's report: money (from the ledger), the pipeline by stage, totals per tier and per
 * year, what is overdue, and the time cases spend in each stage. The per-tier and per-year money
 * adds up to the ledger's totals exactly.
 */
export async function programmeReport(deps: ReportDeps, id: string, now = new Date()) {
  return reportAt(await gatherReport(deps, id), now);
}

type ReportDeps = Pick<AppDeps, 'prisma' | 'reads'>;
type ReportBase = Awaited<ReturnType<typeof gatherReport>>;
type MoneyRow = { committedFen: bigint; paidFen: bigint; returnedFen: bigint; clawedBackFen: bigint };

const MONEY_FIELD = { commit: 'committedFen', payment: 'paidFen', return: 'returnedFen', clawback: 'clawedBackFen' } as const;
const noMoney = (): MoneyRow => ({ committedFen: 0n, paidFen: 0n, returnedFen: 0n, clawedBackFen: 0n });
/** Stages a case stays in for good: no stay in them is counted, and nobody is waited on. */
const FINALS = [...FINAL_STAGES, ...FINAL_STATION_STAGES];
const FINAL_LIST = FINALS.map((s) => `'${s}'`).join(', ');
/** Time in stage is listed in the order a case goes through its stages. */
const STAGE_ORDER: readonly string[] = [...APPLICATION_STAGES, ...STATION_STAGES];
/** A programme's submitted cases, applications and stations: both bind the programme's id. */
const CASES_OF = (columns: { application: string; station: string }) =>
  `SELECT ${columns.application} FROM "Application" WHERE "programmeId" = ? AND "stage" <> 'draft'
   UNION ALL SELECT ${columns.station} FROM "Station" WHERE "programmeId" = ? AND "stage" <> 'draft'`;

/** A DateTime column as milliseconds since the epoch (a number), in this database's SQL. */
function epochMs(reads: ReadStore, column: string): string {
  return reads.dialect === 'sqlite'
    ? `CAST(ROUND((julianday(${column}) - 2440587.5) * 86400000) AS INTEGER)`
    : `CAST(EXTRACT(EPOCH FROM ${column}) * 1000 AS DOUBLE PRECISION)`;
}

type WaitingCase = { caseId: string; kind: string; title: string; stage: string; waitingOn: string; what: string | null; dueAt: string };

/** The programme's dated cases waiting on someone, soonest due first. */
async function waitingCases(reads: ReadStore, id: string): Promise<WaitingCase[]> {
  const waiting: WaitingCase[] = [];
  for await (const slice of reads.scan<Omit<WaitingCase, 'dueAt'> & { dueAt: unknown }>(
    `SELECT * FROM (${CASES_OF({
      application: `"id" AS "caseId", 'application' AS "kind", "title", "stage", "waitingOn", "nextAction" AS "what", "dueAt"`,
      station: `"id", 'station', "name", "stage", "waitingOn", "nextAction", "dueAt"`,
    })}) c
     WHERE "dueAt" IS NOT NULL AND "stage" NOT IN (${FINAL_LIST}) AND "waitingOn" IS NOT NULL AND "waitingOn" NOT IN ('nobody', 'system')
     ORDER BY "dueAt", "caseId"`,
    [id, id],
  )) {
    for (const c of slice) waiting.push({ ...c, dueAt: isoTime(c.dueAt)! });
  }
  return waiting;
}

/**
 * The stays in one stage: the closed ones' days, ascending, and their sum; the open ones'
 * beginnings, ascending (the report's moment ends them).
 */
interface StageStays {
  closedDays: Float64Array;
  closedSum: number;
  openSince: Float64Array;
}

/**
 * Each stay of the programme's cases in a stage (a stage entered, and when the case entered its
 * next one; none yet: still in it), gathered and sorted by the database per stage, closed and open
 * apart: a JSON array of milliseconds each (a closed stay's length, an open one's beginning), one
 * taken up a turn of the event loop. Half a million stays at 100,000 cases came a row each, and
 * handing them from SQLite's scan thread to the event loop cost more than the window that pairs
 * them; sorted here, all at once, they held the loop ~150-230 ms.
 */
async function staysIn(reads: ReadStore, id: string): Promise<Map<string, StageStays>> {
  const groups = await readLong<{ stage: string; open: number | boolean; ms: unknown }>(
    reads,
    `SELECT "stage", "leftMs" IS NULL AS "open", ${reads.json.sortedArrayOf('CASE WHEN "leftMs" IS NULL THEN "enteredMs" ELSE "leftMs" - "enteredMs" END')} AS "ms" FROM (
       SELECT "stage", ${epochMs(reads, '"enteredAt"')} AS "enteredMs", ${epochMs(reads, '"leftAt"')} AS "leftMs" FROM (
         SELECT h."stage" AS "stage", h."enteredAt" AS "enteredAt", LEAD(h."enteredAt") OVER (PARTITION BY h."caseId" ORDER BY h."seq") AS "leftAt"
         FROM "StageHistory" h WHERE h."caseId" IN (${CASES_OF({ application: '"id"', station: '"id"' })})
       ) t WHERE "stage" NOT IN (${FINAL_LIST})
     ) s GROUP BY "stage", "leftMs" IS NULL`,
    [id, id],
  );
  const none = new Float64Array(0);
  const stays = new Map<string, StageStays>();
  for (const g of groups) {
    await nextTurn();
    const ms = readJson<number[]>(g.ms) ?? [];
    const s = stays.get(g.stage) ?? stays.set(g.stage, { closedDays: none, closedSum: 0, openSince: none }).get(g.stage)!;
    // SQLite's 1 or PostgreSQL's true.
    if (Number(g.open) === 1) s.openSince = Float64Array.from(ms);
    else {
      s.closedDays = Float64Array.from(ms, (d) => d / DAY_MS);
      s.closedSum = s.closedDays.reduce((sum, d) => sum + d, 0);
    }
  }
  return stays;
}

/**
 * A stage's days at `now`: how many stays, their mean and their 90th percentile (the day count at
 * index floor(0.9 n) of all of them sorted), the open stays' days counted to `now`. The closed days
 * come sorted and the open ones sort by their beginnings, so the percentile is walked to, not
 * sorted for, each time the report is derived.
 */
function daysInStage(s: StageStays, now: number) {
  const n = s.closedDays.length + s.openSince.length;
  let sum = s.closedSum;
  for (const since of s.openSince) sum += (now - since) / DAY_MS;
  // The k-th smallest of the closed days and the open ones (the latest beginning is the fewest days).
  const k = Math.min(n - 1, Math.floor(0.9 * n));
  const closed = s.closedDays;
  const open = s.openSince;
  let i = 0;
  let j = open.length - 1;
  let kth = 0;
  for (let taken = 0; taken <= k; taken++) {
    const openDays = j >= 0 ? (now - open[j]!) / DAY_MS : Number.POSITIVE_INFINITY;
    if (i < closed.length && closed[i]! <= openDays) kth = closed[i++]!;
    else {
      kth = openDays;
      j--;
    }
  }
  return { cases: n, meanDays: round2(sum / n), p90Days: round2(kth) };
}

/**
 * What a programme's report is made of, read once for each change of the programme: everything
 * but what the clock moves, and, for that, the dated cases still waiting on someone (soonest
 * first) and each stay in a stage, closed (its days) or open (when it began).
 *
 * The database counts, sums and pairs each stage entered with the next (plain SQL through the read
 * store): through Prisma, every case of a 100,000-case programme and its stage history became
 * objects in the process, seconds of the event loop that serves the API, on every change. Every
 * read over the programme's cases is a long read (ReadStore.scan): on SQLite, whose reads hold the
 * thread that makes them, they held the event loop for 1.5 s of a 1.7 s report when read at once,
 * ~100-160 ms in slices, and ~20-35 ms on the scan thread (bench/README.md, the nineteenth session).
 */
async function gatherReport({ prisma, reads }: ReportDeps, id: string) {
  const programme = await prisma.programme.findUnique({ where: { id } });
  if (!programme) throw problems.notFound('programme');
  const [money, counts, byGroup, byYear, [waiting, stays]] = await Promise.all([
    ledgerTotals(prisma, id),
    readLong<{ kind: string; stage: string; grp: string | null; n: number | bigint }>(
      reads,
      `SELECT 'application' AS "kind", "stage", "tier" AS "grp", COUNT(*) AS "n" FROM "Application"
         WHERE "programmeId" = ? AND "stage" <> 'draft' GROUP BY "stage", "tier"
       UNION ALL
       SELECT 'station', "stage", "type", COUNT(*) FROM "Station"
         WHERE "programmeId" = ? AND "stage" <> 'draft' GROUP BY "stage", "type"`,
      [id, id],
    ),
    // The ledger's kept sums (LedgerSum: per case, kind and Shanghai year), never its entries; a
    // case counts under its tier (a station under its type), money on no case under 'none'.
    readLong<{ grp: string; kind: string; fen: string }>(
      reads,
      `SELECT COALESCE(a."tier", s."type", 'none') AS "grp", l."kind" AS "kind", CAST(SUM(l."amountFen") AS TEXT) AS "fen"
       FROM "LedgerSum" l
       LEFT JOIN "Application" a ON a."id" = l."caseId" AND a."stage" <> 'draft'
       LEFT JOIN "Station" s ON s."id" = l."caseId" AND s."stage" <> 'draft'
       WHERE l."programmeId" = ?
       GROUP BY COALESCE(a."tier", s."type", 'none'), l."kind"`,
      [id],
    ),
    readLong<{ year: number; kind: string; fen: string }>(
      reads,
      `SELECT "year", "kind", CAST(SUM("amountFen") AS TEXT) AS "fen" FROM "LedgerSum" WHERE "programmeId" = ? GROUP BY "year", "kind" ORDER BY "year"`,
      [id],
    ),
    // One after the other: on SQLite both share the one scan thread, which runs a read to its first
    // rows (the waiting list's sort, the stays' window and grouping) before it takes the next.
    (async () => [await waitingCases(reads, id), await staysIn(reads, id)] as const)(),
  ]);

  const pipeline: Record<string, number> = {};
  const perTier = new Map<string, { group: string; cases: number } & MoneyRow>();
  const tierRow = (group: string) => perTier.get(group) ?? perTier.set(group, { group, cases: 0, ...noMoney() }).get(group)!;
  for (const c of counts) {
    const n = Number(c.n);
    pipeline[c.stage] = (pipeline[c.stage] ?? 0) + n;
    if (c.kind === 'application' ? c.grp !== null : c.stage !== 'rejected' && c.stage !== 'withdrawn') tierRow(c.grp!).cases += n;
  }
  for (const row of byGroup) tierRow(row.grp)[MONEY_FIELD[row.kind as keyof typeof MONEY_FIELD]] += BigInt(row.fen);

  // Money per calendar year (Asia/Shanghai) of the movement.
  const perYear: Array<{ year: number } & MoneyRow> = [];
  for (const row of byYear) {
    const year = Number(row.year);
    if (perYear[perYear.length - 1]?.year !== year) perYear.push({ year, ...noMoney() });
    perYear[perYear.length - 1]![MONEY_FIELD[row.kind as keyof typeof MONEY_FIELD]] += BigInt(row.fen);
  }

  return {
    programme: { id: programme.id, code: programme.code, title: programme.title, kind: programme.kind },
    money,
    pipeline,
    perTier: [...perTier.values()].sort((a, b) => a.group.localeCompare(b.group)),
    perYear,
    waiting,
    stays,
  };
}

/** The report as of `now`: what is overdue then, and the days in each stage counted to it. */
function reportAt(base: ReportBase, now: Date) {
  const { programme, waiting, stays, ...figures } = base;
  const overdue: typeof waiting = [];
  const nowIso = now.toISOString();
  for (const c of waiting) {
    if (c.dueAt >= nowIso) break; // soonest due first (ISO 8601 in UTC sorts as time does)
    overdue.push(c);
  }
  const nowMs = now.getTime();
  const timeInStage = [...stays.entries()]
    .sort(([a], [b]) => STAGE_ORDER.indexOf(a) - STAGE_ORDER.indexOf(b))
    .map(([stage, s]) => ({ stage, ...daysInStage(s, nowMs) }));
  return {
    programme,
    /** The moment the report describes: overdue items and days in stage are counted to it. */
    asOf: now.toISOString(),
    ...figures,
    overdue,
    timeInStage,
  };
}

export const DEFAULT_REPORT_MAX_AGE_MS = 30_000;

/**
 * Programme reports as served. What a report is made of is read from the database once for each
 * change of its programme: a newer ledger entry, case row (its updatedAt) or configuration, asked
 * with one query on indexes each request. Between changes the report is kept as its JSON, and
 * once it is `maxAgeMs` old it is derived again from what was read (what is overdue, days in
 * stage: what the clock alone moves), which costs no query; it says when it was taken (`asOf`).
 * Requests that find a report being made wait for it. Over 1,000,000 ledger entries a report took
 * 2.4 s to compute and could not be served twice a second (bench/README.md).
 */
export class ReportCache {
  private readonly kept = new Map<string, { stamp: string; base: Promise<ReportBase>; at: number; body: Promise<JsonText> }>();

  constructor(
    readonly maxAgeMs = DEFAULT_REPORT_MAX_AGE_MS,
    private readonly capacity = 64,
  ) {}

  async get(deps: Pick<AppDeps, 'prisma' | 'reads'>, id: string): Promise<JsonText> {
    const stamp = await changeStamp(deps.reads, id);
    if (stamp === null) throw problems.notFound('programme');
    const now = Date.now();
    const kept = this.kept.get(id);
    const serve = (base: Promise<ReportBase>) => base.then((b) => new JsonText(toJson(reportAt(b, new Date(now)))));
    if (kept && kept.stamp === stamp) {
      if (now - kept.at >= this.maxAgeMs) Object.assign(kept, { at: now, body: serve(kept.base) });
      return kept.body;
    }
    const base = gatherReport(deps, id);
    const entry = { stamp, base, at: now, body: serve(base) };
    this.kept.delete(id); // re-inserted last: the map's order is the order reports were read in
    this.kept.set(id, entry);
    if (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!);
    base.catch(() => {
      if (this.kept.get(id) === entry) this.kept.delete(id);
    });
    return entry.body;
  }
}

/** What a programme's report reads, as of now, in one row; null when there is no such programme. */
async function changeStamp(reads: ReadStore, id: string): Promise<string | null> {
  const [row] = await reads.all<Record<string, unknown>>(
    `SELECT p."configVersion" AS "v", p."budgetFen" AS "b",
       (SELECT MAX(l."id") FROM "LedgerEntry" l WHERE l."programmeId" = p."id") AS "l",
       (SELECT MAX(a."updatedAt") FROM "Application" a WHERE a."programmeId" = p."id") AS "a",
       (SELECT MAX(s."updatedAt") FROM "Station" s WHERE s."programmeId" = p."id") AS "s"
     FROM "Programme" p WHERE p."id" = ?`,
    [id],
  );
  return row ? Object.values(row).map((v) => (v instanceof Date ? v.toISOString() : String(v))).join('|') : null;
}

export const exportQuery = z.strictObject({
  programmeId: z.uuid().optional(),
  stage: listApplicationsQuery.shape.stage,
  format: z.enum(['csv', 'xlsx']).default('csv'),
});

/** The applications list, every matching row, as CSV or XLSX (officers and finance). */
export function exportApplications(prisma: PrismaClient, q: z.infer<typeof exportQuery>) {
  const where: Prisma.ApplicationWhereInput = { programmeId: q.programmeId, stage: q.stage };
  const columns = [
    { key: 'id', header: 'Application' },
    { key: 'title', header: 'Title' },
    { key: 'unitName', header: 'Host unit' },
    { key: 'field', header: 'Field' },
    { key: 'stage', header: 'Stage' },
    { key: 'tier', header: 'Tier' },
    { key: 'requestedFen', header: 'Requested (fen)' },
    { key: 'awardFen', header: 'Award (fen)' },
    { key: 'waitingOn', header: 'Waiting on' },
    { key: 'dueAt', header: 'Due' },
    { key: 'submittedAt', header: 'Submitted' },
  ];
  const pages = pagesOf((after?: string) =>
    prisma.application.findMany({ where: { ...where, ...(after ? { id: { gt: after } } : {}) }, orderBy: { id: 'asc' }, take: PAGE }),
  );
  return exportRows(q.format as ExportFormat, 'applications', columns, pages);
}

/** A programme's ledger entries as CSV or XLSX. */
export function exportLedger(prisma: PrismaClient, programmeId: string, format: ExportFormat) {
  const columns = [
    { key: 'id', header: 'Entry' },
    { key: 'at', header: 'At' },
    { key: 'kind', header: 'Kind' },
    { key: 'caseId', header: 'Case' },
    { key: 'trancheCode', header: 'Tranche' },
    { key: 'amountFen', header: 'Amount (fen)' },
    { key: 'reason', header: 'Reason' },
  ];
  const pages = pagesOf((after?: number) =>
    prisma.ledgerEntry.findMany({ where: { programmeId, id: { gt: after ?? 0 } }, orderBy: { id: 'asc' }, take: PAGE }),
  );
  return exportRows(format, 'ledger', columns, pages);
}

/**
 * Any list as a file: pages through the list's own use case (so the filters are the same by
 * construction) until its cursor runs out.
 */
export function exportList<Q extends { limit: number; cursor?: unknown }>(
  format: ExportFormat,
  name: string,
  columns: Array<{ key: string; header: string }>,
  list: (q: Q) => Promise<{ items: Array<object>; nextCursor: string | null }>,
  query: Q,
) {
  async function* pages() {
    let cursor: string | null = null;
    do {
      const page: { items: Array<object>; nextCursor: string | null } = await list({ ...query, limit: 200, cursor: cursor ?? undefined });
      if (page.items.length) yield page.items as Array<Record<string, unknown>>;
      cursor = page.nextCursor;
    } while (cursor);
  }
  return exportRows(format, name, columns, pages());
}

/** The programme report as one table: a section column, then its rows. */
export async function exportReport(deps: ReportDeps, id: string, format: ExportFormat) {
  const r = await programmeReport(deps, id);
  const rows: Array<Record<string, unknown>> = [
    ...Object.entries(r.money).map(([k, v]) => ({ section: 'money', item: k, value: v })),
    ...Object.entries(r.pipeline).map(([stage, n]) => ({ section: 'pipeline', item: stage, value: n })),
    ...r.perTier.flatMap((t) => Object.entries(t).filter(([k]) => k !== 'group').map(([k, v]) => ({ section: `tier ${t.group}`, item: k, value: v }))),
    ...r.perYear.flatMap((y) => Object.entries(y).filter(([k]) => k !== 'year').map(([k, v]) => ({ section: `year ${y.year}`, item: k, value: v }))),
    ...r.timeInStage.map((s) => ({ section: 'days in stage (mean)', item: s.stage, value: s.meanDays })),
    ...r.overdue.map((o) => ({ section: 'overdue', item: `${o.title} (${o.caseId})`, value: o.dueAt })),
  ];
  async function* one() {
    yield rows;
  }
  return exportRows(format, 'report', [{ key: 'section', header: 'Section' }, { key: 'item', header: 'Item' }, { key: 'value', header: 'Value' }], one());
}
