import { patched, workflowInfo } from '@temporalio/workflow';
import type { CaseEvent, CaseKind } from '../../shared';
import { projection } from './activities';

/** Workflows that began before view tokens project them from their first flush after the deploy. */
export const VIEW_TOKEN_PATCH = 'project-view-token';

/**
 * Collects the events a workflow's transitions produce and hands them to the read-model projector
 * in order, one batch per flush, even when update handlers overlap. A case workflow also has its
 * view watched: a flush that finds the view changed since the last one projects a new view token
 * (a change counter within the run), so that the read model knows which view is current.
 */
export class Projector {
  private pending: CaseEvent[] = [];
  private tail: Promise<void> = Promise.resolve();
  private watched: { caseKind: CaseKind; caseId: string; view: () => unknown } | null = null;
  private lastView: string | null = null;
  private viewChanges = 0;

  readonly emit = (...events: CaseEvent[]): void => {
    this.pending.push(...events);
  };

  watchView(caseKind: CaseKind, caseId: string, view: () => unknown): void {
    this.watched = { caseKind, caseId, view };
  }

  flush(): Promise<void> {
    if (this.watched && patched(VIEW_TOKEN_PATCH)) {
      const view = JSON.stringify(this.watched.view());
      if (view !== this.lastView) {
        this.lastView = view;
        this.viewChanges += 1;
        const { caseKind, caseId } = this.watched;
        this.pending.push({ type: 'view', caseKind, caseId, token: `${workflowInfo().runId}:${this.viewChanges}` });
      }
    }
    const batch = this.pending.splice(0);
    if (batch.length > 0) this.tail = this.tail.then(() => projection.projectEvents(batch));
    return this.tail;
  }
}
