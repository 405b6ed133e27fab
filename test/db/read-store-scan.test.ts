// A long read through the read store comes a slice at a time, in order and whole, and other reads go
// on between its slices and see what was written meanwhile: on SQLite, whose reads hold the thread
// that makes them, the scan runs on a thread of its own, each on a connection of its own (on a
// shared one, every read would see the database as it was when the scan began, until it ended).
import { createReadStore, type ReadStore } from '../../infra/read-store';
import { freshDatabase, type TestDatabase } from '../helpers/db';

let db: TestDatabase;
let reads: ReadStore;
// More rows than any machine reads in one slice's 10 ms on SQLite; 100 slices of 5,000 on PostgreSQL.
const ROWS = 500_000;
// Counting, over a table: a statement that reads a table holds its read transaction until it ends.
const COUNT_TO = (n: number) =>
  `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) SELECT i FROM n WHERE i > (SELECT COUNT(*) FROM "IdempotencyRecord" WHERE "scope" = 'none')`;

beforeAll(() => {
  db = freshDatabase();
  reads = createReadStore(db.url, db.prisma);
});

afterAll(async () => {
  reads.close();
  await db.close();
});

it('hands a long read over in slices, every row in order, with other reads answered between them as of then', async () => {
  const turns: number[] = [];
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 0);
  let next = 1;
  let outOfOrder = 0;
  let slices = 0;
  const seen: number[] = [];
  try {
    for await (const slice of reads.scan<{ i: number | bigint }>(COUNT_TO(ROWS), [])) {
      for (const row of slice) if (Number(row.i) !== next++) outOfOrder++;
      slices++;
      turns.push(ticks);
      // A write meanwhile, and the store's other reads see it.
      await db.prisma.idempotencyRecord.create({ data: { scope: 'scan', key: `slice-${slices}`, requestHash: 'h' } });
      const counted = await reads.all<{ n: number | bigint }>(`SELECT COUNT(*) AS "n" FROM "IdempotencyRecord" WHERE "scope" = 'scan'`, []);
      seen.push(Number(counted[0]!.n));
    }
  } finally {
    clearInterval(ticker);
  }
  expect(outOfOrder).toBe(0);
  expect(next - 1).toBe(ROWS);
  expect(slices).toBeGreaterThan(1);
  expect(seen).toEqual(seen.map((_, i) => i + 1));
  // Timers ran while the rows were read: the scan gave the event loop back between slices.
  expect(turns[turns.length - 1]!).toBeGreaterThan(turns[0]!);
});

it('ends the read when the reader breaks off, and reads again after', async () => {
  for await (const slice of reads.scan<{ i: number | bigint }>(COUNT_TO(ROWS), [])) {
    expect(Number(slice[0]!.i)).toBe(1);
    break;
  }
  const all: number[] = [];
  for await (const slice of reads.scan<{ i: number | bigint }>(COUNT_TO(10), [])) all.push(...slice.map((r) => Number(r.i)));
  expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

// A sort over a million rows: nothing comes before SQLite has sorted them all, hundreds of
// milliseconds on any machine, where a turn of the event loop takes microseconds.
const SORTED = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT i FROM n ORDER BY (CAST(i AS BIGINT) * 7919) % 1000003 LIMIT 3`;

it('keeps the event loop going while the database works towards a long read\'s first row', async () => {
  const scan = reads.scan<{ i: number | bigint }>(SORTED, [])[Symbol.asyncIterator]();
  let arrived = false;
  const first = scan.next().then((r) => {
    arrived = true;
    return r;
  });
  // Three turns of the event loop, each after the scan began: on the event loop's own thread the
  // sort would have held the loop through them and the first slice be here by the third.
  let turns = 0;
  for (let t = 0; t < 3; t++) {
    await new Promise((r) => setImmediate(r));
    if (!arrived) turns++;
  }
  expect(turns).toBe(3);
  const slice = await first;
  expect(slice.done).toBe(false);
  expect((slice.value as Array<{ i: number | bigint }>).map((r) => Number(r.i))).toHaveLength(3);
  await scan.return?.();
});

it('fails a read the database refuses, with its message, and reads again after', async () => {
  const read = async () => {
    for await (const slice of reads.scan(`SELECT "nope" FROM "NoSuchTable"`, [])) void slice;
  };
  await expect(read()).rejects.toMatchObject({ message: expect.stringMatching(/NoSuchTable/) });
  const all: number[] = [];
  for await (const slice of reads.scan<{ i: number | bigint }>(COUNT_TO(3), [])) all.push(...slice.map((r) => Number(r.i)));
  expect(all).toEqual([1, 2, 3]);
});
