import { createHash } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../infra/db';
import { type SqlStatements, statementsIn } from '../infra/sql';

// The audit trail is append-only and hash-chained. Every entry's hash covers its content, its
// sequence number and the previous entry's hash; one head row, updated in the same transaction as
// each append, serialises appends on SQLite and PostgreSQL alike (the UPDATE takes its row lock).
// Editing, inserting or deleting an entry anywhere breaks verification from that entry on.

export const GENESIS = '0'.repeat(64);

export interface AuditContent {
  at?: Date;
  actorId?: string | null;
  actorRole?: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before?: Prisma.InputJsonValue | null;
  after?: Prisma.InputJsonValue | null;
  reason?: string | null;
  requestId?: string | null;
  idempotencyKey?: string | null;
}

/** JSON with keys in a fixed order, so that the same content always hashes the same. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content of an entry as stored and as hashed: every field, absent ones as null. */
function stored(c: AuditContent & { at: Date }) {
  return {
    at: c.at,
    actorId: c.actorId ?? null,
    actorRole: c.actorRole ?? null,
    action: c.action,
    targetType: c.targetType,
    targetId: c.targetId,
    before: c.before ?? null,
    after: c.after ?? null,
    reason: c.reason ?? null,
    requestId: c.requestId ?? null,
    idempotencyKey: c.idempotencyKey ?? null,
  };
}

export function entryHash(seq: number, prevHash: string, c: AuditContent & { at: Date }): string {
  return createHash('sha256').update(prevHash).update(canonical({ seq, ...stored(c) })).digest('hex');
}

/** Appends an entry inside the caller's transaction (opened by inTransaction). With an idempotency key, appends it once. */
export async function appendAudit(tx: Prisma.TransactionClient, c: AuditContent): Promise<void> {
  await appendAudits(statementsIn(tx), [c]);
}

const ENTRY_COLUMNS = ['seq', 'prevHash', 'hash', 'at', 'actorId', 'actorRole', 'action', 'targetType', 'targetId', 'before', 'after', 'reason', 'requestId', 'idempotencyKey'] as const;
/** Rows an INSERT writes at once: SQLite binds at most 999 values in a statement (14 a row). */
const ENTRIES_PER_INSERT = 64;

/**
 * Appends entries, in their order, inside the caller's transaction (sqlTransaction's, or an
 * inTransaction's through statementsIn), leaving out those whose idempotency key is on the chain
 * already (or earlier in `contents`). In
 * plain SQL that SQLite and PostgreSQL share: every stage change and every staff read appends, and
 * each Prisma model query costs several milliseconds of CPU (bench/README.md). One statement takes
 * the head and advances it past them all, one writes them, one moves the head's hash, however many
 * there are (staff reads are recorded in batches this way: api/use-cases/audit.ts).
 */
export async function appendAudits(sql: SqlStatements, contents: readonly AuditContent[]): Promise<void> {
  const fresh = await leaveOutAppended(sql, contents);
  if (fresh.length === 0) return;
  // Taking the head's row first makes concurrent appends wait for each other; the same statement
  // advances it and reads it back.
  let [head] = await advanceHead(sql, fresh.length);
  if (!head) {
    await sql.run('INSERT INTO "AuditHead" ("id", "seq", "hash") VALUES (1, 0, ?) ON CONFLICT ("id") DO NOTHING', [GENESIS]);
    [head] = await advanceHead(sql, fresh.length);
  }
  let seq = Number(head!.seq) - fresh.length;
  let prevHash = head!.hash;
  const rows = fresh.map((c) => {
    seq++;
    const content = stored({ ...c, at: c.at ?? new Date() });
    const hash = entryHash(seq, prevHash, content);
    // JSON null and a missing value read back alike (null), so the hash is the same either way.
    const row = { ...content, at: sql.date(content.at), before: sql.jsonText(content.before), after: sql.jsonText(content.after), seq, prevHash, hash };
    prevHash = hash;
    return ENTRY_COLUMNS.map((column) => row[column]);
  });
  const marks = `(${ENTRY_COLUMNS.map((c) => (c === 'before' || c === 'after' ? sql.jsonParam : '?')).join(', ')})`;
  for (let i = 0; i < rows.length; i += ENTRIES_PER_INSERT) {
    const slice = rows.slice(i, i + ENTRIES_PER_INSERT);
    await sql.run(`INSERT INTO "AuditEntry" (${ENTRY_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${slice.map(() => marks).join(', ')}`, slice.flat());
  }
  await sql.run('UPDATE "AuditHead" SET "hash" = ? WHERE "id" = 1', [prevHash]);
}

/** The entries not yet appended: without an idempotency key, or with one the chain does not hold. */
async function leaveOutAppended(sql: SqlStatements, contents: readonly AuditContent[]): Promise<AuditContent[]> {
  const keys = [...new Set(contents.flatMap((c) => (c.idempotencyKey ? [c.idempotencyKey] : [])))];
  if (keys.length === 0) return [...contents];
  const held = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const slice = keys.slice(i, i + 500);
    const rows = await sql.all<{ idempotencyKey: string }>(`SELECT "idempotencyKey" FROM "AuditEntry" WHERE "idempotencyKey" IN (${slice.map(() => '?').join(', ')})`, slice);
    for (const r of rows) held.add(r.idempotencyKey);
  }
  return contents.filter((c) => {
    if (!c.idempotencyKey) return true;
    if (held.has(c.idempotencyKey)) return false;
    held.add(c.idempotencyKey);
    return true;
  });
}

/** Advances the head's sequence number by `by` and returns it with the last entry's hash (none before the first append). */
function advanceHead(sql: SqlStatements, by: number) {
  return sql.all<{ seq: number | bigint; hash: string }>('UPDATE "AuditHead" SET "seq" = "seq" + ? WHERE "id" = 1 RETURNING "seq", "hash"', [by]);
}

export interface ChainReport {
  intact: boolean;
  checked: number;
  /** The first entry at which the chain breaks, and why. */
  firstBroken: { seq: number; id: number | null; reason: string } | null;
}

/** Walks the whole chain in order; names the first entry edited, inserted or missing. */
export async function verifyAuditChain(prisma: PrismaClient, batch = 1_000): Promise<ChainReport> {
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const rows = await prisma.auditEntry.findMany({ where: { seq: { gte: expectedSeq } }, orderBy: { seq: 'asc' }, take: batch });
    for (const row of rows) {
      const broken = (reason: string) => ({ intact: false, checked, firstBroken: { seq: expectedSeq, id: row.id, reason } });
      if (row.seq !== expectedSeq) return { intact: false, checked, firstBroken: { seq: expectedSeq, id: null, reason: `entry ${expectedSeq} is missing` } };
      if (row.prevHash !== prevHash) return broken('its link to the previous entry does not match');
      const content: AuditContent & { at: Date } = { ...row, before: row.before as Prisma.InputJsonValue, after: row.after as Prisma.InputJsonValue };
      if (entryHash(row.seq, prevHash, content) !== row.hash) return broken('its content does not match its hash');
      prevHash = row.hash;
      expectedSeq++;
      checked++;
    }
    if (rows.length < batch) break;
  }
  const head = await prisma.auditHead.findUnique({ where: { id: 1 } });
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== prevHash)) {
    return { intact: false, checked, firstBroken: { seq: expectedSeq, id: null, reason: `entries after ${expectedSeq - 1} are missing (the head is at ${head.seq})` } };
  }
  return { intact: true, checked, firstBroken: null };
}
