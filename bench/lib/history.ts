// What a case costs in Temporal: its workflow and every child's history, counted and sized as the
// server stores them (protobuf-encoded events).
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** The marker the SDK's core records for each completed local activity. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface HistoryCost {
  workflows: number;
  events: number;
  bytes: number;
  updates: number;
  /** Activities scheduled on the server (ActivityTaskScheduled). */
  activities: number;
  /** Local activities (their markers). */
  localActivities: number;
}

export interface RecordedHistory {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

/** The histories of a workflow and of its children, recursively. */
export async function historiesOf(client: Client, workflowId: string): Promise<RecordedHistory[]> {
  const found: RecordedHistory[] = [];
  const queue = [workflowId];
  while (queue.length) {
    const id = queue.shift()!;
    const history = await client.workflow.getHandle(id).fetchHistory();
    found.push({ workflowId: id, history });
    for (const e of history.events ?? []) {
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      if (child) queue.push(child);
    }
  }
  return found;
}

/** A workflow's cost with its children's. */
export async function historyCost(client: Client, workflowId: string): Promise<HistoryCost> {
  const cost: HistoryCost = { workflows: 0, events: 0, bytes: 0, updates: 0, activities: 0, localActivities: 0 };
  for (const { history } of await historiesOf(client, workflowId)) {
    cost.workflows++;
    cost.bytes += temporal.api.history.v1.History.encode(history).finish().length;
    for (const e of history.events ?? []) {
      cost.events++;
      if (e.activityTaskScheduledEventAttributes) cost.activities++;
      if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) cost.localActivities++;
      if (e.workflowExecutionUpdateAcceptedEventAttributes) cost.updates++;
    }
  }
  return cost;
}

/** The mean cost over a sample of workflows. */
export async function meanHistoryCost(client: Client, ids: string[]): Promise<HistoryCost> {
  const sum: HistoryCost = { workflows: 0, events: 0, bytes: 0, updates: 0, activities: 0, localActivities: 0 };
  for (const id of ids) {
    const c = await historyCost(client, id);
    for (const k of Object.keys(sum) as Array<keyof HistoryCost>) sum[k] += c[k];
  }
  const n = Math.max(1, ids.length);
  return {
    workflows: Math.round((sum.workflows / n) * 10) / 10,
    events: Math.round(sum.events / n),
    bytes: Math.round(sum.bytes / n),
    updates: Math.round((sum.updates / n) * 10) / 10,
    activities: Math.round((sum.activities / n) * 10) / 10,
    localActivities: Math.round((sum.localActivities / n) * 10) / 10,
  };
}
