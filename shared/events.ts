import type { Actor } from './roles';
import type { StageChange, TrancheView } from './application-messages';
import type { AssignmentView, MilestoneCheckView, ObjectionFiler, ObjectionView } from './child-messages';
import type { WaitingOn } from './stages';

/**
 * Facts that workflows hand to the read-model projector (activities/projector.ts). Each carries what
 * makes it idempotent: a stage sequence number, a revision number or a key.
 */
export type CaseEvent =
  | { type: 'stage'; applicationId: string; change: StageChange }
  | { type: 'facts'; applicationId: string; configVersion: number; award: { tier: string; amountFen: number } | null }
  | { type: 'assignment'; applicationId: string; id: string; round: number; rev: number; assignment: AssignmentView }
  | {
      type: 'objection';
      applicationId: string;
      noticeId: string;
      rev: number;
      objection: ObjectionView;
      filer: ObjectionFiler;
      resolvedById: string | null;
    }
  | { type: 'tranche'; applicationId: string; rev: number; tranche: TrancheView }
  | { type: 'milestone'; applicationId: string; id: string; rev: number; milestone: MilestoneCheckView; reportSummary: string | null }
  | {
      type: 'notify';
      key: string;
      applicationId: string;
      to: { userId: string } | { role: 'officer' | 'finance' };
      kind: string;
      message: string;
      dueAt?: string | null;
    }
  | {
      type: 'audit';
      key: string;
      applicationId: string;
      actor: Actor | null;
      action: string;
      detail?: Record<string, unknown>;
      reason?: string;
      requestId?: string;
    }
  | {
      type: 'credit';
      applicationId: string;
      subjects: Array<{ kind: 'unit' | 'lead' | 'member'; name: string; userId?: string }>;
      consequence: string;
      reason: string;
      at: string;
    };

export type { WaitingOn };
