import type { KeepAnswer } from '../deps';
import { inTransaction } from '../../infra/transaction';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import { ledgerTotals, reconcile } from '../../money/ledger';
import type { Actor } from '../../shared';
import { type ProgrammeConfig, type StationProgrammeConfig, programmeConfigSchema, stationProgrammeConfigSchema } from '../../shared/programme-config';
import { problems } from '../http/problem';
import { fen, instant } from '../http/schemas';
import { writeAudit } from './audit';

const programmeFields = {
  code: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,63}$/, 'Letters, digits and dashes, 2 to 64'),
  title: z.string().trim().min(1).max(300),
  budgetFen: fen,
  /** For a fund, the call's window; for stations, the plan's period (e.g. 2021-2023). */
  opensAt: instant,
  closesAt: instant,
};

/** A programme's rules (tiers, rubric, deadlines, station types, quotas...) are data, versioned; each case keeps its version. */
export const newProgrammeSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...programmeFields, kind: z.literal('talent_fund'), config: programmeConfigSchema }),
    z.strictObject({ ...programmeFields, kind: z.literal('workstation'), config: stationProgrammeConfigSchema }),
  ])
  .refine((p) => p.closesAt > p.opensAt, { path: ['closesAt'], message: 'closesAt must be after opensAt' });

export function configSchemaFor(kind: string) {
  return kind === 'workstation' ? stationProgrammeConfigSchema : programmeConfigSchema;
}
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

export async function createProgramme(prisma: PrismaClient, actor: Actor, input: NewProgramme, requestId: string, keep?: KeepAnswer) {
  try {
    const created = await inTransaction(prisma, async (tx) => {
      const config = input.config as unknown as Prisma.InputJsonValue;
      const p = await tx.programme.create({ data: { ...input, config, createdById: actor.id } });
      await tx.programmeVersion.create({ data: { programmeId: p.id, version: 1, config, createdById: actor.id } });
      await writeAudit(tx, { actor, action: 'programme.create', targetType: 'programme', targetId: p.id, after: present(p), requestId });
      await keep?.(tx, present(p));
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

/** A new configuration version, validated for the programme's kind. Running cases keep theirs until an officer migrates them. */
export async function reviseConfig(prisma: PrismaClient, actor: Actor, id: string, body: unknown, requestId: string) {
  const programme = await prisma.programme.findUnique({ where: { id } });
  if (!programme) throw problems.notFound('programme');
  const parsed = configSchemaFor(programme.kind).safeParse(body);
  if (!parsed.success) {
    throw problems.validation(parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })));
  }
  const config: ProgrammeConfig | StationProgrammeConfig = parsed.data;
  const updated = await inTransaction(prisma, async (tx) => {
    const before = await tx.programme.findUniqueOrThrow({ where: { id } });
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

export async function getConfigVersion<C = ProgrammeConfig>(prisma: PrismaClient, programmeId: string, version: number): Promise<C> {
  const v = await prisma.programmeVersion.findUnique({ where: { programmeId_version: { programmeId, version } } });
  if (!v) throw problems.notFound('configuration version');
  return v.config as unknown as C;
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
