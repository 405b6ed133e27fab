import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';

interface Kept {
  runId: string;
  historyLength: number;
  view: unknown;
}

/**
 * A case's live view (its workflow's view query), kept by the API process with the run and the
 * length of the history it was read at. A workflow's state is a function of its history (that is
 * what replay relies on), so while the server describes the same run with the same number of
 * events, the kept view is still the workflow's. Describing is answered by the server alone; a
 * query travels to a worker, which answers a workflow's queries one at a time (and replays a
 * closed workflow's whole history to answer one).
 *
 * Kept views belong to the workflow code that answered them: after a deploy that changes a view's
 * shape, a case shows the new shape from its next event (or the API's restart) on.
 */
export class LiveViews {
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly temporal: Client,
    private readonly capacity = 10_000,
  ) {}

  async get<T>(workflowId: string, query: QueryDefinition<T>): Promise<T> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    const key = `${workflowId}\u0000${query.name}`;
    // Described before the query: a view read later than its stamp is only ever newer, and the
    // next read, finding the history longer, asks again.
    const { runId, historyLength } = await handle.describe();
    const kept = this.kept.get(key);
    if (kept && kept.runId === runId && kept.historyLength === historyLength) {
      // Most recently used last: Map keeps insertion order, so the oldest is evicted first.
      this.kept.delete(key);
      this.kept.set(key, kept);
      return kept.view as T;
    }
    const view = await handle.query(query);
    this.kept.delete(key);
    this.kept.set(key, { runId, historyLength, view });
    if (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!);
    return view;
  }
}
