# Loaded by schemathesis (SCHEMATHESIS_HOOKS) in the fuzz tests. Records every request it makes, as
# the server saw it, so that the Jest side can count the requests and check that nothing a rejected
# request did is in the database (the audit trail carries the server's request id).
#
# With PF_FUZZ_DB set (a run with one worker) it also compares the database before and after each
# request: every table's rows, read from the SQLite file itself. After an accepted request it waits
# for the database to settle before the next one, so that work the accepted one set off (a
# workflow's projection) is not taken for the next one's; after a rejected one, any change at all
# before the next request is that rejected request's late write.
import hashlib
import json
import os
import sqlite3
import threading
import time

import schemathesis

_log_path = os.environ["PF_FUZZ_LOG"]
_db_path = os.environ.get("PF_FUZZ_DB")
_lock = threading.Lock()
# Keeping a rejected request's answer for its Idempotency-Key is what that table is for.
_IGNORED = {"IdempotencyRecord", "_prisma_migrations"}
_state = threading.local()


def _snapshot():
    con = sqlite3.connect(f"file:{_db_path}?mode=ro", uri=True, timeout=30)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out = {}
        for t in tables:
            if t in _IGNORED:
                continue
            h = hashlib.sha256()
            n = 0
            # In the order of the primary key (a table WITHOUT ROWID, as the search slices since
            # migration 0012, has no rowid), or of the rowid for a table without one.
            pk = [r[0] for r in con.execute('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk', (t,))]
            key = ", ".join(f'"{c}"' for c in pk) if pk else "rowid"
            for row in con.execute(f'SELECT * FROM "{t}" ORDER BY {key}'):
                h.update(repr(row).encode("utf-8", "surrogatepass"))
                n += 1
            out[t] = f"{n}:{h.hexdigest()[:16]}"
        return out
    finally:
        con.close()


def _settled(max_wait=30.0, quiet=0.3):
    """A snapshot that has not changed for `quiet` seconds."""
    last = _snapshot()
    since = time.monotonic()
    deadline = since + max_wait
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = _snapshot()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise RuntimeError("the database did not settle before the next request")


def _write(entry):
    with _lock, open(_log_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


@schemathesis.hook
def before_call(context, case, kwargs):
    if not _db_path:
        return
    prev = getattr(_state, "previous", None)
    settled = _settled() if prev is None or prev["status"] < 400 else _snapshot()
    # Nothing else was running when the previous request was sent: a change since its answer, with
    # that request rejected, is its own late write.
    if prev is not None and prev["status"] >= 400 and settled != prev["after"]:
        _write({"lateWriteAfter": prev["requestId"], "changed": sorted(t for t in settled if settled.get(t) != prev["after"].get(t))})
    _state.before = settled


@schemathesis.hook
def after_call(context, case, response):
    meta = getattr(case, "_meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    entry = {
        # The id the server logged and audited under: it echoes it in x-request-id.
        "requestId": (response.headers.get("x-request-id") or [None])[0],
        "method": case.method,
        "path": case.path,
        "url": response.request.url,
        "status": response.status_code,
        "mode": getattr(mode, "value", None),
    }
    if response.status_code >= 400:
        try:
            problem = json.loads(response.content)
            entry["code"] = problem.get("code")
            entry["why"] = (problem.get("errors") or [{}])[0].get("message") or problem.get("detail")
        except ValueError:
            entry["code"] = None
    before = getattr(_state, "before", None) if _db_path else None
    if before is not None:
        after = _snapshot()
        entry["changed"] = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
        _state.before = None
        _state.previous = {"requestId": entry["requestId"], "status": entry["status"], "after": after}
    _write(entry)
