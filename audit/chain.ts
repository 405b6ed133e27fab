import { createHash } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../infra/db';

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

/** Appends an entry inside the caller's transaction. With an idempotency key, appends it once. */
export async function appendAudit(tx: Prisma.TransactionClient, c: AuditContent): Promise<void> {
  if (c.idempotencyKey && (await tx.auditEntry.findUnique({ where: { idempotencyKey: c.idempotencyKey }, select: { id: true } }))) return;
  await appendAudits(tx, [c]);
}

/**
 * Appends entries, in their order, inside the caller's transaction: one statement takes the head
 * and advances it past them all, one writes them, one moves the head's hash, however many there
 * are. (Staff reads are recorded in batches this way: api/use-cases/audit.ts.)
 */
export async function appendAudits(tx: Prisma.TransactionClient, contents: readonly AuditContent[]): Promise<void> {
  if (contents.length === 0) return;
  // Taking the head's row first makes concurrent appends wait for each other. One statement takes
  // it, advances it and reads it back: every append runs this on a hot path (each staff read of a
  // case, each stage change), and each Prisma model query costs several milliseconds of CPU to
  // build (see bench/README.md), so the head is handled in plain SQL that SQLite and PostgreSQL share.
  let [head] = await advanceHead(tx, contents.length);
  if (!head) {
    await tx.auditHead.upsert({ where: { id: 1 }, create: { id: 1, seq: 0, hash: GENESIS }, update: {} });
    [head] = await advanceHead(tx, contents.length);
  }
  let seq = Number(head!.seq) - contents.length;
  let prevHash = head!.hash;
  const rows = contents.map((c) => {
    seq++;
    const content = stored({ ...c, at: c.at ?? new Date() });
    const hash = entryHash(seq, prevHash, content);
    const { before, after, ...rest } = content;
    // JSON null and a missing value read back alike (null), so the hash is the same either way.
    const row = { ...rest, before: before ?? undefined, after: after ?? undefined, seq, prevHash, hash };
    prevHash = hash;
    return row;
  });
  await tx.auditEntry.createMany({ data: rows });
  await tx.$executeRaw`UPDATE "AuditHead" SET "hash" = ${prevHash} WHERE "id" = 1`;
}

/** Advances the head's sequence number by `by` and returns it with the last entry's hash (none before the first append). */
function advanceHead(tx: Prisma.TransactionClient, by: number) {
  return tx.$queryRaw<Array<{ seq: number | bigint; hash: string }>>`UPDATE "AuditHead" SET "seq" = "seq" + ${by} WHERE "id" = 1 RETURNING "seq", "hash"`;
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
