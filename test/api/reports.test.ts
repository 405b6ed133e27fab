// Reports and exports over HTTP: the programme report adds up to the ledger; the exports parse back
// to the same rows in CSV and XLSX.
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { commitAward, ledgerTotals, payTranche, settleCase } from '../../money/ledger';
import { DAY } from '../helpers/fixtures';
import { seedApplication, seedProgramme } from '../helpers/seed';
import { type TestSystem, startSystem } from '../helpers/system';
import { PrismaReadStore, createReadStore } from '../../infra/read-store';
import { ReportCache, programmeReport } from '../../api/use-cases/reports';

let sys: TestSystem;
let programmeId: string;
let officerKey: string;
const awards = [
  ['A', 800_000_000],
  ['A', 800_000_000],
  ['B', 500_000_000],
  ['C', 200_000_000],
] as const;

beforeAll(async () => {
  sys = await startSystem();
  officerKey = (await sys.user('officer')).key;
  const programme = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - 90 * DAY), closesAt: new Date(Date.now() - 60 * DAY) });
  programmeId = programme.programmeId;
  // Four funded cases and a submitted one, with commitments, payments, a return and a clawback.
  for (const [i, [tier, amount]] of awards.entries()) {
    const c = await seedApplication(sys.db.prisma, programme);
    await sys.db.prisma.application.update({
      where: { id: c.applicationId },
      data: { stage: 'in_progress', tier, awardFen: BigInt(amount), waitingOn: 'applicant', nextAction: 'Report', dueAt: new Date(Date.now() + (1.5 - i) * DAY) },
    });
    const base = { programmeId, caseId: c.applicationId };
    await commitAward(sys.db.prisma, { ...base, amountFen: amount, key: `${c.applicationId}:commit` });
    await payTranche(sys.db.prisma, { ...base, amountFen: amount * 0.6, trancheCode: 'T1', key: `${c.applicationId}:pay:T1` });
    if (i === 2) await settleCase(sys.db.prisma, { ...base, mode: 'return_surplus', key: `${c.applicationId}:settle`, reason: 'terminated' });
    if (i === 3) await settleCase(sys.db.prisma, { ...base, mode: 'claw_back', key: `${c.applicationId}:settle`, reason: 'forced' });
    await sys.db.prisma.stageHistory.createMany({
      data: [
        { caseId: c.applicationId, seq: 1, stage: 'submitted', enteredAt: new Date(Date.now() - 80 * DAY) },
        { caseId: c.applicationId, seq: 2, stage: 'formal_review', enteredAt: new Date(Date.now() - 60 * DAY) },
        { caseId: c.applicationId, seq: 3, stage: 'in_progress', enteredAt: new Date(Date.now() - 50 * DAY) },
      ],
    });
  }
  const waiting = await seedApplication(sys.db.prisma, programme);
  await sys.db.prisma.application.update({ where: { id: waiting.applicationId }, data: { stage: 'formal_review', waitingOn: 'officer', nextAction: 'Decide', dueAt: null } });
});

afterAll(async () => {
  await sys?.stop();
});

it('reports money per tier and per year that add up to the ledger, the pipeline, overdue items and time per stage', async () => {
  const res = await sys.call('GET', `/programmes/${programmeId}/report`, { key: officerKey });
  expect(res.status).toBe(200);
  const r = res.body;
  const totals = await ledgerTotals(sys.db.prisma, programmeId);
  const sum = (rows: Array<Record<string, number>>, k: string) => rows.reduce((s, x) => s + x[k]!, 0);
  for (const [k, t] of [['committedFen', totals.committedFen], ['paidFen', totals.paidFen], ['returnedFen', totals.returnedFen], ['clawedBackFen', totals.clawedBackFen]] as const) {
    expect(sum(r.perTier, k)).toBe(Number(t));
    expect(sum(r.perYear, k)).toBe(Number(t));
    expect(r.money[k]).toBe(Number(t));
  }
  expect(r.perTier.map((t: { group: string; cases: number }) => [t.group, t.cases])).toEqual([
    ['A', 2],
    ['B', 1],
    ['C', 1],
  ]);
  expect(r.pipeline).toEqual({ in_progress: 4, formal_review: 1 });
  expect(r.overdue).toHaveLength(2); // two were due half a day and a day and a half ago; two are due later
  // Closed stays by their days; the open one counted to the report's moment; in the stages' order.
  expect(r.timeInStage).toEqual([
    { stage: 'submitted', cases: 4, meanDays: 20, p90Days: 20 },
    { stage: 'formal_review', cases: 4, meanDays: 10, p90Days: 10 },
    { stage: 'in_progress', cases: 4, meanDays: expect.closeTo(50, 1), p90Days: expect.closeTo(50, 1) },
  ]);
});

it('takes days in a stage over its closed and open stays together, mean and 90th percentile as if all were sorted', async () => {
  const programme = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - 90 * DAY), closesAt: new Date(Date.now() - 60 * DAY) });
  const now = new Date();
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  // Twelve cases entered formal review 7 to 40 days ago; a third of them are in it still (open
  // stays, counted to the report's moment: 13, 22, 31, 40 days), the rest left it after 6 to 36 days,
  // so that closed and open stays interleave when sorted, and the 90th percentile (the 11th of 12)
  // is a closed one, 36 days, between two open ones.
  const days: number[] = [];
  for (let i = 0; i < 12; i++) {
    const c = await seedApplication(sys.db.prisma, programme);
    const entered = 40 - i * 3;
    const open = i % 3 === 0;
    const stayed = open ? entered : i === 1 ? 36 : Math.min(entered - 1, ((i * 7) % 30) + 1);
    days.push(stayed);
    await sys.db.prisma.application.update({ where: { id: c.applicationId }, data: { stage: open ? 'formal_review' : 'expert_review' } });
    await sys.db.prisma.stageHistory.createMany({
      data: [
        { caseId: c.applicationId, seq: 1, stage: 'submitted', enteredAt: ago(60) },
        { caseId: c.applicationId, seq: 2, stage: 'formal_review', enteredAt: ago(entered) },
        ...(open ? [] : [{ caseId: c.applicationId, seq: 3, stage: 'expert_review', enteredAt: ago(entered - stayed) }]),
      ],
    });
  }
  const reads = createReadStore(sys.db.url, sys.db.prisma);
  try {
    const report = await programmeReport({ prisma: sys.db.prisma, reads }, programme.programmeId, now);
    const sorted = [...days].sort((a, b) => a - b);
    const mean = days.reduce((s, d) => s + d, 0) / days.length;
    expect(report.timeInStage.find((s) => s.stage === 'formal_review')).toEqual({
      stage: 'formal_review',
      cases: 12,
      meanDays: Math.round(mean * 100) / 100,
      p90Days: sorted[Math.floor(0.9 * sorted.length)],
    });
    expect(sorted[Math.floor(0.9 * sorted.length)]).toBe(36);
    expect(report.timeInStage.find((s) => s.stage === 'submitted')).toEqual({ stage: 'submitted', cases: 12, meanDays: expect.any(Number), p90Days: expect.any(Number) });
  } finally {
    reads.close();
  }
});

it('keeps a report while its programme stands still, and takes it again as soon as money or a case moves', async () => {
  const programme = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - 90 * DAY), closesAt: new Date(Date.now() - 60 * DAY) });
  const c = await seedApplication(sys.db.prisma, programme);
  const report = async () => {
    const res = await sys.call('GET', `/programmes/${programme.programmeId}/report`, { key: officerKey });
    expect(res.status).toBe(200);
    return res.body as { asOf: string; money: { committedFen: number; paidFen: number }; pipeline: Record<string, number> };
  };
  const first = await report();
  expect(first.money.committedFen).toBe(0);
  await new Promise((r) => setTimeout(r, 5));
  expect((await report()).asOf).toBe(first.asOf); // nothing moved: the same report

  const base = { programmeId: programme.programmeId, caseId: c.applicationId };
  await commitAward(sys.db.prisma, { ...base, amountFen: 300_000_000, key: `${c.applicationId}:commit` });
  const committed = await report();
  expect(committed.asOf > first.asOf).toBe(true);
  expect(committed.money.committedFen).toBe(300_000_000);

  await sys.db.prisma.application.update({ where: { id: c.applicationId }, data: { stage: 'in_progress' } });
  const moved = await report();
  expect(moved.pipeline).toEqual({ in_progress: 1 });
  expect(moved.money.committedFen).toBe(300_000_000);

  expect((await sys.call('GET', '/programmes/00000000-0000-4000-8000-000000000000/report', { key: officerKey })).status).toBe(404);
});

it('counts overdue items and days in stage again as the clock moves, from what it read, and reads again on a change', async () => {
  const programme = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - 90 * DAY), closesAt: new Date(Date.now() - 60 * DAY) });
  const c = await seedApplication(sys.db.prisma, programme);
  await sys.db.prisma.application.update({ where: { id: c.applicationId }, data: { stage: 'formal_review', waitingOn: 'officer', nextAction: 'Check', dueAt: new Date(Date.now() + 300) } });
  const reads = new PrismaReadStore(sys.db.prisma);
  const live = { prisma: sys.db.prisma, reads };
  // A client that fails on any use: the report must be derived without reading the database.
  const unread = { prisma: new Proxy({}, { get: () => { throw new Error('read the database'); } }) as typeof sys.db.prisma, reads };
  const cache = new ReportCache(100);
  const report = async (deps: typeof live) => JSON.parse((await cache.get(deps, programme.programmeId)).text) as { asOf: string; overdue: Array<{ caseId: string }>; pipeline: Record<string, number> };

  const first = await report(live);
  expect(first.overdue).toEqual([]);
  expect((await report(unread)).asOf).toBe(first.asOf); // younger than 100 ms: as it was
  await new Promise((r) => setTimeout(r, 350));
  const later = await report(unread);
  expect(later.asOf > first.asOf).toBe(true);
  expect(later.overdue.map((o) => o.caseId)).toEqual([c.applicationId]);

  await sys.db.prisma.application.update({ where: { id: c.applicationId }, data: { stage: 'expert_review', waitingOn: 'reviewers' } });
  await expect(report(unread)).rejects.toThrow('read the database');
  const changed = await report(live);
  expect(changed.pipeline).toEqual({ expert_review: 1 });
  expect(changed.overdue).toEqual([expect.objectContaining({ caseId: c.applicationId, stage: 'expert_review', waitingOn: 'reviewers' })]);
});

it('exports the applications list as CSV and XLSX with the same rows', async () => {
  const csv = await fetch(`${sys.baseUrl}/applications/export?programmeId=${programmeId}&format=csv`, { headers: { authorization: `Bearer ${officerKey}` } });
  expect(csv.headers.get('content-type')).toContain('text/csv');
  const rows = parse(await csv.text(), { columns: true, bom: true }) as Array<Record<string, string>>;
  expect(rows).toHaveLength(5);
  expect(rows.filter((x) => x.Tier === 'A').map((x) => x['Award (fen)'])).toEqual(['800000000', '800000000']);

  const xlsx = await fetch(`${sys.baseUrl}/applications/export?programmeId=${programmeId}&format=xlsx`, { headers: { authorization: `Bearer ${officerKey}` } });
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as never);
  const sheet = book.worksheets[0]!;
  expect(sheet.rowCount).toBe(6); // a header and five rows
  const ids = new Set(rows.map((x) => x.Application));
  sheet.eachRow((row, n) => {
    if (n > 1) expect(ids.has(String(row.getCell(1).value))).toBe(true);
  });
  const onlyFormal = await fetch(`${sys.baseUrl}/applications/export?programmeId=${programmeId}&stage=formal_review`, { headers: { authorization: `Bearer ${officerKey}` } });
  expect(parse(await onlyFormal.text(), { columns: true, bom: true })).toHaveLength(1);
});

it('exports the ledger, and the entries add up', async () => {
  const res = await fetch(`${sys.baseUrl}/programmes/${programmeId}/ledger/export?format=csv`, { headers: { authorization: `Bearer ${officerKey}` } });
  const rows = parse(await res.text(), { columns: true, bom: true }) as Array<Record<string, string>>;
  const committed = rows.filter((x) => x.Kind === 'commit').reduce((s, x) => s + Number(x['Amount (fen)']), 0);
  expect(committed).toBe(Number((await ledgerTotals(sys.db.prisma, programmeId)).committedFen));
  const applicant = await sys.user('applicant');
  expect((await sys.call('GET', `/programmes/${programmeId}/ledger/export`, { key: applicant.key })).status).toBe(403);
});

it('lists disbursements with amount filters and keyset pages, for finance and not for applicants', async () => {
  const finance = await sys.user('finance');
  const first = await sys.call('GET', `/disbursements?programmeId=${programmeId}&limit=2`, { key: finance.key });
  expect(first.body.items).toHaveLength(2);
  const second = await sys.call('GET', `/disbursements?programmeId=${programmeId}&limit=2&cursor=${first.body.nextCursor}`, { key: finance.key });
  const all = [...first.body.items, ...second.body.items];
  expect(new Set(all.map((e: { id: number }) => e.id)).size).toBe(4);
  expect(all.reduce((s: number, e: { amountFen: number }) => s + e.amountFen, 0)).toBe(Number((await ledgerTotals(sys.db.prisma, programmeId)).paidFen));
  const big = await sys.call('GET', `/disbursements?programmeId=${programmeId}&minFen=400000000`, { key: finance.key });
  expect(big.body.items.map((e: { amountFen: number }) => e.amountFen)).toEqual([480_000_000, 480_000_000]);
  const applicant = await sys.user('applicant');
  expect((await sys.call('GET', '/disbursements', { key: applicant.key })).status).toBe(403);
  expect((await sys.call('GET', '/milestones', { key: officerKey })).status).toBe(200);
  expect((await sys.call('GET', '/objections?status=open', { key: officerKey })).body.items).toEqual([]);
});

it('exports the report and the registers with the same rows as their lists', async () => {
  const report = await fetch(`${sys.baseUrl}/programmes/${programmeId}/report/export`, { headers: { authorization: `Bearer ${officerKey}` } });
  const rows = parse(await report.text(), { columns: true, bom: true }) as Array<Record<string, string>>;
  const committed = rows.find((r) => r.Section === 'money' && r.Item === 'committedFen');
  expect(Number(committed!.Value)).toBe(Number((await ledgerTotals(sys.db.prisma, programmeId)).committedFen));
  const listed = await sys.call('GET', `/disbursements?programmeId=${programmeId}&limit=200`, { key: officerKey });
  const exported = await fetch(`${sys.baseUrl}/disbursements/export?programmeId=${programmeId}&format=xlsx`, { headers: { authorization: `Bearer ${officerKey}` } });
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(Buffer.from(await exported.arrayBuffer()) as never);
  expect(book.worksheets[0]!.rowCount - 1).toBe(listed.body.items.length);
});
