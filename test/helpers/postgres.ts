import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../infra/net';
import { PROJECT_ROOT } from '../../infra/tools';

const run = promisify(execFile);
const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'postgres.sh');

/** A private PostgreSQL cluster run by scripts/postgres.sh (installed from Debian if missing). */
export interface PostgresCluster {
  port: number;
  url(database: string): string;
  /** CREATE DATABASE, from a template when given (a migrated one makes a test database in milliseconds). */
  createDatabase(name: string, template?: string): void;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Whether this jest run is the PostgreSQL pass (`npm run test:postgres`). */
export const testingOnPostgres = () => process.env.PF_TEST_DATABASE === 'postgres';

/** Starts a cluster in `<dir>/pg` on a free port; fsync off, as nothing in it outlives the run. */
export async function startPostgresCluster(dir: string): Promise<PostgresCluster> {
  // The server runs as the postgres user (never as root), which must reach the data directory.
  fs.chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  const port = await freePort();
  await run('bash', [SCRIPT, 'start', dataDir, String(port), '--no-fsync']);
  return postgresCluster(port, dataDir);
}

/** The cluster of a running server (a test file reaches the run's cluster by its port). */
export function postgresCluster(port: number, dataDir?: string): PostgresCluster {
  const urlOfX = execFileSync('bash', [SCRIPT, 'url', String(port), 'x'], { encoding: 'utf8' }).trim();
  const url = (database: string) => urlOfX.replace(/\/x$/, `/${database}`);
  return {
    port,
    url,
    createDatabase(name, template) {
      const args = [SCRIPT, 'createdb', String(port), name, ...(template ? [template] : [])];
      // Two databases copied from one template at the same moment: PostgreSQL refuses the second
      // while the first copy holds the template ("is being accessed by other users"); try again.
      for (let attempt = 1; ; attempt++) {
        try {
          execFileSync('bash', args, { stdio: ['ignore', 'ignore', 'pipe'] });
          return;
        } catch (err) {
          const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
          if (attempt >= 20 || !/being accessed by other users/.test(stderr)) throw new Error(`createdb ${name} failed: ${stderr}`);
          execFileSync('sleep', ['0.1']);
        }
      }
    },
    async dropDatabase(name) {
      await run('psql', [url('postgres'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
    },
    async stop() {
      if (dataDir) await run('bash', [SCRIPT, 'stop', dataDir]);
    },
  };
}
