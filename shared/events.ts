import type { Actor } from './roles';
import type { StageChange, TrancheView } from './application-messages';
import type { AssignmentView, MilestoneCheckView, ObjectionFiler, ObjectionView } from './child-messages';
import type { WaitingOn } from './stages';

/** The kinds of long-running case; child workflows and the projector serve them all. */
export type CaseKind = 'application' | 'station';

/**
 * Facts that workflows hand to the read-model projector (activities/projector.ts). Each carries what
 * makes it idempotent: a stage sequence number, a revision number or a key.
 */
export type CaseEvent =
  | { type: 'stage'; caseKind: CaseKind; caseId: string; change: StageChange<string> }
  | { type: 'facts'; caseId: string; configVersion: number; award: { tier: string; amountFen: number } | null }
  | { type: 'assignment'; caseId: string; id: string; round: number; rev: number; assignment: AssignmentView }
  | {
      type: 'objection';
      caseId: string;
      noticeId: string;
      /** The workflow that takes its resolution (the notice's own, or its case's); absent from events made before it was said. */
      workflowId?: string;
      rev: number;
      objection: ObjectionView;
      filer: ObjectionFiler;
      resolvedById: string | null;
    }
  | { type: 'tranche'; caseId: string; rev: number; tranche: TrancheView }
  | {
      type: 'milestone';
      caseId: string;
      id: string;
      /** The workflow that takes its report and score (the check's own, or its case's); absent from events made before it was said. */
      workflowId?: string;
      rev: number;
      milestone: MilestoneCheckView;
      reportSummary: string | null;
    }
  | {
      type: 'notify';
      key: string;
      caseId: string;
      to: { userId: string } | { role: 'officer' | 'finance' };
      kind: string;
      message: string;
      dueAt?: string | null;
    }
  | {
      type: 'audit';
      key: string;
      caseKind: CaseKind;
      caseId: string;
      actor: Actor | null;
      action: string;
      detail?: Record<string, unknown>;
      reason?: string;
      requestId?: string;
    }
  | {
      /**
       * The case's view (its workflow's view query) changed: `token` names the new one (the run and
       * a count of changes) and `json` is the view itself. The API reads views from the read model,
       * not by querying the workflow: a query can make a worker run a case forward outside a
       * workflow task (docs/operations.md). Batches scheduled by workflow code older than `json`
       * carry the token alone.
       */
      type: 'view';
      caseKind: CaseKind;
      caseId: string;
      token: string;
      json?: string;
    }
  | {
      type: 'credit';
      caseId: string;
      subjects: Array<{ kind: 'unit' | 'lead' | 'member'; name: string; userId?: string }>;
      consequence: string;
      reason: string;
      at: string;
    };

export type { WaitingOn };
