// CPU time spent by each part of the system under test while a module runs, read from /proc
// (Linux; elsewhere there is nothing to read and the figures are left out). Latency on a saturated
// machine is mostly queueing, and it moves from run to run; the CPU each round trip costs, and who
// spends it, is what a change to the system changes.
import fs from 'node:fs';

/** CPU seconds by part. */
export interface CpuParts {
  /** The system process's main thread: the API, activities, Prisma and SQLite, the worker's bridge. */
  main: number;
  /** The system process's other JavaScript threads: the workflow sandbox's thread, V8's helpers (GC, compiler). */
  otherThreads: number;
  /** Temporal Core's threads in the system process (the Rust worker runtime). */
  core: number;
  /** The Temporal server the system process started (the embedded default's dev server). */
  temporal: number;
  /** The bench's own process: the bots and the HTTP client. */
  bots: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ; the same on every Linux build Node runs on

/** utime + stime of a /proc stat line, in ticks; fields counted from after the command's ")". */
function ticks(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null; // gone since listed
  }
}

/** Every process descended from `root` (not itself), by parent pid. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (stat) parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, p] of parent) {
      if (p !== pid) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** CPU seconds used so far by each part, or null where /proc cannot be read. */
export function cpuNow(serverPid: number): CpuParts | null {
  if (!fs.existsSync(`/proc/${serverPid}/task`)) return null;
  const parts: CpuParts = { main: 0, otherThreads: 0, core: 0, temporal: 0, bots: 0 };
  for (const tid of fs.readdirSync(`/proc/${serverPid}/task`)) {
    const stat = read(`/proc/${serverPid}/task/${tid}/stat`);
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const t = ticks(stat) / TICKS_PER_SECOND;
    if (Number(tid) === serverPid) parts.main += t;
    // Core names its threads after its tokio runtime and its workflow processing.
    else if (/^(tokio|workflow-proces|temporal)/.test(name)) parts.core += t;
    else parts.otherThreads += t;
  }
  for (const pid of descendants(serverPid)) {
    const stat = read(`/proc/${pid}/stat`);
    // Each descendant's own ticks (the dev server and whatever it runs).
    if (stat) parts.temporal += ticks(stat) / TICKS_PER_SECOND;
  }
  const own = process.cpuUsage();
  parts.bots = (own.user + own.system) / 1e6;
  return parts;
}

const PARTS = ['main', 'otherThreads', 'core', 'temporal', 'bots'] as const;

/** Applies `f` part by part to two readings; null when either is missing. */
function byPart(a: CpuParts | null, b: CpuParts | null, f: (x: number, y: number) => number): CpuParts | null {
  if (!a || !b) return null;
  return Object.fromEntries(PARTS.map((k) => [k, f(a[k], b[k])])) as unknown as CpuParts;
}

/** What each part spent between two readings. */
export const cpuSpent = (from: CpuParts | null, to: CpuParts | null) => byPart(from, to, (x, y) => y - x);

/** Two spans' CPU added together. */
export const sumParts = (a: CpuParts | null, b: CpuParts | null) => byPart(a, b, (x, y) => x + y);

/** Milliseconds of CPU per unit of work (a round trip), by part and in total, to one decimal. */
export function cpuPer(p: CpuParts, units: number): CpuParts & { total: number } {
  const per = (s: number) => Math.round((s * 1000 * 10) / Math.max(1, units)) / 10;
  const total = PARTS.reduce((sum, k) => sum + p[k], 0);
  return { ...(Object.fromEntries(PARTS.map((k) => [k, per(p[k])])) as unknown as CpuParts), total: per(total) };
}

/** The parts of a reading in order, for a table cell: "main + other threads + Core + server + bots". */
export const partsInOrder = (p: CpuParts) => PARTS.map((k) => p[k]);
