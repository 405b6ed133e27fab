// `npm run record-histories`: runs each scenario on the time-skipping server and writes its history
// to test/histories. Re-record only paths whose old histories no running case can still have.
import fs from 'node:fs';
import path from 'node:path';
import { freshDatabase } from '../helpers/db';
import { startTimeSkippingServer, startWorker } from '../helpers/temporal';
import { HISTORIES_DIR, scenarios } from './history-scenarios';

it('records the histories', async () => {
  const env = await startTimeSkippingServer();
  const db = freshDatabase();
  const worker = await startWorker(env.nativeConnection, db.prisma);
  try {
    for (const [name, run] of Object.entries(scenarios)) {
      const workflowId = await run(env, worker.taskQueue, db);
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      // historyToJSON trips over the two protobufjs copies Jest loads; the message's own toJSON is equivalent.
      fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), JSON.stringify(history, null, 1));
    }
  } finally {
    await worker.stop();
    await env.teardown();
    await db.close();
  }
});
