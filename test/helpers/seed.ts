import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../infra/db';
import type { ApplicationWorkflowInput } from '../../shared';

/**
 * Rows an application workflow writes to: an applicant, a programme and a submitted draft, with
 * the workflow input that the submit use case would build for them.
 */
export async function seedApplication(
  prisma: PrismaClient,
  window: { opensAt: Date; closesAt: Date },
): Promise<ApplicationWorkflowInput> {
  const applicant = await prisma.user.create({
    data: { email: `lead-${randomUUID()}@team.cn`, displayName: 'Team Lead Wang', role: 'applicant' },
  });
  const programme = await prisma.programme.create({
    data: {
      code: `FS-${randomUUID().slice(0, 8)}`,
      title: 'Talent-team fund',
      kind: 'talent_fund',
      budgetFen: 9_700_000_000n,
      opensAt: window.opensAt,
      closesAt: window.closesAt,
      config: {},
      createdById: applicant.id,
    },
  });
  const app = await prisma.application.create({
    data: {
      programmeId: programme.id,
      applicantId: applicant.id,
      title: 'Solid-state battery pilot line',
      summary: '',
      field: 'new-energy',
      requestedFen: 800_000_000n,
    },
  });
  return {
    applicationId: app.id,
    applicantId: applicant.id,
    programme: {
      id: programme.id,
      configVersion: programme.configVersion,
      opensAt: window.opensAt.toISOString(),
      closesAt: window.closesAt.toISOString(),
    },
  };
}
