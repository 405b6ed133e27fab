import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';

interface Kept {
  /** What the view was read at: a view token from the read model, or a run and history length. */
  stamp: string;
  view: unknown;
}

/** A case row's projected view (CaseEvent 'view'): its token, and the view as JSON. */
export interface ProjectedView {
  viewToken?: string | null;
  viewJson?: string | null;
}

/**
 * A case's live view (its workflow's view query), kept by the API process with what names the state
 * it was read at, so that a case read asks nothing of Temporal while the case stands still.
 *
 * - With a projected view (the read model's `viewJson` under its `viewToken`, written by the
 *   workflow whenever its view changes: workflows/lib/projector.ts), the view is the row's: the read
 *   costs Temporal nothing, and the view is parsed once per token. While a workflow's projection is
 *   in flight, reads show the view of the last one that landed, as the row beside it does; an
 *   action's own answer waits for its projection.
 * - Without one (a case whose workflow has not projected a view yet, or whose code predates
 *   `viewJson`), the workflow is asked: with a token, once per token; without, described (answered
 *   by the server alone) and kept with its run and history length, as a workflow's state is a
 *   function of its history.
 *
 * Reading the projection rather than asking is not only cheaper. A query that reaches a worker after
 * another worker was killed can make it run the case forward outside a workflow task, and the history
 * it then records does not replay (docs/operations.md, "A case stopped by a nondeterminism error").
 * Kept views belong to the workflow code that answered them: after a deploy that changes a view's
 * shape, a case shows the new shape from its next change (or the API's restart) on.
 */
export class LiveViews {
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly temporal: Client,
    private readonly capacity = 10_000,
  ) {}

  async get<T>(workflowId: string, query: QueryDefinition<T>, projected?: ProjectedView): Promise<T> {
    // A handle only when Temporal is asked: a read of a kept or projected view needs none.
    let handle: ReturnType<Client['workflow']['getHandle']> | undefined;
    const workflow = () => (handle ??= this.temporal.workflow.getHandle(workflowId));
    const key = `${workflowId}\u0000${query.name}`;
    let stamp: string;
    if (projected?.viewToken) {
      stamp = `token\u0000${projected.viewToken}`;
    } else {
      // Described before the query: a view read later than its stamp is only ever newer, and the
      // next read, finding the history longer, asks again.
      const { runId, historyLength } = await workflow().describe();
      stamp = `history\u0000${runId}\u0000${historyLength}`;
    }
    const kept = this.kept.get(key);
    if (kept && kept.stamp === stamp) {
      // Most recently used last: Map keeps insertion order, so the oldest is evicted first.
      this.kept.delete(key);
      this.kept.set(key, kept);
      return kept.view as T;
    }
    const view = projected?.viewToken && projected.viewJson ? (JSON.parse(projected.viewJson) as T) : await workflow().query(query);
    this.kept.delete(key);
    this.kept.set(key, { stamp, view });
    if (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!);
    return view;
  }
}
