import { inTransaction } from '../../infra/transaction';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import { ledgerTotals, reconcile } from '../../money/ledger';
import type { Actor } from '../../shared';
import { type ProgrammeConfig, programmeConfigSchema } from '../../shared/programme-config';
import { problems } from '../http/problem';
import { fen, instant } from '../http/schemas';
import { writeAudit } from './audit';

export const newProgrammeSchema = z
  .strictObject({
    code: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,63}$/, 'Letters, digits and dashes, 2 to 64'),
    title: z.string().trim().min(1).max(300),
    kind: z.enum(['talent_fund']),
    budgetFen: fen,
    opensAt: instant,
    closesAt: instant,
    /** Programme rules (tiers, rubric, deadlines...), versioned; each case keeps its version. */
    config: programmeConfigSchema,
  })
  .refine((p) => p.closesAt > p.opensAt, { path: ['closesAt'], message: 'closesAt must be after opensAt' });
export type NewProgramme = z.infer<typeof newProgrammeSchema>;

type ProgrammeRow = Prisma.ProgrammeGetPayload<object>;

function present(p: ProgrammeRow) {
  return {
    id: p.id,
    code: p.code,
    title: p.title,
    kind: p.kind,
    budgetFen: p.budgetFen,
    opensAt: p.opensAt,
    closesAt: p.closesAt,
    configVersion: p.configVersion,
    config: p.config,
    createdAt: p.createdAt,
  };
}

export async function createProgramme(prisma: PrismaClient, actor: Actor, input: NewProgramme, requestId: string) {
  try {
    const created = await inTransaction(prisma, async (tx) => {
      const config = input.config as unknown as Prisma.InputJsonValue;
      const p = await tx.programme.create({ data: { ...input, config, createdById: actor.id } });
      await tx.programmeVersion.create({ data: { programmeId: p.id, version: 1, config, createdById: actor.id } });
      await writeAudit(tx, { actor, action: 'programme.create', targetType: 'programme', targetId: p.id, after: present(p), requestId });
      return p;
    });
    return present(created);
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw problems.business('AlreadyExists', `A programme with code ${input.code} exists`);
    }
    throw err;
  }
}

/** A new configuration version. Running cases keep theirs until an officer migrates them. */
export async function reviseConfig(prisma: PrismaClient, actor: Actor, id: string, config: ProgrammeConfig, requestId: string) {
  const updated = await inTransaction(prisma, async (tx) => {
    const before = await tx.programme.findUnique({ where: { id } });
    if (!before) throw problems.notFound('programme');
    const version = before.configVersion + 1;
    const json = config as unknown as Prisma.InputJsonValue;
    await tx.programmeVersion.create({ data: { programmeId: id, version, config: json, createdById: actor.id } });
    const p = await tx.programme.update({ where: { id, configVersion: before.configVersion }, data: { configVersion: version, config: json } });
    await writeAudit(tx, {
      actor,
      action: 'programme.config_revised',
      targetType: 'programme',
      targetId: id,
      before: { configVersion: before.configVersion },
      after: { configVersion: version },
      requestId,
    });
    return p;
  });
  return present(updated);
}

export async function getConfigVersion(prisma: PrismaClient, programmeId: string, version: number): Promise<ProgrammeConfig> {
  const v = await prisma.programmeVersion.findUnique({ where: { programmeId_version: { programmeId, version } } });
  if (!v) throw problems.notFound('configuration version');
  return v.config as unknown as ProgrammeConfig;
}

export async function getProgramme(prisma: PrismaClient, id: string) {
  const p = await prisma.programme.findUnique({ where: { id } });
  if (!p) throw problems.notFound('programme');
  return present(p);
}

export async function listProgrammes(prisma: PrismaClient, page: { limit: number; cursor?: string }) {
  const rows = await prisma.programme.findMany({
    orderBy: { id: 'asc' },
    take: page.limit + 1,
    ...(page.cursor ? { cursor: { id: page.cursor }, skip: 1 } : {}),
  });
  const items = rows.slice(0, page.limit).map(present);
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.id : null };
}

/** Budget, committed, paid, returned, clawed back and remaining, derived from the ledger, with its entries. */
export async function programmeLedger(prisma: PrismaClient, id: string) {
  await getProgramme(prisma, id);
  const [totals, discrepancies, entries] = await Promise.all([
    ledgerTotals(prisma, id),
    reconcile(prisma, id),
    prisma.ledgerEntry.findMany({ where: { programmeId: id }, orderBy: { id: 'asc' } }),
  ]);
  return { totals, reconciled: discrepancies.length === 0, discrepancies, entries };
}
