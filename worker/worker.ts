import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { notificationDispatcherWorkflow } from '../workflows';
import { createActivities } from '../activities';
import type { NotifyConfig } from '../activities/notifications';
import type { PrismaClient } from '../infra/db';
import type { ReadStore } from '../infra/read-store';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  prisma: PrismaClient;
  /** The process's read store, for the activities' reads; plain SQL through `prisma` when not given. */
  reads?: ReadStore;
  notify?: NotifyConfig;
  /** A prebuilt workflow bundle (tests build one for all files); otherwise the source is bundled. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  interceptors?: WorkerOptions['interceptors'];
  /** WORKER_MAX_CACHED_WORKFLOWS; unset, the SDK's default. */
  maxCachedWorkflows?: number;
}

export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: createActivities({ prisma: deps.prisma, reads: deps.reads, notify: deps.notify }),
    interceptors: deps.interceptors,
    maxCachedWorkflows: deps.maxCachedWorkflows,
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
  });
}

/** Starts the notification dispatcher unless it runs already (one per namespace and task queue). */
export async function ensureDispatcher(client: Client, taskQueue: string, idleMs: number): Promise<void> {
  await client.workflow.start<typeof notificationDispatcherWorkflow>('notificationDispatcherWorkflow', {
    workflowId: `notification-dispatcher-${taskQueue}`,
    taskQueue,
    args: [{ idleMs }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
