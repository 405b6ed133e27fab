// `npm run bench [-- --quick] [-- --only lifecycle,api,scale,contention] [-- --profile]`
//
// Starts the embedded system in a process of its own (fresh data directory under bench/.data, free
// ports), measures, and writes the figures with the machine's description: a default run to
// bench/results/<date>.json and the table in bench/README.md; a quick run (a couple of minutes, for
// trying the bench out) to bench/.data/quick.json and bench/.data/quick.md only. Every figure stands
// beside a baseline measured in the same run, because absolute times drift from run to run and
// machine to machine. Nothing here fails because the machine is slow.
import { execSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPrismaClient } from '../infra/db';
import { type BenchContext, type ModuleResult } from './lib/context';
import { Api, log } from './lib/http';
import { type ProfileSummary, type WindowedThreads, lifecycleThreads, summariseProfile } from './lib/profile';
import { renderMarkdown, writeReadme } from './report';
import type { ServerInfo } from './server';
import { api } from './modules/api';
import { burst } from './modules/burst';
import { contention } from './modules/contention';
import { lifecycle } from './modules/lifecycle';
import { scale } from './modules/scale';

export const MODULES = { lifecycle, burst, contention, api, scale } as const;
type ModuleName = keyof typeof MODULES;

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  machine: ReturnType<typeof machine>;
  commit: string;
  modules: Partial<Record<ModuleName, ModuleResult & { seconds: number }>>;
  profile?: ProfileSummary & { file: string; lifecycle?: WindowedThreads | null };
  /** Modules that failed, with their error: the others' figures stand. */
  failed?: Record<string, string>;
}

function parseArgs(argv: string[]) {
  const quick = argv.includes('--quick');
  const profile = argv.includes('--profile');
  const i = argv.indexOf('--only');
  const only = i >= 0 ? argv[i + 1]!.split(',') : Object.keys(MODULES);
  for (const m of only) if (!(m in MODULES)) throw new Error(`--only: no module '${m}' (there are ${Object.keys(MODULES).join(', ')})`);
  return { quick, profile, only: only as ModuleName[] };
}

function machine() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuMHz: cpus[0]?.speed ?? 0,
    totalMemMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    // glibc's malloc arenas in the system under test, from the environment it was started in (bench/README.md).
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? 'glibc default',
  };
}

function gitCommit(): string {
  try {
    const sha = execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '';
    return sha + dirty;
  } catch {
    return 'unknown';
  }
}

/** Starts bench/server.ts in its own process and waits until it says where it listens. */
function startServer(dataDir: string, profileDir: string | null) {
  const child = fork(path.join(__dirname, 'server.ts'), [], {
    execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    env: { ...process.env, BENCH_DATA_DIR: dataDir },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise<ServerInfo>((resolve, reject) => {
    child.on('message', (m: { ready?: ServerInfo }) => m.ready && resolve(m.ready));
    child.once('exit', (code) => reject(new Error(`the system under test exited (${code}) before it was ready`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ stop: true });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, ready, stop };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, '..');
  const startedAt = new Date();
  const results: BenchResults = {
    date: startedAt.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: args.quick,
    machine: machine(),
    commit: gitCommit(),
    modules: {},
  };
  log(`${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.totalMemMb} MB, node ${results.machine.node}, load ${results.machine.loadAverageAtStart.join(' ')}`);
  const dataDir = path.join(root, 'bench', '.data', `run-${startedAt.toISOString().replace(/[:.]/g, '-')}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const profileDir = args.profile ? path.join(dataDir, 'profile') : null;
  log(`starting the system under test in ${path.relative(root, dataDir)}`);
  const server = startServer(dataDir, profileDir);
  const info = await server.ready;
  log(`API ${info.apiUrl}, baselines ${info.bareUrl}, Temporal ${info.temporalAddress}`);

  const prisma = createPrismaClient(info.databaseUrl, 60_000);
  const connection = await Connection.connect({ address: info.temporalAddress });
  const ctx: BenchContext = { quick: args.quick, api: new Api(info.apiUrl), bare: new Api(info.bareUrl), info, prisma, temporal: new Client({ connection }), shared: {} };
  // What has been measured is kept as the run goes: a module that fails (or a run cut short) loses
  // only its own figures.
  const progressFile = path.join(dataDir, 'results-so-far.json');
  const keep = () => fs.writeFileSync(progressFile, JSON.stringify(results, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2));
  try {
    for (const name of args.only) {
      const t0 = Date.now();
      log(`— ${name} —`);
      try {
        const r = await MODULES[name](ctx);
        results.modules[name] = { ...r, seconds: Math.round((Date.now() - t0) / 1000) };
        log(`${name} done in ${results.modules[name]!.seconds} s`);
      } catch (err) {
        results.failed = { ...results.failed, [name]: String((err as Error).stack ?? err).slice(0, 2_000) };
        const cause = (err as Error).cause;
        log(`${name} FAILED: ${(err as Error).message}${cause ? ` (${String((cause as Error).stack ?? cause).slice(0, 500)})` : ''}`);
      }
      keep();
    }
  } finally {
    await connection.close();
    await prisma.$disconnect();
    await server.stop();
  }
  if (profileDir) {
    const profiles = fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    // One profile per thread: the main thread (API, activities, Prisma) is the largest; the others
    // are the workflow threads and tsx's loader.
    const main = profiles.map((f) => path.join(profileDir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    if (main) {
      results.profile = { file: path.relative(root, main), ...summariseProfile(main, 15) };
      log(`CPU profile of the system under test's main thread: ${results.profile.file}`);
      for (const p of results.profile.byPlace.slice(0, 10)) log(`  ${String(p.share).padStart(5)}%  ${p.place}`);
      const windows = results.modules.lifecycle?.data?.profileWindows as Parameters<typeof lifecycleThreads>[1] | undefined;
      if (windows) results.profile.lifecycle = lifecycleThreads(profiles.map((f) => path.join(profileDir, f)), windows);
    }
  }

  const json = JSON.stringify(results, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2);
  if (results.failed) process.exitCode = 1;
  if (args.quick || args.only.length < Object.keys(MODULES).length || results.failed) {
    const out = path.join(root, 'bench', '.data', args.quick ? 'quick' : 'partial');
    fs.writeFileSync(`${out}.json`, json);
    fs.writeFileSync(`${out}.md`, renderMarkdown(results, null));
    log(`wrote ${path.relative(root, out)}.json and .md (a quick, partial or failed run does not replace the committed results)`);
  } else {
    fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    const file = path.join(root, 'bench', 'results', `${results.date.slice(0, 10)}.json`);
    fs.writeFileSync(file, json);
    writeReadme(path.join(root, 'bench', 'README.md'), results, path.relative(path.join(root, 'bench'), file));
    log(`wrote ${path.relative(root, file)} and the table in bench/README.md`);
  }
  console.log(`\n${renderMarkdown(results, null)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
