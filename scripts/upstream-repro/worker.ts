import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './activities';

Runtime.install({ logger: new DefaultLogger('WARN') });

async function main(): Promise<void> {
  const [address, taskQueue] = process.argv.slice(2) as [string, string];
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('./workflow'), activities });
  console.log(`worker ${process.pid} polling`);
  await worker.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
