// The staff registers filtered by programme, over more cases than SQLite binds in one statement
// (999): each answers 200 and, walked page by page, holds exactly the rows of that programme's
// cases. (They used to read the programme's case ids and ask for caseId IN (...): a 500 past 999.)
import { randomUUID } from 'node:crypto';
import { generateApplications, insertRows, seedPeople } from '../../bench/data/generate';
import { DAY } from '../helpers/fixtures';
import { seedProgramme } from '../helpers/seed';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(240_000);

let sys: TestSystem;
let officer: { id: string; key: string };
const big = { programmeId: '', cases: new Set<string>() };
let otherProgrammeId = '';

/** Objections on every third case, as the projector would store them. */
async function objectionsOn(programmeId: string, caseIds: string[]) {
  const rows = caseIds
    .filter((_, i) => i % 3 === 0)
    .map((caseId, i) => ({
      id: randomUUID(),
      caseId,
      programmeId,
      noticeId: `notice-${programmeId}`,
      filerName: 'Chen Wei',
      filerIdMasked: '110101********1234',
      filerIdHash: `hash-${i}`,
      contact: '13800000000',
      text: 'Same project funded elsewhere',
      status: i % 2 === 0 ? 'open' : 'dismissed',
      filedAt: new Date(),
      rev: 1,
    }));
  await insertRows(sys.db.prisma, 'Objection', rows);
}

beforeAll(async () => {
  sys = await startSystem();
  officer = await sys.user('officer');
  const { prisma } = sys.db;
  const people = await seedPeople(prisma, { applicants: 5, reviewers: 7, officers: 1 });
  const window = { opensAt: new Date(Date.now() - 400 * DAY), closesAt: new Date(Date.now() - 300 * DAY) };
  const generate = async (count: number) => {
    const p = await seedProgramme(prisma, window);
    const ids = await generateApplications(prisma, { programmeId: p.programmeId, applicantIds: people.applicants, reviewerIds: people.reviewers, count, mix: 'every-stage', chunk: 1_000 });
    await objectionsOn(p.programmeId, ids);
    return { programmeId: p.programmeId, ids };
  };
  const a = await generate(3_000);
  big.programmeId = a.programmeId;
  big.cases = new Set(a.ids);
  // A second programme, whose rows must stay out of the first one's registers.
  otherProgrammeId = (await generate(300)).programmeId;
});
afterAll(async () => {
  await sys?.stop();
});

/** Every row of a register for a query, 200 a page, following nextCursor to the end. */
async function walk(path: string, query: string): Promise<Array<{ id: string; caseId: string; status: string }>> {
  const rows: Array<{ id: string; caseId: string; status: string }> = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: typeof rows; nextCursor: string | null } } = await sys.call(
      'GET',
      `${path}?${query}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: officer.key },
    );
    expect(res.status).toBe(200);
    rows.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return rows;
}

// What the register should hold, chosen by case id (not by the programmeId column under test).
const registers = [
  { path: '/review-assignments', rows: () => sys.db.prisma.reviewAssignment.findMany({ select: { id: true, caseId: true, status: true } }), status: 'assigned' },
  { path: '/objections', rows: () => sys.db.prisma.objection.findMany({ select: { id: true, caseId: true, status: true } }), status: 'open' },
  { path: '/milestones', rows: () => sys.db.prisma.milestone.findMany({ select: { id: true, caseId: true, status: true } }), status: 'awaiting_report' },
] as const;

it.each(registers)('$path?programmeId= holds exactly the rows of a programme of 3,000 cases', async ({ path, rows, status }) => {
  const all = await rows();
  const expected = all.filter((r) => big.cases.has(r.caseId));
  expect(expected.length).toBeGreaterThan(200); // more than a page
  expect(expected.length).toBeLessThan(all.length); // the other programme has rows too

  const got = await walk(path, `programmeId=${big.programmeId}`);
  expect(got.map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());

  const filtered = await walk(path, `programmeId=${big.programmeId}&status=${status}`);
  const expectedFiltered = expected.filter((r) => r.status === status);
  expect(expectedFiltered.length).toBeGreaterThan(0);
  expect(filtered.map((r) => r.id).sort()).toEqual(expectedFiltered.map((r) => r.id).sort());

  const others = await walk(path, `programmeId=${otherProgrammeId}`);
  expect(others.length).toBe(all.length - expected.length);
  expect(others.some((r) => big.cases.has(r.caseId))).toBe(false);
});

// One row of each made as full as its register can show (a scored seat, a resolved objection, a
// scored milestone), one left with its optional fields empty: each listed as stored.
const fullRows = [
  {
    path: '/review-assignments',
    model: () => sys.db.prisma.reviewAssignment,
    fill: { status: 'submitted', scores: { innovation: 8, team: 7 }, total: 7.5, comment: '方案可行', recommendation: 'fund', submittedAt: new Date('2026-03-04T05:06:07.089Z'), rev: 3 },
  },
  {
    path: '/objections',
    model: () => sys.db.prisma.objection,
    fill: { status: 'upheld', resolution: 'back_to_review', resolvedById: 'officer-1', resolvedAt: new Date('2026-03-04T05:06:07.089Z'), rev: 2 },
  },
  {
    path: '/milestones',
    model: () => sys.db.prisma.milestone,
    fill: { status: 'scored', score: 82.5, reportSummary: '进展顺利', reportedAt: new Date('2026-03-04T05:06:07.089Z'), rev: 4 },
  },
] as const;

it.each(fullRows)('$path gives a row as stored: times as ISO strings, JSON as JSON, numbers as numbers', async ({ path, model, fill }) => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rows = model() as any;
  const [one, two] = await rows.findMany({ where: { programmeId: big.programmeId }, orderBy: { id: 'asc' }, take: 2 });
  await rows.update({ where: { id: one.id }, data: fill });
  for (const row of [one, two]) {
    const { filerIdHash: _hash, ...stored } = await rows.findUniqueOrThrow({ where: { id: row.id } });
    const res = await sys.call('GET', `${path}?caseId=${row.caseId}&limit=200`, { key: officer.key });
    expect(res.status).toBe(200);
    const listed = (res.body.items as Array<{ id: string }>).find((a) => a.id === row.id);
    expect(listed).toEqual(JSON.parse(JSON.stringify(stored)));
  }
});
