// The read model at 100,000 applications: filtered, searched and paged to the end correctly; and
// each role's inbox holds what waits on it and nothing else.
import { randomUUID } from 'node:crypto';
import { generateApplications } from '../../bench/data/generate';
import { DAY } from '../helpers/fixtures';
import { seedApplication, seedProgramme } from '../helpers/seed';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(240_000);

let sys: TestSystem;
let officer: { id: string; key: string };
let programmeId: string;

beforeAll(async () => {
  sys = await startSystem();
  officer = await sys.user('officer');
  const p = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });
  programmeId = p.programmeId;
});
afterAll(async () => {
  await sys?.stop();
});

it('filters, searches and pages through 100,000 applications', async () => {
  const lead = await sys.user('applicant');
  await generateApplications(sys.db.prisma, { programmeId, applicantIds: [lead.id], count: 100_000 });
  expect(await sys.db.prisma.application.count({ where: { programmeId } })).toBe(100_000);

  const search = await sys.call('GET', `/applications?programmeId=${programmeId}&q=${encodeURIComponent('氢能')}&limit=200`, { key: officer.key });
  expect(search.body.items).toHaveLength(10);

  // A filtered list walked to its end, 200 at a time, by requested amount descending.
  const expected = await sys.db.prisma.application.count({ where: { programmeId, stage: 'formal_review', requestedFen: { gte: 90_000_000n } } });
  const seen = new Set<string>();
  let last = Infinity;
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: Array<{ id: string; requestedFen: number }>; nextCursor: string | null } } = await sys.call(
      'GET',
      `/applications?programmeId=${programmeId}&stage=formal_review&minFen=90000000&sort=requestedFen&order=desc&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      { key: officer.key },
    );
    expect(res.status).toBe(200);
    for (const a of res.body.items) {
      expect(a.requestedFen).toBeLessThanOrEqual(last);
      last = a.requestedFen;
      seen.add(a.id);
    }
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(expected).toBe(2_000);
  expect(seen.size).toBe(expected);
});

it('fills each role’s inbox with what waits on it', async () => {
  const applicant = await sys.user('applicant');
  const other = await sys.user('applicant');
  const reviewer = await sys.user('reviewer');
  const finance = await sys.user('finance');
  const p = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });
  const mine = await seedApplication(sys.db.prisma, p);
  await sys.db.prisma.application.update({ where: { id: mine.applicationId }, data: { applicantId: applicant.id, stage: 'agreement', waitingOn: 'applicant', nextAction: 'Sign the agreement', dueAt: new Date(Date.now() + DAY) } });
  const theirs = await seedApplication(sys.db.prisma, p);
  await sys.db.prisma.application.update({ where: { id: theirs.applicationId }, data: { applicantId: other.id, stage: 'agreement', waitingOn: 'applicant', nextAction: 'Sign', dueAt: new Date() } });
  const decision = await seedApplication(sys.db.prisma, p);
  await sys.db.prisma.application.update({ where: { id: decision.applicationId }, data: { stage: 'committee', waitingOn: 'officer', nextAction: 'Record the committee decision', dueAt: new Date(Date.now() + 2 * DAY) } });
  await sys.db.prisma.reviewAssignment.create({ data: { id: `r:${reviewer.id}`, caseId: decision.applicationId, programmeId: p.programmeId, round: 1, reviewerId: reviewer.id, status: 'assigned', dueAt: new Date(Date.now() + 3 * DAY), rev: 1 } });
  await sys.db.prisma.tranche.create({ data: { id: `${mine.applicationId}:T1`, applicationId: mine.applicationId, code: 'T1', amountFen: 480_000_000n, status: 'released', rev: 1 } });
  await sys.db.prisma.objection.create({
    data: { id: `o:${randomUUID()}`, caseId: decision.applicationId, programmeId: p.programmeId, noticeId: 'n', filerName: 'Chen Wei', filerIdMasked: 'x', filerIdHash: 'h', contact: 'c', text: 't', status: 'open', filedAt: new Date(), rev: 1 },
  });

  const inbox = async (key: string, query = '') => (await sys.call('GET', `/inbox${query}`, { key })).body.items as Array<{ kind: string; caseId: string }>;
  expect(await inbox(applicant.key)).toEqual([expect.objectContaining({ kind: 'case', caseId: mine.applicationId })]);
  expect(await inbox(reviewer.key)).toEqual([expect.objectContaining({ kind: 'review', caseId: decision.applicationId })]);
  expect(await inbox(finance.key)).toEqual([expect.objectContaining({ kind: 'payment', caseId: mine.applicationId })]);
  // The officer's first page is the dated decision, then undated ones from the 25,000 generated;
  // the objection (undated too) is found by its kind.
  const officers = await inbox(officer.key);
  expect(officers).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'decision', caseId: decision.applicationId })]));
  expect(await inbox(officer.key, '?kind=objection')).toEqual([expect.objectContaining({ kind: 'objection', caseId: decision.applicationId })]);
  expect(officers.some((i) => i.caseId === mine.applicationId)).toBe(false);
  const chased = await sys.call('GET', `/review-assignments?reviewerId=${reviewer.id}&status=assigned`, { key: officer.key });
  expect(chased.body.items.map((a: { caseId: string }) => a.caseId)).toEqual([decision.applicationId]);
  expect((await sys.call('GET', '/review-assignments', { key: reviewer.key })).status).toBe(403);
  // Soonest due first: the decision with a date comes before the 25,000 undated ones.
  expect(officers[0]).toMatchObject({ kind: 'decision', caseId: decision.applicationId });
});

it('answers an inbox of 25,000 waiting cases with its first items, soonest due first, and says there are more', async () => {
  const page = async (query: string) => {
    const res = await sys.call('GET', `/inbox${query}`, { key: officer.key });
    expect(res.status).toBe(200);
    return res.body as { items: Array<{ kind: string; caseId: string; dueAt: string | null }>; more: boolean };
  };
  const standard = await page('');
  expect(standard.items).toHaveLength(100);
  expect(standard.more).toBe(true);
  // The first five of the merged sources are the first five of a longer page, in the same order.
  const longer = await page('?limit=500');
  expect(longer.items).toHaveLength(500);
  const five = await page('?limit=5');
  expect(five).toEqual({ items: longer.items.slice(0, 5), more: true, nextCursor: expect.any(String) });
  const dated = longer.items.filter((i) => i.dueAt !== null).map((i) => Date.parse(i.dueAt!));
  expect(dated).toEqual([...dated].sort((a, b) => a - b));
  expect(longer.items.findIndex((i) => i.dueAt === null)).toBe(dated.length);
  // One kind: the open objections alone, all of them.
  const objections = await page('?kind=objection');
  expect(objections.items.length).toBeGreaterThan(0);
  expect(objections.items.every((i) => i.kind === 'objection')).toBe(true);
  expect(objections.more).toBe(false);
  for (const bad of ['?limit=0', '?limit=501', '?limit=ten', '?kind=everything', '?page=2', '?cursor=nonsense', `?cursor=${Buffer.from('["list",null,0,"x"]').toString('base64url')}`, `?cursor=${Buffer.from('["inbox",null,2,"x"]').toString('base64url')}`, `?cursor=${Buffer.from('["inbox",null,2,"later","x"]').toString('base64url')}`, `?cursor=${Buffer.from('["inbox","soon",0,"x"]').toString('base64url')}`]) {
    const res = await sys.call('GET', `/inbox${bad}`, { key: officer.key });
    expect({ bad, status: res.status, code: res.body.code }).toEqual({ bad, status: 400, code: 'ValidationFailed' });
  }
});

it('pages through the whole inbox with its cursor: every item once, in order, items due at the same moment included', async () => {
  // Items due at one moment from three sources (applications, a station's milestone check, and the
  // applications' own ties broken by id), among the 25,000 undated ones.
  const p = await seedProgramme(sys.db.prisma, { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) });
  const at = new Date(Date.now() + 5 * DAY);
  for (let i = 0; i < 4; i++) {
    const c = await seedApplication(sys.db.prisma, p);
    await sys.db.prisma.application.update({ where: { id: c.applicationId }, data: { stage: 'defence', waitingOn: 'officer', nextAction: 'Record the defence', dueAt: at } });
    await sys.db.prisma.milestone.create({ data: { id: `${c.applicationId}:milestone:midterm:1`, caseId: c.applicationId, programmeId: p.programmeId, code: 'midterm', attempt: 1, status: 'awaiting_score', dueAt: at, rev: 1 } });
    // Objections are undated, in the order they were filed: three filed at one moment.
    if (i < 3) {
      await sys.db.prisma.objection.create({
        data: { id: `o:${randomUUID()}`, caseId: c.applicationId, programmeId: p.programmeId, noticeId: 'n', filerName: `Filer ${i}`, filerIdMasked: 'x', filerIdHash: 'h', contact: 'c', text: 't', status: 'open', filedAt: at, rev: 1 },
      });
    }
  }
  const page = async (query: string) => {
    const res = await sys.call('GET', `/inbox${query}`, { key: officer.key });
    expect(res.status).toBe(200);
    return res.body as { items: Array<{ kind: string; caseId: string; dueAt: string | null; ref?: string }>; more: boolean; nextCursor: string | null };
  };
  const walk = async (limit: number, kind?: string) => {
    const items = [];
    let cursor: string | null = null;
    do {
      const res = await page(`?limit=${limit}${kind ? `&kind=${kind}` : ''}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.more).toBe(res.nextCursor !== null);
      items.push(...res.items);
      cursor = res.nextCursor;
    } while (cursor);
    return items;
  };
  const everything = await walk(500);
  const [apps, stations, objections, checks] = await Promise.all([
    sys.db.prisma.application.count({ where: { waitingOn: 'officer' } }),
    sys.db.prisma.station.count({ where: { waitingOn: 'officer' } }),
    sys.db.prisma.objection.count({ where: { status: 'open' } }),
    sys.db.prisma.milestone.count({ where: { status: { in: ['overdue', 'awaiting_score'] } } }),
  ]);
  expect(everything).toHaveLength(apps + stations + objections + checks);
  const place = (i: { kind: string; caseId: string; ref?: string }) => `${i.kind}:${i.caseId}:${i.ref ?? ''}`;
  expect(new Set(everything.map(place)).size).toBe(everything.length);
  const dated = everything.filter((i) => i.dueAt !== null);
  expect(everything.slice(0, dated.length)).toEqual(dated); // undated last
  expect(dated.map((i) => i.dueAt)).toEqual(dated.map((i) => i.dueAt).sort());
  // The items due at that moment: the applications first, then the checks, each by id.
  const tied = everything.filter((i) => i.dueAt === at.toISOString());
  expect(tied.map((i) => i.kind)).toEqual(['decision', 'decision', 'decision', 'decision', 'milestone', 'milestone', 'milestone', 'milestone']);
  // Small pages cut through the ties, and through the turn from dated to undated: the same items.
  const first = everything.slice(0, dated.length + 20);
  const small = [];
  let cursor: string | null = null;
  while (small.length < first.length) {
    const res = await page(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    small.push(...res.items);
    cursor = res.nextCursor;
  }
  expect(small.slice(0, first.length)).toEqual(first);
  // One kind, walked alone, is that kind's items of the whole inbox in the same order.
  expect(await walk(2, 'milestone')).toEqual(everything.filter((i) => i.kind === 'milestone'));
  const objectionsInOrder = everything.filter((i) => i.kind === 'objection');
  expect(objectionsInOrder.length).toBeGreaterThanOrEqual(3);
  expect(await walk(1, 'objection')).toEqual(objectionsInOrder);
});
