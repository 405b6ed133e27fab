import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../infra/db';
import type { ApplicationWorkflowInput } from '../../shared';
import { type ProgrammeConfigInput, programmeConfigSchema } from '../../shared/programme-config';
import { fundConfig } from './fixtures';

export interface SeededProgramme {
  programmeId: string;
  config: ReturnType<typeof programmeConfigSchema.parse>;
  window: { opensAt: Date; closesAt: Date };
}

/** A programme as the API would store it (config validated and defaulted by the same schema). */
export async function seedProgramme(
  prisma: PrismaClient,
  window: { opensAt: Date; closesAt: Date },
  opts: { config?: ProgrammeConfigInput; budgetFen?: bigint } = {},
): Promise<SeededProgramme> {
  const config = programmeConfigSchema.parse(opts.config ?? fundConfig());
  const officer = await prisma.user.create({
    data: { email: `officer-${randomUUID()}@zone.cn`, displayName: 'Officer Li', role: 'officer' },
  });
  const programme = await prisma.programme.create({
    data: {
      code: `FS-${randomUUID().slice(0, 8)}`,
      title: 'Talent-team fund',
      kind: 'talent_fund',
      budgetFen: opts.budgetFen ?? 9_700_000_000n,
      opensAt: window.opensAt,
      closesAt: window.closesAt,
      config: config as never,
      createdById: officer.id,
    },
  });
  await prisma.programmeVersion.create({ data: { programmeId: programme.id, version: 1, config: config as never, createdById: officer.id } });
  return { programmeId: programme.id, config, window };
}

/** An applicant and a draft in a programme, with the workflow input the submit use case would build. */
export async function seedApplication(
  prisma: PrismaClient,
  programme: SeededProgramme,
  overrides: { field?: string; unitName?: string; members?: string[] } = {},
): Promise<ApplicationWorkflowInput> {
  const applicant = await prisma.user.create({
    data: { email: `lead-${randomUUID()}@team.cn`, displayName: 'Team Lead Wang', role: 'applicant' },
  });
  const app = await prisma.application.create({
    data: {
      programmeId: programme.programmeId,
      applicantId: applicant.id,
      title: 'Solid-state battery pilot line',
      summary: 'A pilot line',
      field: overrides.field ?? 'new-energy',
      requestedFen: 800_000_000n,
      unitName: overrides.unitName ?? `Nanhai Cell Technology ${randomUUID().slice(0, 6)}`,
      members: overrides.members ?? ['Li Na', 'Zhou Qiang'],
    },
  });
  return {
    applicationId: app.id,
    applicantId: applicant.id,
    programme: {
      id: programme.programmeId,
      configVersion: 1,
      opensAt: programme.window.opensAt.toISOString(),
      closesAt: programme.window.closesAt.toISOString(),
      config: programme.config,
    },
    application: {
      title: app.title,
      field: app.field,
      requestedFen: Number(app.requestedFen),
      summaryLength: app.summary.length,
      unitName: app.unitName,
      leadName: applicant.displayName,
      members: (app.members as string[]) ?? [],
    },
  };
}

/** Reviewers in the pool for a field. */
export async function seedReviewers(prisma: PrismaClient, count: number, field = 'new-energy'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await prisma.user.create({
      data: { email: `reviewer-${randomUUID()}@experts.cn`, displayName: `Prof. ${i + 1}`, role: 'reviewer', expertise: [field] },
    });
    ids.push(r.id);
  }
  return ids;
}
