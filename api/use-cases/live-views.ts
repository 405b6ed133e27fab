import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';

interface Kept {
  /** What the view was read at: a view token from the read model, or a run and history length. */
  stamp: string;
  view: unknown;
}

/**
 * A case's live view (its workflow's view query), kept by the API process with what names the state
 * it was read at, so that a case read asks its workflow only when the case has moved.
 *
 * - With a view token (the read model's `viewToken`, projected by the workflow whenever its view
 *   changes: workflows/lib/projector.ts), the kept view is current while the row's token is the one
 *   it was kept with: the read costs Temporal nothing. The token is read before the query, so a view
 *   kept under a token is never older than the token's view (a newer one is replaced at the next
 *   token). While a workflow's projection is in flight, reads show the view of the last one that
 *   landed, as the row beside it does; an action's own answer waits for its projection.
 * - Without one (a case whose workflow has not projected a token yet), the workflow is described
 *   (answered by the server alone) and the view kept with its run and history length: a workflow's
 *   state is a function of its history (that is what replay relies on).
 *
 * A query travels to a worker, which answers a workflow's queries one at a time (and replays a
 * closed workflow's whole history to answer one). Kept views belong to the workflow code that
 * answered them: after a deploy that changes a view's shape, a case shows the new shape from its
 * next change (or the API's restart) on.
 */
export class LiveViews {
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly temporal: Client,
    private readonly capacity = 10_000,
  ) {}

  async get<T>(workflowId: string, query: QueryDefinition<T>, viewToken?: string | null): Promise<T> {
    // A handle only when Temporal is asked: a read of a kept view under its token needs none.
    let handle: ReturnType<Client['workflow']['getHandle']> | undefined;
    const workflow = () => (handle ??= this.temporal.workflow.getHandle(workflowId));
    const key = `${workflowId}\u0000${query.name}`;
    let stamp: string;
    if (viewToken) {
      stamp = `token\u0000${viewToken}`;
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
    const view = await workflow().query(query);
    this.kept.delete(key);
    this.kept.set(key, { stamp, view });
    if (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!);
    return view;
  }
}
