// `npm run record-histories`: runs each scenario that has no recorded history yet on the
// time-skipping server, and writes the history of the case (every run) and of every child workflow
// it started to test/histories. Recorded histories are kept as they are: they stand for the runs
// already in production. After a change of workflow code, add a scenario rather than re-record.
import fs from 'node:fs';
import path from 'node:path';
import { freshDatabase } from '../helpers/db';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal';
import { HISTORIES_DIR, scenarios } from './history-scenarios';

jest.setTimeout(600_000);

it('records the histories', async () => {
  const env = await startTimeSkippingServer();
  const db = freshDatabase();
  const worker = await startWorker(env.nativeConnection, db.prisma);
  try {
    const recorded = new Set(fs.readdirSync(HISTORIES_DIR).map((f) => f.replace(/--.*$|\.json$/g, '')));
    for (const [name, run] of Object.entries(scenarios)) {
      if (recorded.has(name)) continue;
      const result = await run(env, worker.taskQueue, db);
      const { workflowId: caseId, runIds } = typeof result === 'string' ? { workflowId: result, runIds: [undefined] } : result;
      const children: Array<{ id: string; type: string }> = [];
      for (const [r, runId] of runIds.entries()) {
        const history = await env.client.workflow.getHandle(caseId, runId).fetchHistory();
        for (const e of history.events!) {
          const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
          if (a) children.push({ id: a.workflowId!, type: a.workflowType!.name! });
        }
        // The message's own toJSON: historyToJSON trips over the two protobufjs copies Jest loads.
        // The workflow id is kept beside it: children's ids derive from it, so replay needs it.
        const file = runIds.length > 1 ? `${name}--run${r + 1}.json` : `${name}.json`;
        fs.writeFileSync(path.join(HISTORIES_DIR, file), JSON.stringify({ workflowId: caseId, history }));
      }
      for (const [i, child] of children.entries()) {
        const childHistory = await env.client.workflow.getHandle(child.id).fetchHistory();
        fs.writeFileSync(
          path.join(HISTORIES_DIR, `${name}--${i + 1}-${child.type}.json`),
          JSON.stringify({ workflowId: child.id, history: childHistory }),
        );
      }
    }
  } finally {
    await worker.stop();
    await env.teardown();
    await db.close();
  }
});
