// `npm start`: the whole system on its embedded default (see infra/embedded.ts). Ctrl-C stops it in
// order: the API stops taking requests, the worker drains, then the Temporal dev server stops.
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../infra/config';
import { startEmbedded } from '../infra/embedded';
import { createLogger } from '../infra/logger';

async function main() {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'programme-flow');
  // We stop the worker ourselves, in order.
  Runtime.install({ shutdownSignals: [] });
  const system = await startEmbedded(config, logger);
  console.log(`\nProgramme Flow is running. Ctrl-C stops it.\n  ${system.lines.join('\n  ')}\n`);
  if (system.adminKey) console.log(`Administrator API key (shown once here; also in ${system.adminKeyFile}):\n  ${system.adminKey}\n`);

  const stop = async (signal: string) => {
    logger.info({ signal }, 'signal received');
    await system.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await system.workerDone.catch(async (err) => {
    logger.fatal({ err }, 'worker failed');
    await system.stop().catch(() => undefined);
    process.exit(1);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
