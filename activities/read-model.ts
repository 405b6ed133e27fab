import { Context } from '@temporalio/activity';
import type { PrismaClient } from '../generated/prisma/client';
import type { StageChange } from '../shared';

/**
 * Writes a stage change to the read model: the application's current stage, its stage history and
 * an audit entry, in one transaction. Idempotent: keyed by workflow id and change sequence, so a
 * retried or replayed activity writes each change once and never moves a case backwards.
 */
export function readModelActivities(prisma: PrismaClient) {
  return {
    async recordStageChange(applicationId: string, change: StageChange): Promise<void> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? applicationId;
      const at = new Date(change.at);
      await prisma.$transaction(async (tx) => {
        await tx.stageHistory.upsert({
          where: { applicationId_seq: { applicationId, seq: change.seq } },
          create: {
            applicationId,
            seq: change.seq,
            stage: change.to,
            enteredAt: at,
            actorId: change.actor?.id,
            reason: change.reason,
          },
          update: {},
        });
        await tx.application.updateMany({
          where: { id: applicationId, stageSeq: { lt: change.seq } },
          data: {
            stage: change.to,
            stageSeq: change.seq,
            ...(change.to === 'submitted' ? { submittedAt: at, workflowId } : {}),
          },
        });
        await tx.auditEntry.upsert({
          where: { idempotencyKey: `${workflowId}:stage:${change.seq}` },
          create: {
            idempotencyKey: `${workflowId}:stage:${change.seq}`,
            at,
            actorId: change.actor?.id,
            actorRole: change.actor?.role ?? 'system',
            action: `application.${change.to}`,
            targetType: 'application',
            targetId: applicationId,
            before: { stage: change.from },
            after: { stage: change.to },
            reason: change.reason,
            requestId: change.requestId,
          },
          update: {},
        });
      });
    },
  };
}
