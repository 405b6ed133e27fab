// 3. Scale: open cases parked at different stages (a third submitted and waiting for their call to
// close, a third in formal review, a third in expert review with their panels drawn): how long they
// take to start, the system process's memory, Temporal's history per case and the databases' growth.
import { type BenchContext, type ModuleResult, type Row, appDbFile, fmt, serverMemory, sqliteBytes, temporalDbFile } from '../lib/context';
import { benchFundConfig } from '../lib/fund-bots';
import { meanHistoryCost } from '../lib/history';
import { type Api, log } from '../lib/http';
import { pool, ratio, summarise } from '../lib/stats';
import type { ServerStats } from '../server';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Level {
  target: number;
  started: number;
  startMs: number;
  startsPerSecond: number;
  startLatency: ReturnType<typeof summarise>;
  parked: Record<string, number>;
  rssMb: number;
  peakRssMb: number;
  /** The system process's own account of what it holds (bench/server.ts, GET /stats). */
  held: ServerStats;
  appDbBytesPerCase: number;
  temporalDbBytesPerCase: number;
  historyPerCase: Record<string, Awaited<ReturnType<typeof meanHistoryCost>>>;
}

async function programme(api: Api, key: string, closesInMs: number, label: string) {
  return (
    await api.must(key, 'POST', '/programmes', {
      code: `BENCH-SCALE-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
      title: `Bench scale ${label}`,
      kind: 'talent_fund',
      budgetFen: 9_700_000_000,
      opensAt: new Date(Date.now() - DAY).toISOString(),
      closesAt: new Date(Date.now() + closesInMs).toISOString(),
      config: benchFundConfig(1),
    })
  ).id as string;
}

export async function scale(ctx: BenchContext): Promise<ModuleResult> {
  const levels = ctx.quick ? [150, 300] : [1_000, 10_000];
  // Never fail because the machine is slow: a level stops starting cases when its time is up, and says how far it got.
  const budgetMs = (target: number) => (ctx.quick ? 60_000 : target <= 1_000 ? 6 * 60_000 : 8 * 60_000);
  const { api, info } = ctx;
  const officer = await api.user(info.adminKey, 'officer', 'scale officer');
  const reviewers: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < 20; i++) reviewers.push(await api.user(info.adminKey, 'reviewer', `scale reviewer ${i}`, ['new-energy']));
  const applicants: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < 20; i++) applicants.push(await api.user(info.adminKey, 'applicant', `scale lead ${i}`));
  const waiting = await programme(api, officer.key, 365 * DAY, 'open');
  const programmes = [waiting];

  const out: Level[] = [];
  const ids = { submitted: [] as string[], formal: [] as string[], expert: [] as string[] };
  let total = 0;
  for (const target of levels) {
    const todo = target - total;
    log(`scale: starting ${fmt(todo)} cases (to ${fmt(target)})`);
    await ctx.prisma.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
    const appBefore = sqliteBytes(appDbFile(info));
    const temporalBefore = sqliteBytes(temporalDbFile(info));
    const latencies: number[] = [];
    const closingFrom = programmes.length;
    const t0 = Date.now();
    // Two in three go to calls that close shortly (a fresh call every 20 s): those cases reach formal review.
    let closing = { id: await programme(api, officer.key, 25_000, 'closing'), until: Date.now() + 20_000 };
    programmes.push(closing.id);
    const closingIds: string[] = [];
    let started = 0;
    let lastLog = Date.now();
    await pool(Array.from({ length: todo }), 16, async (_, i) => {
      if (Date.now() - t0 > budgetMs(target)) return;
      if (Date.now() > closing.until) {
        closing = { id: await programme(api, officer.key, 25_000, 'closing'), until: Date.now() + 20_000 };
        programmes.push(closing.id);
      }
      const toClosing = i % 3 !== 0;
      const lead = applicants[i % applicants.length]!;
      const s0 = performance.now();
      const draft = await api.must(lead.key, 'POST', '/applications', {
        programmeId: toClosing ? closing.id : waiting,
        title: `Scale case ${total + i}`,
        summary: 'Parked for the scale measurement.',
        field: 'new-energy',
        requestedFen: 800_000_000,
        unitName: `Scale Unit ${i % 500}`,
      });
      const r = await api.call(lead.key, 'POST', `/applications/${draft.id}/submit`);
      if (r.status >= 400) return; // a call that closed in between: the draft stays a draft
      latencies.push(performance.now() - s0);
      started++;
      (toClosing ? closingIds : ids.submitted).push(draft.id);
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(`scale: ${fmt(started)} of ${fmt(todo)} started (${fmt(started / ((Date.now() - t0) / 1000))}/s)`);
      }
    });
    const startMs = Date.now() - t0;
    log(`scale: ${fmt(started)} cases started in ${fmt(startMs / 1000)} s`);

    // Half of those in formal review are accepted: their review rounds draw panels of five.
    const waitUntil = Date.now() + 60_000;
    for (;;) {
      // By programme, not by a list of case ids: SQLite binds at most 999 values per statement.
      const n = await ctx.prisma.application.count({ where: { programmeId: { in: programmes.slice(closingFrom) }, stage: 'formal_review' } });
      if (n === closingIds.length || Date.now() > waitUntil) break;
      await sleep(1_000);
    }
    const accept = closingIds.filter((_, i) => i % 2 === 0);
    await pool(accept, 16, async (id) => {
      const r = await api.call(officer.key, 'POST', `/applications/${id}/formal-review`, { decision: 'accept' });
      if (r.status < 400) ids.expert.push(id);
    });
    ids.formal.push(...closingIds.filter((_, i) => i % 2 === 1));
    await sleep(2_000);

    total += started;
    await ctx.prisma.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
    const parkedRows = await ctx.prisma.application.groupBy({ by: ['stage'], where: { programmeId: { in: programmes }, stage: { not: 'draft' } }, _count: true });
    const parked = Object.fromEntries(parkedRows.map((r) => [r.stage, r._count]));
    const mem = serverMemory(info.pid);
    const held = (await ctx.bare.must(null, 'GET', '/stats')) as ServerStats;
    const sample = (list: string[]) => list.slice(-3);
    const historyPerCase = {
      submitted: await meanHistoryCost(ctx.temporal, sample(ids.submitted)),
      formal_review: await meanHistoryCost(ctx.temporal, sample(ids.formal)),
      expert_review: await meanHistoryCost(ctx.temporal, sample(ids.expert)),
    };
    const level: Level = {
      target,
      started: total,
      startMs,
      startsPerSecond: started / (startMs / 1000),
      startLatency: summarise(latencies),
      parked,
      ...mem,
      held,
      appDbBytesPerCase: Math.round((sqliteBytes(appDbFile(info)) - appBefore) / Math.max(1, started)),
      temporalDbBytesPerCase: Math.round((sqliteBytes(temporalDbFile(info)) - temporalBefore) / Math.max(1, started)),
      historyPerCase,
    };
    out.push(level);
    log(`scale: ${fmt(total)} open cases ${JSON.stringify(parked)}; system RSS ${mem.rssMb} MB (peak ${mem.peakRssMb} MB); ${JSON.stringify(held)}`);
  }

  // The baseline for starting: bare workflows started and given one update each (with a local
  // activity, as a submission is projected), as many at once.
  const n = ctx.quick ? 100 : 500;
  const b0 = Date.now();
  await pool(Array.from({ length: n }), 16, async () => {
    const { id } = await ctx.bare.must(null, 'POST', '/bare/cases', { updates: 1, activities: 0, localActivities: 1 });
    await ctx.bare.must(null, 'POST', `/bare/cases/${id}/step`);
  });
  const bareStartsPerSecond = n / ((Date.now() - b0) / 1000);

  const rows: Row[] = [];
  for (const l of out) {
    rows.push({
      measure: `Scale: start ${fmt(l.target)} cases (create + submit over HTTP, 16 at a time)`,
      figure: `${fmt(l.started)} open after ${fmt(l.startMs / 1000)} s; ${fmt(l.startsPerSecond)}/s`,
      baseline: `${fmt(bareStartsPerSecond)}/s bare start + update`,
      ratio: `${ratio(bareStartsPerSecond, l.startsPerSecond)}x slower`,
    });
    rows.push({ measure: `Scale: at ${fmt(l.started)} open cases, system process RSS / peak (API + worker)`, figure: `${l.rssMb} MB / ${l.peakRssMb} MB` });
    rows.push({
      measure: `Scale: at ${fmt(l.started)} open cases, the main thread's heap used / allocated (API, activities, Prisma); running workflows in the worker's cache`,
      figure: `${fmt(l.held.mainHeapUsedMb)} MB / ${fmt(l.held.mainHeapTotalMb)} MB; ${fmt(l.held.cachedWorkflows)} workflows`,
    });
    rows.push({
      measure: `Scale: at ${fmt(l.started)} open cases, growth per case: app DB / Temporal DB`,
      figure: `${fmt(l.appDbBytesPerCase / 1024)} KB / ${fmt(l.temporalDbBytesPerCase / 1024)} KB`,
    });
    rows.push({
      measure: `Scale: at ${fmt(l.started)}, Temporal history per case (workflows, events, bytes): submitted / formal review / expert review`,
      figure: Object.values(l.historyPerCase).map((h) => `${h.workflows} wf, ${h.events} events, ${fmt(h.bytes / 1024)} KB`).join(' / '),
    });
  }
  return { rows, data: { levels: out, budgetMs: levels.map(budgetMs), baseline: { cases: n, startsPerSecond: bareStartsPerSecond } } };
}
