// The applications list: filters, free text, sorts and keyset pagination over the read model.
import { randomUUID } from 'node:crypto';
import { DAY } from '../helpers/fixtures';
import { seedProgramme } from '../helpers/seed';
import { type TestSystem, startSystem } from '../helpers/system';

let sys: TestSystem;
let officerKey: string;
let programmeId: string;
const leads: Array<{ id: string; key: string }> = [];

beforeAll(async () => {
  sys = await startSystem();
  officerKey = (await sys.user('officer')).key;
  const programme = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + 30 * DAY) });
  programmeId = programme.programmeId;
  for (let i = 0; i < 3; i++) leads.push(await sys.user('applicant'));
  await sys.db.prisma.user.update({ where: { id: leads[2]!.id }, data: { displayName: '欧阳 明 (Ouyang Ming)' } });
  // 300 applications with varied amounts, stages, fields and due dates.
  await sys.db.prisma.application.createMany({
    data: Array.from({ length: 300 }, (_, i) => ({
      id: randomUUID(),
      programmeId,
      applicantId: leads[i % 3]!.id,
      title: i % 50 === 0 ? `储能 battery project ${i}` : `Project ${i}`,
      summary: '',
      field: i % 2 ? 'new-energy' : 'electronics',
      requestedFen: BigInt((i % 17) * 10_000_000),
      unitName: `Unit ${i % 7}`,
      stage: i % 3 === 0 ? 'formal_review' : 'submitted',
      waitingOn: i % 3 === 0 ? 'officer' : 'system',
      dueAt: new Date(Date.now() + (i - 150) * 3_600_000),
      createdAt: new Date(Date.now() - (300 - i) * 60_000),
    })),
  });
});

afterAll(async () => {
  await sys?.stop();
});

async function all(query: string, key = officerKey) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } = await sys.call('GET', `/applications?programmeId=${programmeId}&limit=37&${query}${cursor ? `&cursor=${cursor}` : ''}`, { key });
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((a) => a.id));
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 50);
  return ids;
}

it('pages through a sort without losing or repeating rows, ties broken by id', async () => {
  const expected = (await sys.db.prisma.application.findMany({ where: { programmeId }, orderBy: [{ requestedFen: 'desc' }, { id: 'desc' }], select: { id: true } })).map((a) => a.id);
  expect(await all('sort=requestedFen&order=desc')).toEqual(expected);
  const byTitle = (await sys.db.prisma.application.findMany({ where: { programmeId }, orderBy: [{ title: 'asc' }, { id: 'asc' }], select: { id: true } })).map((a) => a.id);
  expect(await all('sort=title')).toEqual(byTitle);
});

it('filters by stage, amount range, due window and who it waits on', async () => {
  const ids = await all(`stage=formal_review&minFen=50000000&maxFen=100000000&dueAfter=${encodeURIComponent(new Date().toISOString())}`);
  const rows = await sys.db.prisma.application.findMany({ where: { id: { in: ids } } });
  expect(rows.length).toBeGreaterThan(5);
  for (const r of rows) {
    expect(r.stage).toBe('formal_review');
    expect(Number(r.requestedFen)).toBeGreaterThanOrEqual(50_000_000);
    expect(Number(r.requestedFen)).toBeLessThanOrEqual(100_000_000);
    expect(r.dueAt!.getTime()).toBeGreaterThanOrEqual(Date.now() - 60_000);
  }
  const expected = await sys.db.prisma.application.count({
    where: { programmeId, stage: 'formal_review', requestedFen: { gte: 50_000_000n, lte: 100_000_000n }, dueAt: { gte: new Date() } },
  });
  expect(ids.length).toBe(expected);
  expect((await all('waitingOn=officer')).length).toBe(100);
});

it('searches titles, units and applicant names, in Chinese too, ignoring case', async () => {
  expect((await all(`q=${encodeURIComponent('储能')}`)).length).toBe(6);
  expect((await all(`q=${encodeURIComponent('欧阳')}`)).length).toBe(100);
  expect((await all('q=Unit%203')).length).toBe(43);
  // Latin letters in any case, on SQLite and PostgreSQL alike.
  expect((await all('q=BATTERY')).length).toBe(6);
  expect((await all('q=ouyang')).length).toBe(100);
  // LIKE's wildcards are plain characters, on SQLite and PostgreSQL alike.
  expect((await all('q=%25')).length).toBe(0);
  expect((await all('q=Unit_3')).length).toBe(0);
  expect((await all('q=%5C')).length).toBe(0);
});

it("finds by a term's rarest two-character slice, follows edits, and reads in order when every slice is common", async () => {
  // A title edited after the fact is found by its new words only (the slices move with the row).
  const edited = (await sys.db.prisma.application.findFirstOrThrow({ where: { programmeId, title: 'Project 7' } })).id;
  await sys.db.prisma.application.update({ where: { id: edited }, data: { title: '储能 Project 7, renamed' } });
  expect(await all(`q=${encodeURIComponent('储能')}`)).toContain(edited);
  expect((await all('q=renamed')).length).toBe(1);
  const slices = async () => (await sys.db.prisma.searchGram.findMany({ where: { caseId: edited } })).map((g) => g.gram);
  expect(await slices()).toEqual(expect.arrayContaining(['储能', 're', 'ed', 'pr', 'un']));
  await sys.db.prisma.application.update({ where: { id: edited }, data: { title: 'Project 7' } });
  expect(await all(`q=${encodeURIComponent('储能')}`)).not.toContain(edited);
  expect((await all('q=renamed')).length).toBe(0);
  expect((await slices()).sort()).toEqual([' 7', ' 0', 'ec', 'ct', 'ec', 'je', 'ni', 'oj', 'pr', 'ro', 't ', 'it', 'un'].filter((g, i, a) => a.indexOf(g) === i).sort());
  // One character has no slice: the cases are read in order and checked.
  expect((await all(`q=${encodeURIComponent('储')}`)).length).toBe(6);

  // More cases than a slice counts as rare hold every slice of "common": read in order, all found.
  const other = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + 30 * DAY) });
  await sys.db.prisma.application.createMany({
    data: Array.from({ length: 2_100 }, (_, i) => ({ programmeId: other.programmeId, applicantId: leads[0]!.id, title: `Common ${i}`, summary: '', field: 'electronics', requestedFen: 1n, stage: 'submitted' })),
  });
  const count = async (term: string) => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const res: { body: { items: unknown[]; nextCursor: string | null } } = await sys.call('GET', `/applications?programmeId=${other.programmeId}&limit=200&q=${term}${cursor ? `&cursor=${cursor}` : ''}`, { key: officerKey });
      n += res.body.items.length;
      cursor = res.body.nextCursor;
    } while (cursor);
    return n;
  };
  expect(await count('common')).toBe(2_100);
  expect(await count('mon%202099')).toBe(1); // "mo", "on", "n " are common, "09" is not
});

it('lists each case as reading it alone shows it (less its history and live view)', async () => {
  const id = (await sys.db.prisma.application.findFirstOrThrow({ where: { programmeId, title: 'Project 3' } })).id;
  await sys.db.prisma.application.update({
    where: { id },
    data: { members: ['Li Na', '王 芳'], tier: 'B', awardFen: 123_456_789n, submittedAt: new Date('2026-03-04T05:06:07.089Z'), summary: 'A "quoted" summary\nover two lines' },
  });
  const listed = await sys.call('GET', `/applications?programmeId=${programmeId}&q=${encodeURIComponent('Project 3')}&sort=title&limit=1`, { key: officerKey });
  expect(listed.status).toBe(200);
  const read = await sys.call('GET', `/applications/${id}`, { key: officerKey });
  const { history, workflow, ...alone } = read.body;
  expect(history).toEqual([]);
  expect(workflow).toBeNull();
  expect(listed.body.items).toEqual([alone]);
  expect(alone).toMatchObject({ members: ['Li Na', '王 芳'], awardFen: 123_456_789, submittedAt: '2026-03-04T05:06:07.089Z', next: { waitingOn: 'officer' } });
  const other = (await sys.call('GET', `/applications?programmeId=${programmeId}&q=${encodeURIComponent('Project 4')}&sort=title&limit=1`, { key: officerKey })).body.items[0];
  expect(other).toMatchObject({ members: [], tier: null, awardFen: null, submittedAt: null, configVersion: null });
  expect(other.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

it('shows applicants their own only, and refuses a forged cursor', async () => {
  const mine = await all('', leads[0]!.key);
  expect(mine.length).toBe(100);
  const other = await sys.call('GET', `/applications?applicantId=${leads[1]!.id}`, { key: leads[0]!.key });
  expect(other.body.items.every((a: { applicantId: string }) => a.applicantId === leads[0]!.id)).toBe(true);
  const forged = await sys.call('GET', `/applications?cursor=${Buffer.from('["title","x","y"]').toString('base64url')}&sort=createdAt`, { key: officerKey });
  expect(forged).toMatchObject({ status: 400, body: { code: 'ValidationFailed' } });
  expect((await sys.call('GET', '/applications?minFen=5&maxFen=1', { key: officerKey })).status).toBe(400);
});
