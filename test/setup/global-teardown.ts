import fs from 'node:fs';
import type { DevServer } from '../../infra/temporal-dev-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __pfDevServer?: DevServer }).__pfDevServer?.stop();
  if (process.env.PF_TEST_DIR) fs.rmSync(process.env.PF_TEST_DIR, { recursive: true, force: true });
}
