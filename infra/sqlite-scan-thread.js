// @ts-check
// The thread on which the read store runs its long reads on SQLite (infra/read-store.ts, `scan`).
// better-sqlite3 is synchronous: on the API's own thread a report's sort or window held the event
// loop that serves every other request for as long as SQLite took to its first row. Here it holds
// only this thread. Plain JavaScript, loaded by Node as it is: a worker thread's file is not
// compiled by whatever runs the rest (tsx, Jest's transform).
//
// Messages in: { id, type: 'start', sql, params } | { id, type: 'more' } | { id, type: 'stop' }.
// Out: { id, rows, done } for each 'start' and 'more', a slice of up to `sliceRows` rows, or
// { id, error: { message, code } }. A slice is read only when asked for, so a reader that stops
// early leaves the rest unread.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

/** @type {{ file: string, timeoutMs: number, sliceRows: number }} */
const { file, timeoutMs, sliceRows } = workerData;
if (!parentPort) throw new Error('sqlite-scan-thread.js runs as a worker thread');
const port = parentPort;

/**
 * Each scan on a connection of its own: a statement being iterated keeps its connection busy (and
 * its read transaction open) until it ends, and each scan reads one snapshot over all its slices.
 * @type {Map<number, { db: import('better-sqlite3').Database, rows: IterableIterator<unknown> }>}
 */
const scans = new Map();

/** @param {number} id */
function end(id) {
  const scan = scans.get(id);
  if (!scan) return;
  scans.delete(id);
  scan.rows.return?.();
  scan.db.close();
}

/** @param {number} id @param {unknown} err */
function fail(id, err) {
  end(id);
  const e = /** @type {{ message?: string, code?: string }} */ (err);
  port.postMessage({ id, error: { message: String(e?.message ?? err), code: e?.code } });
}

/** @param {number} id */
function sendSlice(id) {
  const scan = scans.get(id);
  if (!scan) return;
  try {
    const rows = [];
    while (rows.length < sliceRows) {
      const next = scan.rows.next();
      if (next.done) {
        end(id);
        port.postMessage({ id, rows, done: true });
        return;
      }
      rows.push(next.value);
    }
    port.postMessage({ id, rows, done: false });
  } catch (err) {
    fail(id, err);
  }
}

port.on('message', (/** @type {{ id: number, type: string, sql?: string, params?: unknown[] }} */ m) => {
  if (m.type === 'start') {
    try {
      // Opened read-write, then made query-only, as the read store's own connection is (WAL).
      const db = new Database(file, { fileMustExist: true, timeout: timeoutMs });
      try {
        db.pragma('query_only = ON');
        scans.set(m.id, { db, rows: db.prepare(/** @type {string} */ (m.sql)).iterate(...(m.params ?? [])) });
      } catch (err) {
        db.close();
        throw err;
      }
    } catch (err) {
      fail(m.id, err);
      return;
    }
    sendSlice(m.id);
  } else if (m.type === 'more') sendSlice(m.id);
  else if (m.type === 'stop') end(m.id);
});
