import { inTransaction } from '../infra/transaction';
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

/** Per-case position (an application or a station): what is still promised and what has been paid. */
export async function caseMoney(db: Db, caseId: string) {
  const s = await kindSums(db, { caseId });
  return { committedFen: s.commit - s.return - s.clawback, paidFen: s.payment - s.clawback };
}

async function existing(tx: Prisma.TransactionClient, key: string) {
  return tx.ledgerEntry.findUnique({ where: { idempotencyKey: key } });
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
  await inTransaction(prisma, (tx) => commitInTransaction(tx, input));
}

/** The same, inside a caller's transaction (a station's establishment commits with its quota). */
export async function commitInTransaction(tx: Prisma.TransactionClient, input: CommitInput): Promise<void> {
  const amount = BigInt(input.amountFen);
  if (await existing(tx, input.key)) return;
  const updated = await tx.$executeRaw`
    UPDATE "Programme" SET "committedFen" = "committedFen" + ${amount}
    WHERE "id" = ${input.programmeId} AND "committedFen" + ${amount} <= "budgetFen"`;
  if (updated !== 1) {
    const p = await tx.programme.findUniqueOrThrow({ where: { id: input.programmeId } });
    throw ApplicationFailure.create({
      type: 'BudgetExhausted',
      nonRetryable: true,
      message: `The programme has ${p.budgetFen - p.committedFen} fen left uncommitted; the award needs ${amount}`,
    });
  }
  await tx.ledgerEntry.create({
    data: { programmeId: input.programmeId, caseId: input.caseId, kind: 'commit', amountFen: amount, idempotencyKey: input.key, actorId: input.actorId },
  });
}

export interface PayInput extends CommitInput {
  trancheCode: string;
}

/** Pays a tranche exactly once per key, and never more than the case has committed. */
export async function payTranche(prisma: PrismaClient, input: PayInput): Promise<void> {
  const amount = BigInt(input.amountFen);
  await inTransaction(prisma, async (tx) => {
    if (await existing(tx, input.key)) return;
    const position = await caseMoney(tx, input.caseId);
    if (position.paidFen + amount > position.committedFen) {
      throw ApplicationFailure.create({
        type: 'InvalidAction',
        nonRetryable: true,
        message: `Paying ${amount} fen would exceed the case's commitment of ${position.committedFen} fen`,
      });
    }
    await tx.ledgerEntry.create({
      data: {
        programmeId: input.programmeId,
        caseId: input.caseId,
        kind: 'payment',
        amountFen: amount,
        trancheCode: input.trancheCode,
        idempotencyKey: input.key,
        actorId: input.actorId,
      },
    });
    await tx.programme.update({ where: { id: input.programmeId }, data: { paidFen: { increment: amount } } });
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
  return inTransaction(prisma, async (tx) => {
    const done = await tx.ledgerEntry.findMany({ where: { idempotencyKey: { in: [`${input.key}:clawback`, `${input.key}:return`] } } });
    if (done.length > 0) {
      const amount = (k: string) => Number(done.find((d) => d.kind === k)?.amountFen ?? 0n);
      return { clawedBackFen: amount('clawback'), returnedFen: amount('return') };
    }
    let { committedFen, paidFen } = await caseMoney(tx, input.caseId);
    const base = { programmeId: input.programmeId, caseId: input.caseId, reason: input.reason };
    let clawedBack = 0n;
    if (input.mode === 'claw_back' && paidFen > 0n) {
      clawedBack = paidFen;
      await tx.ledgerEntry.create({ data: { ...base, kind: 'clawback', amountFen: clawedBack, idempotencyKey: `${input.key}:clawback` } });
      await tx.programme.update({
        where: { id: input.programmeId },
        data: { committedFen: { decrement: clawedBack }, paidFen: { decrement: clawedBack } },
      });
      committedFen -= clawedBack;
      paidFen = 0n;
    }
    const surplus = committedFen - paidFen;
    if (surplus > 0n) {
      await tx.ledgerEntry.create({ data: { ...base, kind: 'return', amountFen: surplus, idempotencyKey: `${input.key}:return` } });
      await tx.programme.update({ where: { id: input.programmeId }, data: { committedFen: { decrement: surplus } } });
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
