import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import { ledgerTotals } from '../../money/ledger';
import { DAY_MS, FINAL_STAGES, FINAL_STATION_STAGES } from '../../shared';
import { type ExportFormat, exportRows } from '../http/file-response';
import { problems } from '../http/problem';
import { JsonText, toJson } from '../http/route';
import type { ReadStore } from '../../infra/read-store';
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

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A programme's report: money (from the ledger), the pipeline by stage, totals per tier and per
 * year, what is overdue, and the time cases spend in each stage. The per-tier and per-year money
 * adds up to the ledger's totals exactly.
 */
export async function programmeReport(prisma: PrismaClient, id: string, now = new Date()) {
  return reportAt(await gatherReport(prisma, id), now);
}

type ReportBase = Awaited<ReturnType<typeof gatherReport>>;

/**
 * What a programme's report is made of, read once for each change of the programme: everything
 * but what the clock moves, and, for that, the dated cases still waiting on someone (soonest
 * first) and each stay in a stage, closed (its days) or open (when it began).
 */
async function gatherReport(prisma: PrismaClient, id: string) {
  const programme = await prisma.programme.findUnique({ where: { id } });
  if (!programme) throw problems.notFound('programme');
  const byCaseWhere: Prisma.LedgerSumWhereInput = { programmeId: id };
  const [money, apps, stations, byCase, byYear] = await Promise.all([
    ledgerTotals(prisma, id),
    prisma.application.findMany({ where: { programmeId: id, stage: { not: 'draft' } }, select: { id: true, title: true, stage: true, tier: true, awardFen: true, waitingOn: true, nextAction: true, dueAt: true } }),
    prisma.station.findMany({ where: { programmeId: id, stage: { not: 'draft' } }, select: { id: true, name: true, stage: true, type: true, waitingOn: true, nextAction: true, dueAt: true } }),
    // The ledger's kept sums (LedgerSum: per case, kind and Shanghai year), never its entries.
    prisma.ledgerSum.groupBy({ by: ['caseId', 'kind'], where: byCaseWhere, _sum: { amountFen: true } }),
    prisma.ledgerSum.groupBy({ by: ['year', 'kind'], where: byCaseWhere, _sum: { amountFen: true }, orderBy: { year: 'asc' } }),
  ]);

  const pipeline: Record<string, number> = {};
  for (const c of [...apps, ...stations]) pipeline[c.stage] = (pipeline[c.stage] ?? 0) + 1;

  // Money per tier (stations count under their type), from the ledger's per-case sums.
  const groupOf = new Map<string, string>([...apps.map((a) => [a.id, a.tier ?? 'none'] as const), ...stations.map((s) => [s.id, s.type] as const)]);
  const perTier = new Map<string, { group: string; cases: number; committedFen: bigint; paidFen: bigint; returnedFen: bigint; clawedBackFen: bigint }>();
  const tierRow = (group: string) => perTier.get(group) ?? perTier.set(group, { group, cases: 0, committedFen: 0n, paidFen: 0n, returnedFen: 0n, clawedBackFen: 0n }).get(group)!;
  for (const a of apps) if (a.tier) tierRow(a.tier).cases++;
  for (const s of stations) if (s.stage !== 'rejected' && s.stage !== 'withdrawn') tierRow(s.type).cases++;
  const field = { commit: 'committedFen', payment: 'paidFen', return: 'returnedFen', clawback: 'clawedBackFen' } as const;
  for (const row of byCase) {
    const r = tierRow(groupOf.get(row.caseId) ?? 'none');
    r[field[row.kind as keyof typeof field]] += row._sum.amountFen ?? 0n;
  }

  // Money per calendar year (Asia/Shanghai) of the movement.
  const perYear: Array<{ year: number; committedFen: bigint; paidFen: bigint; returnedFen: bigint; clawedBackFen: bigint }> = [];
  for (const row of byYear) {
    if (perYear[perYear.length - 1]?.year !== row.year) perYear.push({ year: row.year, committedFen: 0n, paidFen: 0n, returnedFen: 0n, clawedBackFen: 0n });
    perYear[perYear.length - 1]![field[row.kind as keyof typeof field]] += row._sum.amountFen ?? 0n;
  }

  const finals = new Set<string>([...FINAL_STAGES, ...FINAL_STATION_STAGES]);
  const waiting = [...apps.map((a) => ({ ...a, kind: 'application', title: a.title })), ...stations.map((s) => ({ ...s, kind: 'station', title: s.name }))]
    .filter((c) => c.dueAt && !finals.has(c.stage) && c.waitingOn && c.waitingOn !== 'nobody' && c.waitingOn !== 'system')
    .map((c) => ({ caseId: c.id, kind: c.kind, title: c.title, stage: c.stage, waitingOn: c.waitingOn, what: c.nextAction, dueAt: c.dueAt! }))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());

  // Stays in each stage: from entering it to entering the next (or to the report's moment, for the
  // stage a case is in).
  const ids = [...groupOf.keys()];
  // In slices: an IN list with an order cannot be split by Prisma, and SQLite binds at most 999 values.
  const history: Array<{ caseId: string; stage: string; enteredAt: Date }> = [];
  for (let k = 0; k < ids.length; k += 500) {
    const slice = ids.slice(k, k + 500);
    history.push(...(await prisma.stageHistory.findMany({ where: { caseId: { in: slice } }, orderBy: [{ caseId: 'asc' }, { seq: 'asc' }], select: { caseId: true, stage: true, enteredAt: true } })));
  }
  const closedDays = new Map<string, number[]>();
  const openSince: Array<{ stage: string; since: number }> = [];
  for (let i = 0; i < history.length; i++) {
    const h = history[i]!;
    const next = history[i + 1];
    if (finals.has(h.stage)) continue;
    if (next && next.caseId === h.caseId) (closedDays.get(h.stage) ?? closedDays.set(h.stage, []).get(h.stage)!).push((next.enteredAt.getTime() - h.enteredAt.getTime()) / DAY_MS);
    else openSince.push({ stage: h.stage, since: h.enteredAt.getTime() });
  }

  return {
    programme: { id: programme.id, code: programme.code, title: programme.title, kind: programme.kind },
    money,
    pipeline,
    perTier: [...perTier.values()].sort((a, b) => a.group.localeCompare(b.group)),
    perYear,
    waiting,
    closedDays,
    openSince,
  };
}

/** The report as of `now`: what is overdue then, and the days in each stage counted to it. */
function reportAt(base: ReportBase, now: Date) {
  const { programme, waiting, closedDays, openSince, ...figures } = base;
  const overdue: typeof waiting = [];
  for (const c of waiting) {
    if (c.dueAt >= now) break; // soonest due first
    overdue.push(c);
  }
  const spans = new Map<string, number[]>([...closedDays].map(([stage, days]) => [stage, [...days]]));
  for (const o of openSince) (spans.get(o.stage) ?? spans.set(o.stage, []).get(o.stage)!).push((now.getTime() - o.since) / DAY_MS);
  const timeInStage = [...spans.entries()].map(([stage, days]) => {
    const sorted = [...days].sort((a, b) => a - b);
    return { stage, cases: days.length, meanDays: round2(days.reduce((s, d) => s + d, 0) / days.length), p90Days: round2(quantile(sorted, 0.9)) };
  });
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
    const base = gatherReport(deps.prisma, id);
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
export async function exportReport(prisma: PrismaClient, id: string, format: ExportFormat) {
  const r = await programmeReport(prisma, id);
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
