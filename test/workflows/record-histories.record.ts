// `npm run record-histories`: runs each scenario on the time-skipping server and writes the history
// of the case and of every child workflow it started to test/histories. Re-record only paths whose
// old histories no running case can still have.
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
    for (const f of fs.readdirSync(HISTORIES_DIR)) if (f.endsWith('.json')) fs.rmSync(path.join(HISTORIES_DIR, f));
    for (const [name, run] of Object.entries(scenarios)) {
      const caseId = await run(env, worker.taskQueue, db);
      const history = await env.client.workflow.getHandle(caseId).fetchHistory();
      const children = history.events!
        .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
        .filter((a) => !!a)
        .map((a) => ({ id: a!.workflowId!, type: a!.workflowType!.name! }));
      // The message's own toJSON: historyToJSON trips over the two protobufjs copies Jest loads.
      // The workflow id is kept beside it: children's ids derive from it, so replay needs it.
      fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), JSON.stringify({ workflowId: caseId, history }));
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
