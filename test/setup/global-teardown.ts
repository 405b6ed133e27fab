import fs from 'node:fs';
import type { DevServer } from '../../infra/temporal-dev-server';
import type { PostgresCluster } from '../helpers/postgres';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __pfDevServer?: DevServer; __pfPostgres?: PostgresCluster };
  await Promise.all([g.__pfDevServer?.stop(), g.__pfPostgres?.stop()]);
  if (process.env.PF_TEST_DIR) fs.rmSync(process.env.PF_TEST_DIR, { recursive: true, force: true });
}
