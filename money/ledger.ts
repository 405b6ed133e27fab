import type { SqlStatements } from '../infra/sql';
import { sqlTransaction } from '../infra/transaction';
import { ApplicationFailure } from '@temporalio/common';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../infra/db';

// The programme ledger: append-only entries in fen. Programme.committedFen and paidFen are running
// totals written in the same transaction as the entries, so that the budget check is one atomic,
// portable conditional UPDATE (SQLite and PostgreSQL alike), whatever number of decisions race.

export type LedgerKind = 'commit' | 'payment' | 'return' | 'clawback';

export interface LedgerTotals {
  budgetFen: bigint;
  /** Awards committed at signing, gross. */
  committedFen: bigint;
  paidFen: bigint;
  /** Unpaid commitments given back to the budget (termination, close-out, cancellation). */
  returnedFen: bigint;
  /** Payments recovered after a forced termination. */
  clawedBackFen: bigint;
  /** Still promised to cases: committed − returned − clawed back. */
  outstandingCommitmentFen: bigint;
  /** Money out and not recovered: paid − clawed back. */
  netPaidFen: bigint;
  /** Free to commit: budget − outstanding commitments. */
  remainingFen: bigint;
}

function sums(rows: Array<{ kind: string; _sum: { amountFen: bigint | null } }>): Record<LedgerKind, bigint> {
  const out: Record<LedgerKind, bigint> = { commit: 0n, payment: 0n, return: 0n, clawback: 0n };
  for (const r of rows) out[r.kind as LedgerKind] = r._sum.amountFen ?? 0n;
  return out;
}

type Db = PrismaClient | Prisma.TransactionClient;

async function kindSums(db: Db, where: Prisma.LedgerEntryWhereInput) {
  const rows = await db.ledgerEntry.groupBy({ by: ['kind'], where, _sum: { amountFen: true } });
  return sums(rows);
}

/** The ledger's sums per kind as the database keeps them (LedgerSum, moved by each entry's own insert). */
async function keptSums(db: Db, programmeId: string) {
  const where: Prisma.LedgerSumWhereInput = { programmeId };
  const rows = await db.ledgerSum.groupBy({ by: ['kind'], where, _sum: { amountFen: true } });
  return sums(rows);
}

/** Totals derived from the ledger alone (its kept sums); they always add up. */
export async function ledgerTotals(db: Db, programmeId: string): Promise<LedgerTotals> {
  const programme = await db.programme.findUniqueOrThrow({ where: { id: programmeId }, select: { budgetFen: true } });
  const s = await keptSums(db, programmeId);
  const outstanding = s.commit - s.return - s.clawback;
  return {
    budgetFen: programme.budgetFen,
    committedFen: s.commit,
    paidFen: s.payment,
    returnedFen: s.return,
    clawedBackFen: s.clawback,
    outstandingCommitmentFen: outstanding,
    netPaidFen: s.payment - s.clawback,
    remainingFen: programme.budgetFen - outstanding,
  };
}

// The writes below are plain SQL (infra/sql.ts), on SQLite on the writer connection that holds the
// database only while its statements run. As Prisma interactive transactions (four to six model
// queries each) a payment held the one SQLite connection across as many turns of a loaded event
// loop, and every projection and read in the process waited behind it (bench/README.md).

type EntryRow = { programmeId: string; caseId: string; kind: LedgerKind; amountFen: bigint; idempotencyKey: string } & Partial<
  Record<'trancheCode' | 'actorId' | 'reason', string>
>;

/**
 * Appends an entry. A plain INSERT, not one that ignores a conflict: a second entry under the same
 * key fails the whole transaction, with the running total it moved (checked before by `entryExists`).
 */
async function appendEntry(sql: SqlStatements, row: EntryRow): Promise<void> {
  await sql.insert('LedgerEntry', { ...row, at: new Date() });
}

async function entryExists(sql: SqlStatements, key: string): Promise<boolean> {
  return (await sql.all('SELECT 1 FROM "LedgerEntry" WHERE "idempotencyKey" = ?', [key])).length > 0;
}

/** Sums are read as text: SQLite would hand back a JavaScript number, PostgreSQL a numeric. */
async function caseSums(sql: SqlStatements, caseId: string): Promise<Record<LedgerKind, bigint>> {
  const rows = await sql.all<{ kind: string; amountFen: string | null }>(
    'SELECT "kind", CAST(SUM("amountFen") AS TEXT) AS "amountFen" FROM "LedgerEntry" WHERE "caseId" = ? GROUP BY "kind"',
    [caseId],
  );
  return sums(rows.map((r) => ({ kind: r.kind, _sum: { amountFen: r.amountFen === null ? null : BigInt(r.amountFen) } })));
}

/** Per-case position (an application or a station): what is still promised and what has been paid. */
async function casePosition(sql: SqlStatements, caseId: string) {
  const s = await caseSums(sql, caseId);
  return { committedFen: s.commit - s.return - s.clawback, paidFen: s.payment - s.clawback };
}

export interface CommitInput {
  programmeId: string;
  caseId: string;
  amountFen: number;
  key: string;
  actorId?: string;
}

/** Commits an award to the budget once per key; refuses (BudgetExhausted) when it cannot be covered. */
export async function commitAward(prisma: PrismaClient, input: CommitInput): Promise<void> {
  await sqlTransaction(prisma, (sql) => commitWith(sql, input));
}

/** The same, inside a caller's transaction (a station's establishment commits with its quota). */
export async function commitWith(sql: SqlStatements, input: CommitInput): Promise<void> {
  const amount = BigInt(input.amountFen);
  if (await entryExists(sql, input.key)) return;
  const updated = await sql.run(
    'UPDATE "Programme" SET "committedFen" = "committedFen" + ? WHERE "id" = ? AND "committedFen" + ? <= "budgetFen"',
    [amount, input.programmeId, amount],
  );
  if (updated !== 1) {
    const [p] = await sql.all<{ left: string }>('SELECT CAST("budgetFen" - "committedFen" AS TEXT) AS "left" FROM "Programme" WHERE "id" = ?', [input.programmeId]);
    if (!p) throw new Error(`No programme ${input.programmeId}`);
    throw ApplicationFailure.create({
      type: 'BudgetExhausted',
      nonRetryable: true,
      message: `The programme has ${p.left} fen left uncommitted; the award needs ${amount}`,
    });
  }
  await appendEntry(sql, { programmeId: input.programmeId, caseId: input.caseId, kind: 'commit', amountFen: amount, idempotencyKey: input.key, actorId: input.actorId });
}

export interface PayInput extends CommitInput {
  trancheCode: string;
}

/** Pays a tranche exactly once per key, and never more than the case has committed. */
export async function payTranche(prisma: PrismaClient, input: PayInput): Promise<void> {
  const amount = BigInt(input.amountFen);
  await sqlTransaction(prisma, async (sql) => {
    if (await entryExists(sql, input.key)) return;
    const position = await casePosition(sql, input.caseId);
    if (position.paidFen + amount > position.committedFen) {
      throw ApplicationFailure.create({
        type: 'InvalidAction',
        nonRetryable: true,
        message: `Paying ${amount} fen would exceed the case's commitment of ${position.committedFen} fen`,
      });
    }
    await appendEntry(sql, {
      programmeId: input.programmeId,
      caseId: input.caseId,
      kind: 'payment',
      amountFen: amount,
      trancheCode: input.trancheCode,
      idempotencyKey: input.key,
      actorId: input.actorId,
    });
    await sql.run('UPDATE "Programme" SET "paidFen" = "paidFen" + ? WHERE "id" = ?', [amount, input.programmeId]);
  });
}

export interface SettleInput {
  programmeId: string;
  caseId: string;
  mode: 'return_surplus' | 'claw_back';
  key: string;
  reason: string;
}

/**
 * Ends a case's money: a clawback of everything paid (forced termination), then the return of
 * whatever commitment is left unpaid. Once per key.
 */
export async function settleCase(prisma: PrismaClient, input: SettleInput): Promise<{ clawedBackFen: number; returnedFen: number }> {
  return sqlTransaction(prisma, async (sql) => {
    const done = await sql.all<{ kind: string; amountFen: string }>(
      'SELECT "kind", CAST("amountFen" AS TEXT) AS "amountFen" FROM "LedgerEntry" WHERE "idempotencyKey" IN (?, ?)',
      [`${input.key}:clawback`, `${input.key}:return`],
    );
    if (done.length > 0) {
      const amount = (k: string) => Number(done.find((d) => d.kind === k)?.amountFen ?? 0);
      return { clawedBackFen: amount('clawback'), returnedFen: amount('return') };
    }
    let { committedFen, paidFen } = await casePosition(sql, input.caseId);
    const base = { programmeId: input.programmeId, caseId: input.caseId, reason: input.reason };
    let clawedBack = 0n;
    if (input.mode === 'claw_back' && paidFen > 0n) {
      clawedBack = paidFen;
      await appendEntry(sql, { ...base, kind: 'clawback', amountFen: clawedBack, idempotencyKey: `${input.key}:clawback` });
      await sql.run('UPDATE "Programme" SET "committedFen" = "committedFen" - ?, "paidFen" = "paidFen" - ? WHERE "id" = ?', [
        clawedBack,
        clawedBack,
        input.programmeId,
      ]);
      committedFen -= clawedBack;
      paidFen = 0n;
    }
    const surplus = committedFen - paidFen;
    if (surplus > 0n) {
      await appendEntry(sql, { ...base, kind: 'return', amountFen: surplus, idempotencyKey: `${input.key}:return` });
      await sql.run('UPDATE "Programme" SET "committedFen" = "committedFen" - ? WHERE "id" = ?', [surplus, input.programmeId]);
    }
    return { clawedBackFen: Number(clawedBack), returnedFen: Number(surplus > 0n ? surplus : 0n) };
  });
}

/** The running totals must equal what the ledger derives; returns the differences found. */
export async function reconcile(db: Db, programmeId: string): Promise<string[]> {
  const totals = await ledgerTotals(db, programmeId);
  const p = await db.programme.findUniqueOrThrow({ where: { id: programmeId } });
  const problems: string[] = [];
  if (p.committedFen !== totals.outstandingCommitmentFen) {
    problems.push(`committedFen ${p.committedFen} != ledger ${totals.outstandingCommitmentFen}`);
  }
  if (p.paidFen !== totals.netPaidFen) problems.push(`paidFen ${p.paidFen} != ledger ${totals.netPaidFen}`);
  if (totals.remainingFen < 0n) problems.push(`over-committed by ${-totals.remainingFen}`);
  if (totals.netPaidFen > totals.outstandingCommitmentFen) problems.push('paid more than committed');
  // The kept sums against the entries themselves: a sum the triggers failed to move shows here.
  const entries = await kindSums(db, { programmeId });
  const kept = await keptSums(db, programmeId);
  for (const kind of Object.keys(entries) as LedgerKind[]) {
    if (entries[kind] !== kept[kind]) problems.push(`kept ${kind} sum ${kept[kind]} != entries ${entries[kind]}`);
  }
  return problems;
}
