import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { NotifyConfig } from '../../activities/notifications';
import type { PrismaClient } from '../../infra/db';
import { timeSkippingServerPath } from '../../infra/tools';
import { createWorker } from '../../worker/worker';

export function workflowBundle(): { codePath: string } {
  const codePath = process.env.PF_TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('PF_TEST_WORKFLOW_BUNDLE is not set: run tests through jest');
  return { codePath };
}

export function devServerAddress(): string {
  const address = process.env.PF_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('PF_TEST_TEMPORAL_ADDRESS is not set: run tests through jest');
  return address;
}

export function uniqueTaskQueue(): string {
  return `test-${randomUUID()}`;
}

/** The time-skipping test server, from tools/ (installed by scripts/install-tools.sh). */
export function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: timeSkippingServerPath() } },
  });
}

/** The project's real worker (real activities, real database) on a task queue of its own. */
export async function startWorker(connection: NativeConnection, prisma: PrismaClient, taskQueue = uniqueTaskQueue(), notify?: NotifyConfig) {
  const worker: Worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    prisma,
    notify,
    workflowBundle: workflowBundle(),
  });
  const running = worker.run();
  return {
    worker,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

export { NativeConnection };

export interface TimeSkippingContext {
  env: TestWorkflowEnvironment;
  db: import('./db').TestDatabase;
  taskQueue: string;
}

/**
 * For a test file: a time-skipping server, a database of its own and the real worker, started
 * before the tests and stopped after them. Read the fields inside tests, not at load time.
 */
export function useTimeSkippingWorker(): TimeSkippingContext {
  const ctx = {} as TimeSkippingContext;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  beforeAll(async () => {
    const { freshDatabase } = await import('./db');
    ctx.env = await startTimeSkippingServer();
    ctx.db = freshDatabase();
    worker = await startWorker(ctx.env.nativeConnection, ctx.db.prisma);
    ctx.taskQueue = worker.taskQueue;
  });
  afterAll(async () => {
    await worker?.stop();
    await ctx.env?.teardown();
    await ctx.db?.close();
  });
  return ctx;
}
