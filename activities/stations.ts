import { ApplicationFailure } from '@temporalio/common';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaClient } from '../infra/db';
import { statementsIn } from '../infra/sql';
import { inTransaction } from '../infra/transaction';
import { commitWith } from '../money/ledger';
import type { StationType } from '../shared';

const refuse = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/** Takes a seat for an expert at a station, within the expert's limit; atomic under concurrency. */
async function seat(tx: Prisma.TransactionClient, stationId: string, expertId: string, max: number, at: Date) {
  const current = await tx.stationExpert.findUnique({ where: { stationId_expertId: { stationId, expertId } } });
  if (current?.status === 'resident') return;
  const taken = await tx.$executeRaw`
    UPDATE "Expert" SET "residentSeats" = "residentSeats" + 1 WHERE "id" = ${expertId} AND "residentSeats" < ${max}`;
  if (taken !== 1) {
    const e = await tx.expert.findUnique({ where: { id: expertId } });
    throw refuse('ExpertOverCommitted', e ? `${e.name} is already resident at ${e.residentSeats} stations, the most allowed` : `No expert ${expertId}`);
  }
  await tx.stationExpert.upsert({
    where: { stationId_expertId: { stationId, expertId } },
    create: { stationId, expertId, status: 'resident', since: at },
    update: { status: 'resident', since: at, until: null },
  });
}

async function unseat(tx: Prisma.TransactionClient, stationId: string, expertId: string, at: Date) {
  const { count } = await tx.stationExpert.updateMany({ where: { stationId, expertId, status: 'resident' }, data: { status: 'left', until: at } });
  if (count === 1) await tx.expert.update({ where: { id: expertId }, data: { residentSeats: { decrement: 1 } } });
}

export function stationActivities(prisma: PrismaClient) {
  return {
    /** Automatic checks of a station application, for the officer's formal check. */
    async checkStationEligibility(input: {
      programmeId: string;
      type: StationType;
      hostKind: 'enterprise' | 'institution';
      experts: string[];
      maxStationsPerExpert: number;
    }): Promise<{ passed: boolean; failures: string[] }> {
      const { type } = input;
      const failures: string[] = [];
      if (!type.hostKinds.includes(input.hostKind)) failures.push(`A ${type.label} may not be hosted by an ${input.hostKind}`);
      const { min, max, titles } = type.residentExperts;
      if (input.experts.length < min || input.experts.length > max) {
        failures.push(`A ${type.label} needs ${min} to ${max} resident experts; ${input.experts.length} are named`);
      }
      const experts = await prisma.expert.findMany({ where: { id: { in: input.experts } } });
      for (const id of input.experts) {
        const e = experts.find((x) => x.id === id);
        if (!e) failures.push(`No expert ${id} is registered`);
        else if (!titles.includes(e.title as never)) failures.push(`${e.name} (${e.title}) does not hold a title this station requires (${titles.join(', ')})`);
        else if (e.residentSeats >= input.maxStationsPerExpert) failures.push(`${e.name} is already resident at ${e.residentSeats} stations`);
      }
      const quota = await prisma.stationQuota.findUnique({ where: { programmeId_stationType: { programmeId: input.programmeId, stationType: type.code } } });
      if ((quota?.used ?? 0) >= type.quota) failures.push(`The quota of ${type.quota} ${type.label}s is used up`);
      return { passed: failures.length === 0, failures };
    },

    /**
     * Establishes a station in one transaction: a place in the quota, seats for its experts within
     * their limits, and its subsidy committed. Once per key; refuses cleanly (QuotaReached,
     * ExpertOverCommitted, BudgetExhausted) however many approvals race.
     */
    async establishStation(input: {
      programmeId: string;
      stationId: string;
      type: StationType;
      experts: string[];
      maxStationsPerExpert: number;
      key: string;
      at: string;
    }): Promise<void> {
      await inTransaction(prisma, async (tx) => {
        if (await tx.ledgerEntry.findUnique({ where: { idempotencyKey: input.key } })) return;
        const where = { programmeId_stationType: { programmeId: input.programmeId, stationType: input.type.code } };
        await tx.stationQuota.upsert({ where, create: { programmeId: input.programmeId, stationType: input.type.code }, update: {} });
        const placed = await tx.$executeRaw`
          UPDATE "StationQuota" SET "used" = "used" + 1
          WHERE "programmeId" = ${input.programmeId} AND "stationType" = ${input.type.code} AND "used" < ${input.type.quota}`;
        if (placed !== 1) throw refuse('QuotaReached', `The programme's quota of ${input.type.quota} ${input.type.label}s is reached`);
        for (const expertId of input.experts) await seat(tx, input.stationId, expertId, input.maxStationsPerExpert, new Date(input.at));
        await commitWith(statementsIn(tx), { programmeId: input.programmeId, caseId: input.stationId, amountFen: input.type.subsidyFen, key: input.key });
      });
    },

    /** An approved change of resident experts during the term. Idempotent: seats already in place stay. */
    async changeStationExperts(input: {
      stationId: string;
      add: string | null;
      remove: string | null;
      titles: string[];
      maxStationsPerExpert: number;
      at: string;
    }) {
      await inTransaction(prisma, async (tx) => {
        if (input.add) {
          const e = await tx.expert.findUnique({ where: { id: input.add } });
          if (!e) throw refuse('InvalidAction', `No expert ${input.add} is registered`);
          if (!input.titles.includes(e.title)) throw refuse('InvalidAction', `${e.name} (${e.title}) does not hold a title this station requires (${input.titles.join(', ')})`);
        }
        if (input.remove) await unseat(tx, input.stationId, input.remove, new Date(input.at));
        if (input.add) await seat(tx, input.stationId, input.add, input.maxStationsPerExpert, new Date(input.at));
      });
    },

    /** Frees the experts of a station that is revoked, expired or cancelled. */
    async releaseStation(input: { stationId: string; at: string }) {
      await inTransaction(prisma, async (tx) => {
        const seats = await tx.stationExpert.findMany({ where: { stationId: input.stationId, status: 'resident' } });
        for (const s of seats) await unseat(tx, input.stationId, s.expertId, new Date(input.at));
      });
    },
  };
}
