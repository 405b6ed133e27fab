import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
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
export async function startWorker(connection: NativeConnection, prisma: PrismaClient, taskQueue = uniqueTaskQueue()) {
  const worker: Worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    prisma,
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
