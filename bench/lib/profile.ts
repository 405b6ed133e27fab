// Summarises a V8 CPU profile (node --cpu-prof): self time by function and by where the code lives
// (our folders, each npm package, node's internals, garbage collection, idle).
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  byPlace: Array<{ place: string; ms: number; share: number }>;
  byFunction: Array<{ fn: string; ms: number; share: number }>;
}

function place(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/(api|activities|audit|money|infra|worker|workflows|shared|generated|bench)\//.exec(url);
  return ours ? `ours: ${ours[1]}/` : url;
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const places = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    total += ms;
    if (n.callFrame.functionName === '(idle)') idle += ms;
    const pl = place(n.callFrame.url, n.callFrame.functionName);
    places.set(pl, (places.get(pl) ?? 0) + ms);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/wt-[^/]+\//, '')}:${n.callFrame.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + ms);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>) => [...m.entries()].filter(([k]) => k !== '(idle)' && !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: Math.round(total),
    busyMs: Math.round(busy),
    byPlace: rank(places).map(([place, ms]) => ({ place, ms: Math.round(ms), share: Math.round((ms / busy) * 1000) / 10 })),
    byFunction: rank(fns).map(([fn, ms]) => ({ fn, ms: Math.round(ms), share: Math.round((ms / busy) * 1000) / 10 })),
  };
}

/**
 * Microseconds on the clock V8 stamps its profiles with (CLOCK_MONOTONIC, the clock of
 * process.hrtime, shared by every process on the machine): bounds of windows for `inWindows`.
 */
export const profileClockUs = (): number => Number(process.hrtime.bigint() / 1000n);

export type ClockWindow = [startUs: number, endUs: number];

interface TimedProfile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

type Sides<T> = { ours: T; bare: T };
type Windowed = { busyMs: number; parts: Record<string, number> };

const readProfile = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as TimedProfile;

/** Whether a profile is a workflow thread's: it ran the workflow bundle. */
const runsWorkflows = (p: TimedProfile) => p.nodes.some((n) => n.callFrame.url.includes('workflow-bundle-'));

/**
 * A thread's sampled time inside each side's windows, by part, in one pass. `partOf` names a
 * sample's part from its stack (the sampled frame first); samples of `(idle)` are left out. A
 * sample counts whether its thread was running or blocked in the sampled frame (a thread join,
 * say): profile time, not CPU.
 */
function inWindows(p: TimedProfile, windows: Sides<ClockWindow[]>, partOf: (stack: Node['callFrame'][]) => string): Sides<Windowed> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOfNode = new Map<number, string | null>();
  const part = (id: number) => {
    if (!partOfNode.has(id)) {
      const stack: Node['callFrame'][] = [];
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) stack.push(byId.get(x)!.callFrame);
      partOfNode.set(id, stack[0]!.functionName === '(idle)' ? null : partOf(stack));
    }
    return partOfNode.get(id)!;
  };
  const out: Sides<Windowed> = { ours: { busyMs: 0, parts: {} }, bare: { busyMs: 0, parts: {} } };
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    const side = (['ours', 'bare'] as const).find((k) => windows[k].some(([a, b]) => at >= a && at < b));
    if (!side) continue;
    const name = part(p.samples[i]!);
    if (name === null) continue;
    // A sample stands for the time until the next one.
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    out[side].busyMs += ms;
    out[side].parts[name] = (out[side].parts[name] ?? 0) + ms;
  }
  return out;
}

/**
 * The parts of a workflow thread's time. The SDK's sandbox enters its V8 context with a timeout,
 * for which Node starts and joins a watchdog thread on every call (nodejs/node#47739), and records a
 * stack trace, source-mapped, for every promise made inside it (for the `__stack_trace` query).
 */
export function sandboxPart(stack: Node['callFrame'][]): string {
  const top = stack[0]!;
  if (stack.some((f) => f.functionName === 'initAll' && f.url.includes('promise_hooks')) || (top.functionName === 'settled' && top.url.includes('vm-shared'))) {
    return 'a stack trace per promise';
  }
  if (top.functionName === 'runInContext' && top.url === '') return 'entering the sandbox (a watchdog thread per call)';
  if (top.functionName === '(garbage collector)') return 'garbage collection';
  if (top.url.includes('workflow-bundle')) return 'workflow code (the SDK\'s and ours)';
  if (top.url.includes('evalmachine')) return 'switching workflows\' globals';
  if (top.url.includes('@temporalio')) return 'the SDK\'s worker thread';
  return 'other';
}

/** The parts of the main thread's time: where the sampled code lives (as `summariseProfile`'s byPlace). */
export const placePart = (stack: Node['callFrame'][]): string => place(stack[0]!.url, stack[0]!.functionName);

export interface WindowedThreads {
  /** Round trips in each side's windows. */
  roundTrips: { ours: number; bare: number };
  /** ms of profile time per round trip, in all and by part (the largest 15), for each side. */
  workflowThread: ThreadSides;
  mainThread: ThreadSides;
}

export interface ThreadSides {
  busy: { ours: number; bare: number };
  ours: Record<string, number>;
  bare: Record<string, number>;
}

/**
 * The lifecycle's two sides (the bots' runs and the closed-loop baselines) compared thread by thread
 * from the system process's profiles: the main thread is the largest profile; each side's workflow
 * thread is the one holding workflow bundle code that was busiest in that side's windows (the system's
 * worker and the baseline's each have their own).
 */
export function lifecycleThreads(files: string[], windows: Sides<ClockWindow[]> & { roundTrips: Sides<number> }): WindowedThreads | null {
  const { roundTrips } = windows;
  const main = [...files].sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  if (!main) return null;
  const workflowThreads = files
    .filter((f) => f !== main)
    .map(readProfile)
    .filter(runsWorkflows)
    .map((p) => inWindows(p, windows, sandboxPart));
  if (workflowThreads.length === 0) return null;
  const round = (ms: number, n: number) => Math.round((ms / Math.max(1, n)) * 100) / 100;
  const perTrip = (parts: Record<string, number>, n: number) =>
    Object.fromEntries(
      Object.entries(parts)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([k, v]) => [k, round(v, n)]),
    );
  const busiest = (side: keyof Sides<unknown>) => workflowThreads.map((t) => t[side]).sort((a, b) => b.busyMs - a.busyMs)[0]!;
  const sides = (ours: Windowed, bare: Windowed): ThreadSides => ({
    busy: { ours: round(ours.busyMs, roundTrips.ours), bare: round(bare.busyMs, roundTrips.bare) },
    ours: perTrip(ours.parts, roundTrips.ours),
    bare: perTrip(bare.parts, roundTrips.bare),
  });
  const mainThread = inWindows(readProfile(main), windows, placePart);
  return {
    roundTrips,
    workflowThread: sides(busiest('ours'), busiest('bare')),
    mainThread: sides(mainThread.ours, mainThread.bare),
  };
}
