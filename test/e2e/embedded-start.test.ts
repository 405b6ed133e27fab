// The README's start command, as a user runs it: the whole system comes up, takes a submission,
// survives `kill -9` of every process and a restart, and stops cleanly on Ctrl-C (SIGINT).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/tools';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { freePort } from '../../infra/net';

jest.setTimeout(240_000);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'programme-flow-e2e-'));
let ports: { api: number; temporal: number; ui: number };
let launcher: ChildProcess | null = null;
const taskQueue = `e2e-${randomUUID()}`;

beforeAll(async () => {
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
});

afterAll(() => {
  killEverything();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `npm start`'s program and resolves once it prints that it is running. */
function start(): Promise<ChildProcess> {
  const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/start.ts'], {
    cwd: PROJECT_ROOT,
    detached: true, // a process group of its own, to kill as a whole
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      DATABASE_URL: `file:${path.join(dataDir, 'app.db')}`,
      PORT: String(ports.api),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher = child;
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (b: Buffer) => {
      output += b.toString();
      if (output.includes('Programme Flow is running')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${output}`)));
  });
}

function devServerPid(): number {
  return Number(fs.readFileSync(path.join(dataDir, 'temporal-dev-server.pid'), 'utf8'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killEverything(): void {
  for (const kill of [() => process.kill(-launcher!.pid!, 'SIGKILL'), () => process.kill(devServerPid(), 'SIGKILL')]) {
    try {
      kill();
    } catch {
      // already gone
    }
  }
}

async function call(method: string, url: string, key?: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${ports.api}${url}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('starts, submits, survives kill -9 and a restart, and stops on SIGINT', async () => {
  await start();
  const adminKey = fs.readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
  expect((await call('GET', '/healthz')).status).toBe(200);

  const officer = await call('POST', '/users', adminKey, { email: 'officer@zone.cn', displayName: 'Officer Li', role: 'officer' });
  const applicant = await call('POST', '/users', adminKey, { email: 'lead@team.cn', displayName: 'Lead Wang', role: 'applicant' });
  const programme = await call('POST', '/programmes', officer.body.apiKey, programmeBody());
  const draft = await call('POST', '/applications', applicant.body.apiKey, draftBody(programme.body.id));
  const submitted = await call('POST', `/applications/${draft.body.id}/submit`, applicant.body.apiKey);
  expect(submitted.status).toBe(200);
  expect(submitted.body.stage).toBe('submitted');

  // The Temporal web UI's API lists the workflow under the application's id.
  await waitFor('the UI to list the workflow', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.ui}/api/v1/namespaces/default/workflows`);
    const text = await res.text();
    return text.includes(draft.body.id) ? true : undefined;
  });

  // kill -9 of the whole process tree: the launcher's group and the dev server's.
  const serverPid = devServerPid();
  killEverything();
  await waitFor('every process to die', async () => (!alive(serverPid) && !alive(launcher!.pid!) ? true : undefined));

  await start();
  const after = await call('GET', `/applications/${draft.body.id}`, applicant.body.apiKey);
  expect(after.status).toBe(200);
  expect(after.body.stage).toBe('submitted');
  expect(after.body.workflow).toMatchObject({ stage: 'submitted' });
  // The workflow still takes updates after the restart.
  const withdrawn = await call('POST', `/applications/${draft.body.id}/withdraw`, applicant.body.apiKey, { reason: 'e2e' });
  expect(withdrawn.body.stage).toBe('withdrawn');

  // Ctrl-C: everything stops, the dev server too, and the launcher exits 0.
  const exited = new Promise<number | null>((resolve) => launcher!.once('exit', resolve));
  const secondServerPid = devServerPid();
  process.kill(launcher!.pid!, 'SIGINT');
  expect(await exited).toBe(0);
  expect(alive(secondServerPid)).toBe(false);
});
