import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db';
import type { Actor } from '../../shared';
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
    /** Programme rules (tiers, rubric, deadlines...). Kept as data and snapshotted per case. */
    config: z.record(z.string(), z.unknown()).default({}),
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
    const created = await prisma.$transaction(async (tx) => {
      const p = await tx.programme.create({
        data: { ...input, config: input.config as Prisma.InputJsonValue, createdById: actor.id },
      });
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
