import { patched, workflowInfo } from '@temporalio/workflow';
import type { CaseEvent, CaseKind } from '../../shared';
import { localProjection, projection } from './activities';

/**
 * Workflows that began before this patch flush as they always did: one projector activity per
 * flush, and no view tokens. From their first flush after the deploy on (and from the start for
 * new ones), flushes are coalesced and the view is watched (below).
 */
export const PROJECTOR_PATCH = 'projector-coalesced-flushes-and-view-tokens';

/**
 * From this patch on, flushes are coalesced and views watched as above, and a batch is projected by
 * a local activity: an update that changes a case then answers in the one workflow task that took
 * it, where a projector activity cost an activity task and a second workflow task on the server (the
 * lifecycle bench's projector was 31 of a fund case's 38 activities). A workflow that began before
 * it takes this path from its first flush after the deploy; its history before then replays as it ran.
 */
export const PROJECTOR_LOCAL_PATCH = 'projector-local-activity';

/**
 * Collects the events a workflow's transitions produce and hands them to the read-model projector
 * in order, even when update handlers overlap.
 *
 * Flushes are coalesced: while one batch is being projected, every flush that follows waits for a
 * single next batch, which takes whatever is pending when the first one is done. Five reviewers
 * acting on one round at once cost two projector round trips, not five one after another.
 *
 * A case workflow also has its view watched: a flush that finds the view changed since the last
 * one projects the view with a new token (the run and a count of changes), so that the API reads the
 * current view from the read model. Only an activity's input changes with it, and replay does not
 * compare inputs: no patch.
 */
export class Projector {
  private pending: CaseEvent[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** The next batch, waiting for the one in flight; it takes the events pending when it starts. */
  private next: Promise<void> | null = null;
  private watched: { caseKind: CaseKind; caseId: string; view: () => unknown } | null = null;
  private lastView: string | null = null;
  private viewChanges = 0;

  readonly emit = (...events: CaseEvent[]): void => {
    this.pending.push(...events);
  };

  watchView(caseKind: CaseKind, caseId: string, view: () => unknown): void {
    this.watched = { caseKind, caseId, view };
  }

  /** Resolves once every event emitted so far is in the read model. Bound, to be handed on. */
  readonly flush = (): Promise<void> => {
    // The newest patch is asked first, and a workflow that has it never asks for the older one:
    // each patch a workflow asks for costs a marker and a search-attribute upsert on the server.
    const local = patched(PROJECTOR_LOCAL_PATCH);
    if (!local && !patched(PROJECTOR_PATCH)) {
      const batch = this.pending.splice(0);
      if (batch.length > 0) this.tail = this.tail.then(() => projection.projectEvents(batch));
      return this.tail;
    }
    if (this.watched) {
      const view = JSON.stringify(this.watched.view());
      if (view !== this.lastView) {
        this.lastView = view;
        this.viewChanges += 1;
        const { caseKind, caseId } = this.watched;
        this.pending.push({ type: 'view', caseKind, caseId, token: `${workflowInfo().runId}:${this.viewChanges}`, json: view });
      }
    }
    if (this.next) return this.next;
    if (this.pending.length === 0) return this.tail;
    const next = this.tail.then(() => {
      this.next = null;
      const batch = this.pending.splice(0);
      if (batch.length === 0) return undefined;
      return (local ? localProjection : projection).projectEvents(batch);
    });
    this.next = next;
    this.tail = next;
    return next;
  };
}
