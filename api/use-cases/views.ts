import type { Actor } from '../../shared';
import type { AppDeps } from '../deps';
import { isoTime } from '../../infra/read-store';
import { problems } from '../http/problem';
import { loadVisible } from './applications';

/** A reviewer's assignments and their due dates. */
export async function myAssignments(deps: AppDeps, actor: Actor) {
  const rows = await deps.prisma.reviewAssignment.findMany({ where: { reviewerId: actor.id }, orderBy: { dueAt: 'asc' } });
  // A case under review is an application or a station; either way, its title and field.
  const ids = [...new Set(rows.map((r) => r.caseId))];
  const [apps, stations] = await Promise.all([
    deps.prisma.application.findMany({ where: { id: { in: ids } }, select: { id: true, title: true, field: true } }),
    deps.prisma.station.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, field: true } }),
  ]);
  const subject = new Map<string, { kind: string; title: string; field: string }>([
    ...apps.map((a) => [a.id, { kind: 'application', title: a.title, field: a.field }] as const),
    ...stations.map((s) => [s.id, { kind: 'station', title: s.name, field: s.field }] as const),
  ]);
  return {
    items: rows.map((r) => ({
      caseId: r.caseId,
      caseKind: subject.get(r.caseId)?.kind ?? null,
      title: subject.get(r.caseId)?.title ?? null,
      field: subject.get(r.caseId)?.field ?? null,
      round: r.round,
      status: r.status,
      dueAt: r.dueAt,
      submittedAt: r.submittedAt,
    })),
  };
}

/**
 * The review panel of a case. Review is blind: a reviewer sees the others' scores only after
 * submitting their own; officers see everything.
 */
export async function caseReviews(deps: AppDeps, actor: Actor, applicationId: string) {
  await loadVisible(deps, actor, applicationId);
  const rows = await deps.prisma.reviewAssignment.findMany({ where: { caseId: applicationId }, orderBy: [{ round: 'asc' }, { id: 'asc' }] });
  const mine = rows.filter((r) => r.reviewerId === actor.id);
  const seeAll = actor.role !== 'reviewer' || mine.some((r) => r.status === 'submitted');
  return {
    items: rows
      .filter((r) => seeAll || r.reviewerId === actor.id)
      .map((r) => ({
        round: r.round,
        reviewerId: r.reviewerId,
        status: r.status,
        dueAt: r.dueAt,
        scores: r.scores,
        total: r.total,
        recommendation: r.recommendation,
        comment: r.comment,
        submittedAt: r.submittedAt,
      })),
  };
}

export const INBOX_KINDS = ['case', 'review', 'decision', 'objection', 'milestone', 'payment'] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

type Row = Record<string, unknown>;
type InboxItem = { kind: InboxKind; caseId: string; what: string; dueAt: string | null; ref?: string };

/**
 * One source of an inbox: rows of a table, read in the inbox's order. `rank` orders sources whose
 * items fall due at the same moment (or are undated); `key` orders a source's own rows after that,
 * and makes each row's place unique.
 */
interface InboxSource {
  rank: number;
  kind: InboxKind;
  /** SELECT ... FROM ... WHERE ... (the source's own filter), with its parameters. */
  select: string;
  params: unknown[];
  /** Its due-date column; null when its items are undated. */
  due: string | null;
  key: string[];
  item: (row: Row) => InboxItem;
}

/** An item as read, with its row and source: the page's last one gives the next page's cursor. */
type Read = { item: InboxItem; row: Row; source: InboxSource };

/** Where a page of an inbox ended: the last item's due date, its source's rank and its key. */
type InboxPlace = { dueAt: string | null; rank: number; key: string[] };

function encodeInboxCursor(place: InboxPlace): string {
  return Buffer.from(JSON.stringify(['inbox', place.dueAt, place.rank, ...place.key])).toString('base64url');
}

function decodeInboxCursor(cursor: string): InboxPlace {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.length >= 4 &&
    parsed[0] === 'inbox' &&
    (parsed[1] === null || (typeof parsed[1] === 'string' && !Number.isNaN(Date.parse(parsed[1])))) &&
    Number.isInteger(parsed[2]) &&
    parsed.slice(3).every((k) => typeof k === 'string');
  if (!valid) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor of the inbox' }]);
  const [, dueAt, rank, ...key] = parsed as [string, string | null, number, ...string[]];
  return { dueAt, rank, key };
}

/** SQL: this row's key after `key` (columns in order, compared as a tuple), with its parameters. */
function keyAfter(columns: string[], key: string[], date: (d: Date) => unknown): [string, unknown[]] {
  const fits = key.length === columns.length && columns.every((c, i) => !c.endsWith('At"') || !Number.isNaN(Date.parse(key[i]!)));
  if (!fits) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor of the inbox' }]);
  const value = (c: string, v: string) => (c.endsWith('At"') ? date(new Date(v)) : v);
  const [first, ...rest] = columns;
  if (rest.length === 0) return [`${first} > ?`, [value(first!, key[0]!)]];
  const [inner, innerParams] = keyAfter(rest, key.slice(1), date);
  return [`(${first} > ? OR (${first} = ? AND ${inner}))`, [value(first!, key[0]!), value(first!, key[0]!), ...innerParams]];
}

/**
 * Up to `take` rows of a source, soonest due first and undated last, from just after `after` (the
 * inbox's order: due date, then rank, then key). Two reads each in an index's order. (Prisma wrote
 * `orderBy: { dueAt: { nulls: 'last' } }` as an expression SQLite sorts every matching row by: 138
 * ms for 26,585 cases waiting on officers, against 6 ms this way.)
 */
async function readSource(reads: AppDeps['reads'], s: InboxSource, take: number, after: InboxPlace | null): Promise<Read[]> {
  const keyOrder = s.key.join(', ');
  const read = async (dated: boolean, n: number) => {
    const where: string[] = [];
    const params: unknown[] = [...s.params];
    if (s.due) where.push(`${s.due} IS ${dated ? 'NOT ' : ''}NULL`);
    if (after) {
      // Undated items come after every dated one: past an undated place no dated row is left, and
      // past a dated place every undated row is. Rows tied with the place on its due date (or
      // undated alike) come after it by rank, then by key.
      if (dated && after.dueAt === null) return [];
      const tiedToo = dated ? after.dueAt !== null : after.dueAt === null;
      if (tiedToo) {
        const ties = s.rank > after.rank ? 'all' : s.rank < after.rank ? 'none' : keyAfter(s.key, after.key, (d) => reads.date(d));
        if (!dated) {
          if (ties === 'none') return [];
          if (ties !== 'all') {
            where.push(ties[0]);
            params.push(...ties[1]);
          }
        } else {
          const due = reads.date(new Date(after.dueAt!));
          if (ties === 'all') {
            where.push(`${s.due} >= ?`);
            params.push(due);
          } else if (ties === 'none') {
            where.push(`${s.due} > ?`);
            params.push(due);
          } else {
            where.push(`(${s.due} > ? OR (${s.due} = ? AND ${ties[0]}))`);
            params.push(due, due, ...ties[1]);
          }
        }
      }
    }
    const order = dated ? `${s.due}, ${keyOrder}` : keyOrder;
    const rows = await reads.all<Row>(`${s.select}${where.length ? ` AND ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`, [...params, n]);
    return rows.map((row) => ({ item: s.item(row), row, source: s }));
  };
  if (!s.due) return read(false, take);
  const dated = await read(true, take);
  if (dated.length >= take) return dated;
  return [...dated, ...(await read(false, take - dated.length))];
}

/** The place of an item in the inbox's order; key columns as the cursor keeps them (dates as ISO text). */
function placeOf({ item, row, source }: Read): InboxPlace {
  return { dueAt: item.dueAt, rank: source.rank, key: source.key.map((c) => (c.endsWith('At"') ? isoTime(row[c.slice(1, -1)])! : String(row[c.slice(1, -1)]))) };
}

/**
 * What waits on the caller, soonest due first (undated last): the first `limit` items, of one kind
 * or all, after `cursor` when given, and the cursor of the next page (null at the end). Each source
 * is read already in that order and no further than `limit` (and one more, to tell), so a busy
 * officer's inbox costs the same as a quiet one at any depth. Plain SQL through the read store
 * (infra/read-store.ts): through Prisma, reading and shaping the few hundred rows cost several
 * times the queries.
 */
export async function inbox(deps: AppDeps, actor: Actor, query: { kind?: InboxKind; limit: number; cursor?: string }) {
  const after = query.cursor ? decodeInboxCursor(query.cursor) : null;
  const take = query.limit + 1;
  const sources = inboxSources(actor).filter((s) => query.kind === undefined || query.kind === s.kind);
  const read = await Promise.all(sources.map((s) => readSource(deps.reads, s, take, after)));
  // Each source is in order and holds at most limit + 1: the first `limit` of their merge are the
  // caller's first `limit`, and anything past them means more. ISO times in UTC compare as text;
  // the sort is stable, and sources are listed by rank.
  const due = (r: Read) => r.item.dueAt;
  const items = read.flat().sort((a, b) => (due(a) === due(b) ? 0 : due(a) === null ? 1 : due(b) === null ? -1 : due(a)! < due(b)! ? -1 : 1));
  const page = items.slice(0, query.limit);
  const more = items.length > query.limit;
  return {
    items: page.map((r) => r.item),
    more,
    nextCursor: more ? encodeInboxCursor(placeOf(page[page.length - 1]!)) : null,
  };
}

/** The sources of an actor's inbox, by rank. */
function inboxSources(actor: Actor): InboxSource[] {
  // Fund applications and stations alike: whatever waits on this role (and, for a host, on them).
  const cases = (kind: InboxKind, waitingOn: string, ownerId?: string): InboxSource[] =>
    (
      [
        ['Application', 'title', 'applicantId'],
        ['Station', 'name', 'hostId'],
      ] as const
    ).map(([table, title, owner], rank) => ({
      rank,
      kind,
      select: `SELECT "id", "${title}" AS "title", "nextAction", "dueAt" FROM "${table}" WHERE "waitingOn" = ?${ownerId ? ` AND "${owner}" = ?` : ''}`,
      params: ownerId ? [waitingOn, ownerId] : [waitingOn],
      due: '"dueAt"',
      key: ['"id"'],
      item: (c) => ({ kind, caseId: c.id as string, what: `${c.title}: ${c.nextAction}`, dueAt: isoTime(c.dueAt) }),
    }));
  switch (actor.role) {
    case 'applicant':
      return cases('case', 'applicant', actor.id);
    case 'reviewer':
      return [
        {
          rank: 0,
          kind: 'review',
          select: `SELECT "id", "caseId", "status", "dueAt" FROM "ReviewAssignment" WHERE "reviewerId" = ? AND "status" IN ('assigned', 'accepted')`,
          params: [actor.id],
          due: '"dueAt"',
          key: ['"id"'],
          item: (a) => ({ kind: 'review', caseId: a.caseId as string, what: a.status === 'assigned' ? 'Declare conflicts of interest, then score' : 'Score the application', dueAt: isoTime(a.dueAt) }),
        },
      ];
    case 'officer':
      return [
        ...cases('decision', 'officer'),
        {
          rank: 2,
          kind: 'objection',
          select: `SELECT "id", "caseId", "filerName", "filedAt" FROM "Objection" WHERE "status" = 'open'`,
          params: [],
          due: null,
          key: ['"filedAt"', '"id"'],
          item: (o) => ({ kind: 'objection', caseId: o.caseId as string, what: `Resolve the objection filed by ${o.filerName}`, dueAt: null, ref: o.id as string }),
        },
        {
          rank: 3,
          kind: 'milestone',
          select: `SELECT "id", "caseId", "code", "status", "dueAt" FROM "Milestone" WHERE "status" IN ('overdue', 'awaiting_score')`,
          params: [],
          due: '"dueAt"',
          key: ['"id"'],
          item: (m) => ({ kind: 'milestone', caseId: m.caseId as string, what: m.status === 'overdue' ? `The ${m.code} report is overdue` : `Record the ${m.code} score`, dueAt: isoTime(m.dueAt) }),
        },
      ];
    case 'finance':
      return [
        {
          rank: 0,
          kind: 'payment',
          select: `SELECT "id", "applicationId", "code", "amountFen" FROM "Tranche" WHERE "status" = 'released'`,
          params: [],
          due: null,
          key: ['"id"'],
          item: (t) => ({ kind: 'payment', caseId: t.applicationId as string, what: `Approve tranche ${t.code} (${t.amountFen} fen)`, dueAt: null, ref: t.code as string }),
        },
      ];
    default:
      return [];
  }
}
