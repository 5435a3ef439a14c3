"""The embedded SQLite store (WAL): one file, nothing to install.

The controller's SQL lives here, in controller/store/common.py (what both databases run as
written) and in the migrations; the ledger calls these methods inside `transaction()`. One
connection, used from one thread at a time: the server funnels every call through
`StoreWorker` (controller/store/worker.py).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..model import (
    Attempt,
    AttemptState,
    NewRecord,
    RecordState,
    RecordView,
)
from .common import ATTEMPT_COLUMNS as _ATTEMPT_COLUMNS
from .common import (
    PendingTotals,
    SqlStore,
    attempt_row,
    drop_commit_hooks,
    qmark,
    run_commit_hooks,
)
from .errors import StoreError
from .migrations import apply_migrations

_ATTEMPT_COLUMNS_A = ", ".join(f"a.{c.strip()}" for c in _ATTEMPT_COLUMNS.split(","))


# Statements of many rows (multi-row VALUES), not a step per row: (SQL, one row's VALUES).
# The hot path's writes (UPDATE ... FROM VALUES, needs SQLite 3.33): 11% less store time per
# job, and the store thread lets go of the interpreter lock once per statement instead of once
# per row; an update's row is (key, new values...), None in an attempt column keeps what the
# row has. An import's records: half the time of executemany for a million records.
_MULTI_ROW = {
    "attempts": ("UPDATE attempts SET state=v.column2, updated_ms=v.column3, "
                 "reason=COALESCE(v.column4, reason), attempt_id=COALESCE(v.column5, attempt_id), "
                 "printer_id=COALESCE(v.column6, printer_id), "
                 "blank_serial=COALESCE(v.column7, blank_serial) FROM (VALUES {}) AS v "
                 "WHERE attempts.lease_id = v.column1", "(?,?,?,?,?,?,?)"),
    "records": ("UPDATE records SET state=v.column2, hold_reason=v.column3, "
                "printed_ms=COALESCE(v.column4, printed_ms) FROM (VALUES {}) AS v "
                "WHERE records.record_id = v.column1", "(?,?,?,?)"),
    "leased": ("UPDATE records SET state='leased', hold_reason='', epoch=v.column2 "
               "FROM (VALUES {}) AS v WHERE records.record_id = v.column1", "(?,?)"),
    "events": ("INSERT INTO applied_events VALUES {}", "(?,?,?,?,?)"),
    "new_attempts": (f"INSERT INTO attempts ({_ATTEMPT_COLUMNS}, leased_ms) VALUES {{}}",
                     "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
    "queued": ("INSERT INTO records (record_id, campaign_id, nik, site_code, kategori, alasan, "
               "priority, prr_seq, state, hold_reason, payload, imported_ms, person_key) "
               "VALUES {}", "(?,?,?,?,?,?,0,?,'queued','',?,?,?)"),
}
MIN_SQLITE = (3, 33, 0)


@functools.lru_cache(maxsize=1024)
def _multi_row_sql(kind: str, rows: int) -> str:
    sql, values = _MULTI_ROW[kind]
    return sql.format(",".join([values] * rows))


# Page cache of an import (KiB): the knee of bench/import.py at a million records (32 MB
# still spilled, 128 MB bought nothing more); the process stays well under the 500 MB target.
BULK_CACHE_KIB = 64 * 1024
WAL_SIZE_LIMIT = 64 * 1024 * 1024


class _Checkpointer:
    """Checkpoints the WAL (copies committed pages into the database file) on a thread and a
    connection of its own, so no commit pays for it: with SQLite's automatic checkpoint the
    commit that crosses 1,000 WAL pages copies them and fsyncs the database before it returns,
    a stall on the dispatch path and 0.7 s at the end of a million-record import.

    PASSIVE never waits for readers or the writer; what it cannot copy yet is copied the next
    round. journal_size_limit keeps a WAL grown by a large import from staying that size."""

    INTERVAL = 0.5

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                continue  # busy or locked this round: the next one copies it

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()


def _chunks(items: list[str], size: int = 400) -> list[list[str]]:
    # SQLite allows 999 host parameters in older builds: stay well under.
    return [items[i:i + size] for i in range(0, len(items), size)]


_IN_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 400)


def _in_lists(items: list[str]) -> list[tuple[str, list[str]]]:
    """(placeholders, values) per chunk of `items` for `x IN (...)`, each chunk padded (with
    its last value again) to one of a few sizes: a statement per distinct text is compiled
    and cached, and IN lists of every length from 1 to 400 missed that cache on the hot path."""
    out = []
    for chunk in _chunks(items, _IN_SIZES[-1]):
        size = next(n for n in _IN_SIZES if n >= len(chunk))
        out.append((",".join("?" * size), chunk + [chunk[-1]] * (size - len(chunk))))
    return out


def _attempt(row: tuple) -> Attempt:
    return Attempt(lease_id=row[0], record_id=row[1], campaign_id=row[2], site_code=row[3],
                   agent_id=row[4], epoch=row[5], expires_ms=row[6], state=AttemptState(row[7]),
                   reason=row[8], attempt_id=row[9], printer_id=row[10], blank_serial=row[11],
                   kategori=row[12], updated_ms=row[13])


class SqliteStore(SqlStore):
    """Controller state in one SQLite file. Durable commits (WAL, synchronous=FULL)."""

    kind = "sqlite"

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(f"SQLite {'.'.join(map(str, MIN_SQLITE))} or newer is needed; "
                             f"this Python has {sqlite3.sqlite_version}")
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the StoreWorker owns the connection but may be a different
        # thread from the one that opened it; the lock below serialises every use.
        # Statements are compiled once and cached by text: room for every hot-path shape.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                     timeout=30.0, cached_statements=512)
        self._lock = threading.RLock()
        self._depth = 0
        self._commit_hooks: list[tuple[Callable[[], None], Callable[[], None]]] = []
        self._totals = PendingTotals()
        c = self._conn
        c.execute("PRAGMA journal_mode=WAL")
        c.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("PRAGMA busy_timeout=30000")
        # Savepoints and statements that may abort (the attempt-state trigger, UNIQUE checks)
        # keep the pages they change in a sub-journal; in a temporary file that was a write
        # and a read syscall per page, a sixth of the dispatch path's store time.
        c.execute("PRAGMA temp_store=MEMORY")
        apply_migrations(c)
        self._checkpointer: _Checkpointer | None = None
        if self.path != ":memory:":
            c.execute("PRAGMA wal_autocheckpoint=0")
            c.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            self._checkpointer = _Checkpointer(self.path)

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def close(self) -> None:
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()
        with self._lock:
            self._conn.close()  # the last connection to close checkpoints what is left

    # -- transactions -------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction; nested calls become savepoints (the worker's group commit uses this)."""
        with self._lock:
            c = self._conn
            depth = self._depth
            name = f"sp{depth}"
            c.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
            self._depth += 1
            mark = self._totals.mark()
            try:
                yield
            except BaseException:
                self._depth -= 1
                self._totals.rollback_to(mark)
                if depth == 0:
                    c.execute("ROLLBACK")
                    drop_commit_hooks(self._commit_hooks)
                else:
                    c.execute(f"ROLLBACK TO {name}")
                    c.execute(f"RELEASE {name}")
                raise
            if depth == 0:
                try:
                    run_commit_hooks(self._commit_hooks)
                    self._write_totals()  # last, as on PostgreSQL (see PostgresStore)
                except BaseException:
                    self._depth -= 1
                    self._totals.clear()
                    c.execute("ROLLBACK")
                    drop_commit_hooks(self._commit_hooks)
                    raise
                self._commit_hooks.clear()
            self._depth -= 1
            c.execute("COMMIT" if depth == 0 else f"RELEASE {name}")

    def try_lock(self, key: str, *, wait: bool = False) -> bool:
        """Serialise a read-check-write on `key` among writers. SQLite has one writer at a
        time (BEGIN IMMEDIATE), so it is always held; PostgresStore takes an advisory lock."""
        return True

    def _q(self, sql: str, args: Iterable = ()) -> list[tuple]:
        try:
            return self._conn.execute(qmark(sql), tuple(args)).fetchall()
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc

    def _x(self, sql: str, args: Iterable = ()) -> int:
        try:
            return self._conn.execute(qmark(sql), tuple(args)).rowcount
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc

    def _xmany(self, sql: str, rows: list[tuple]) -> None:
        try:
            self._conn.executemany(qmark(sql), rows)
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc

    # -- campaigns and sites -----------------------------------------------------------

    # -- records ---------------------------------------------------------------------------

    def insert_records(self, records: Iterable[NewRecord], now_ms: int) -> int:
        records = list(records)
        start = self._take_prr_seq(len(records))
        rows = [(r.record_id, r.campaign_id, r.nik, r.site_code, r.kategori, r.alasan,
                 r.priority, start + i + 1, str(r.state), r.hold_reason, r.payload, now_ms,
                 r.person_key) for i, r in enumerate(records)]
        try:
            self._conn.executemany(
                "INSERT INTO records (record_id, campaign_id, nik, site_code, kategori, alasan, "
                "priority, prr_seq, state, hold_reason, payload, imported_ms, person_key) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc
        return len(rows)

    @contextlib.contextmanager
    def bulk_load(self) -> Iterator[None]:
        """While an import writes: a larger page cache, and no foreign-key probe per row.

        A million-record import touches its indexes (the NIK ones at random places) far beyond
        the default 2 MB cache: pages were spilled to the WAL and read back again and again,
        5 s of the import. The foreign keys an import writes are its records' campaign, which
        the importer checks inside its transaction (nothing deletes campaigns); a probe of
        `campaigns` per record was ~0.5 s of a million. The lock is held throughout, so no
        other thread's statement runs without the checks; both are restored after, and a
        restore that did not take raises. Durability is unchanged: synchronous stays as set.
        Use it outside the import's transaction (SQLite ignores the pragma inside one)."""
        with self._lock:
            conn = self._conn
            (before,) = conn.execute("PRAGMA cache_size").fetchone()
            conn.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
            conn.execute("PRAGMA foreign_keys=OFF")
            try:
                yield
            finally:
                conn.execute(f"PRAGMA cache_size={int(before)}")
                conn.execute("PRAGMA foreign_keys=ON")
                if conn.execute("PRAGMA foreign_keys").fetchone() != (1,):
                    raise StoreError("foreign keys could not be turned back on after an import")

    def queue_records(self, campaign_id: str,
                      rows: list[tuple[str, str, str, str, str, bytes, int]],
                      now_ms: int) -> int:
        """Queue new records of one campaign, in import order: rows of (record_id, nik,
        site_code, kategori, alasan, payload, person_key). The same rows as insert_records with
        default priority, state and hold reason, in a few statements of many rows each."""
        if not rows:
            return 0
        start = self._take_prr_seq(len(rows))
        self._write_rows("queued", [
            (r[0], campaign_id, r[1], r[2], r[3], r[4], start + i, r[5], now_ms, r[6])
            for i, r in enumerate(rows, 1)])
        return len(rows)

    def _take_prr_seq(self, n: int) -> int:
        """Import numbers for n new records: they are start + 1 .. start + n (migration 0008)."""
        with self._lock:
            self._conn.execute("UPDATE record_seq SET last = last + ?", (n,))
            (last,) = self._conn.execute("SELECT last FROM record_seq").fetchone()
        return last - n

    def niks_in_campaign(self, campaign_id: str, niks: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(niks), 500):
            chunk = niks[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self._q(
                f"SELECT nik FROM records WHERE campaign_id=? AND nik IN ({marks})",
                (campaign_id, *chunk)))
        return found

    def niks_printed_elsewhere(self, campaign_id: str, niks: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(niks), 500):
            chunk = niks[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self._q(
                f"SELECT nik FROM records WHERE campaign_id<>? AND state='printed' AND "
                f"nik IN ({marks})", (campaign_id, *chunk)))
        return found

    def record_row(self, record_id: str) -> tuple | None:
        rows = self._q("SELECT record_id, campaign_id, site_code, state, hold_reason, kategori, "
                       "epoch, printed_ms FROM records WHERE record_id=?", (record_id,))
        return rows[0] if rows else None

    def get_record(self, record_id: str) -> RecordView | None:
        row = self.record_row(record_id)
        if row is None:
            return None
        return RecordView(record_id=row[0], campaign_id=row[1], site_code=row[2],
                          state=RecordState(row[3]), hold_reason=row[4], kategori=row[5],
                          epoch=row[6], printed_ms=row[7],
                          attempts=self.attempts_of_record(record_id))

    def records_by_nik(self, nik: str, campaign_id: str = "") -> list[RecordView]:
        # Through UNIQUE (campaign_id, nik): one probe per campaign (migration 0005).
        sql = ("SELECT record_id FROM records WHERE campaign_id IN "
               "(SELECT campaign_id FROM campaigns) AND nik=?")
        args: tuple = (nik,)
        if campaign_id:
            sql = "SELECT record_id FROM records WHERE campaign_id=? AND nik=?"
            args = (campaign_id, nik)
        return [v for (rid,) in self._q(sql + " ORDER BY imported_ms", args)
                if (v := self.get_record(rid)) is not None]

    def next_queued(self, site_code: str, limit: int, *, exclude_kategori: Iterable[str] = (),
                    exclude_budgets: Iterable[tuple[str, str]] = (),
                    new_first: bool = False) -> list[tuple]:
        """Queued records of a site in scheduling order: (record_id, campaign_id, kategori,
        epoch, priority, payload). `exclude_budgets`: (campaign_id, kategori) pairs whose
        budget is spent, skipped here so they cannot fill the rows a grant reads."""
        excluded = tuple(exclude_kategori)
        pairs = [x for pair in exclude_budgets for x in pair]
        where = "site_code=? AND state='queued'"
        if excluded:
            where += f" AND kategori NOT IN ({','.join('?' * len(excluded))})"
        if pairs:
            where += " AND NOT (" + " OR ".join(["(campaign_id=? AND kategori=?)"]
                                                * (len(pairs) // 2)) + ")"
        order = "priority DESC, " + ("kategori='PENGGANTIAN', " if new_first else "") + "prr_seq"
        return self._q(f"SELECT record_id, campaign_id, kategori, epoch, priority, payload "
                       f"FROM records WHERE {where} ORDER BY {order} LIMIT ?",
                       (site_code, *excluded, *pairs, limit))

    def move_queued(self, campaign_id: str, from_site: str, to_site: str,
                    record_ids: list[str]) -> int:
        if record_ids:
            moved = 0
            for rid in record_ids:
                moved += self._x("UPDATE records SET site_code=? WHERE record_id=? AND "
                                 "campaign_id=? AND site_code=? AND state IN ('queued','held')",
                                 (to_site, rid, campaign_id, from_site))
            return moved
        return self._x("UPDATE records SET site_code=? WHERE campaign_id=? AND site_code=? "
                       "AND state='queued'", (to_site, campaign_id, from_site))

    # -- attempts (one per lease) --------------------------------------------------------

    def get_attempt(self, lease_id: str) -> Attempt | None:
        rows = self._q(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE lease_id=?", (lease_id,))
        return _attempt(rows[0]) if rows else None

    def find_attempt(self, attempt_or_lease_id: str) -> Attempt | None:
        rows = self._q(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE lease_id=? OR "
                       "attempt_id=? LIMIT 1", (attempt_or_lease_id, attempt_or_lease_id))
        return _attempt(rows[0]) if rows else None

    def attempts_of_record(self, record_id: str) -> list[Attempt]:
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE record_id=? ORDER BY leased_ms",
            (record_id,))]

    def active_attempts(self, agent_id: str) -> list[Attempt]:
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE agent_id=? AND "
            "state IN ('leased','printing') ORDER BY leased_ms", (agent_id,))]

    def leased_expired_before(self, cutoff_ms: int, limit: int = 1000) -> list[Attempt]:
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE state='leased' AND expires_ms<? "
            "LIMIT ?", (cutoff_ms, limit))]

    # -- events ----------------------------------------------------------------------------

    def write_reports(self, attempts: list[tuple], records: list[tuple],
                      events: list[tuple[str, str, str, str, int]], was: list[Attempt]) -> None:
        """The writes a batch of reports ends with, one statement shape per table:
        attempts (lease_id, state, updated_ms, reason, attempt_id, printer_id, blank_serial;
        None keeps a column), records (record_id, state, hold_reason, printed_ms or None),
        events as for record_events; `was`: each attempt as read in this transaction, in the
        order of `attempts` (its totals move from that state to the new one)."""
        self._write_rows("attempts", attempts)
        self._write_rows("records", records)
        self._write_rows("events", events)
        self._reported(attempts, was)

    def lease_records(self, attempts: list[Attempt], leased_ms: int) -> None:
        """Lease records: each record leased under its attempt's epoch, each attempt inserted."""
        self._write_rows("leased", [(a.record_id, a.epoch) for a in attempts])
        self._write_rows("new_attempts", [attempt_row(a, leased_ms) for a in attempts])
        self._leased(attempts)

    def record_events(self, rows: list[tuple[str, str, str, str, int]]) -> None:
        """Many (agent_id, event_id, status, detail, applied_ms) in one statement."""
        self._write_rows("events", rows)

    def _write_rows(self, kind: str, rows: list[tuple]) -> None:
        """`rows` in one statement of _MULTI_ROW (a few for very many: host parameters are
        limited, 999 in older builds); rows of one call are distinct keys."""
        if not rows:
            return
        per = (self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
               // _MULTI_ROW[kind][1].count("?"))
        try:
            for first in range(0, len(rows), per):
                chunk = rows[first:first + per]
                self._conn.execute(_multi_row_sql(kind, len(chunk)),
                                   list(itertools.chain.from_iterable(chunk)))
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc

    def report_context(self, agent_id: str, event_ids: list[str], lease_ids: list[str],
                       ) -> tuple[dict[str, tuple[str, str]],
                                  dict[str, tuple[Attempt, str, int]]]:
        """What judging a batch of reports needs, in two reads instead of three per report:
        {event_id: (status, detail)} of those already applied, and {lease_id: (attempt,
        record state, record epoch)}."""
        applied: dict[str, tuple[str, str]] = {}
        for marks, values in _in_lists(event_ids):
            for event_id, status, detail in self._q(
                    "SELECT event_id, status, detail FROM applied_events WHERE agent_id=? AND "
                    f"event_id IN ({marks})", (agent_id, *values)):
                applied[event_id] = (status, detail)
        leases: dict[str, tuple[Attempt, str, int]] = {}
        for marks, values in _in_lists(lease_ids):
            for row in self._q(
                    f"SELECT {_ATTEMPT_COLUMNS_A}, r.state, r.epoch FROM attempts a JOIN records "
                    f"r ON r.record_id=a.record_id WHERE a.lease_id IN ({marks})", values):
                leases[row[0]] = (_attempt(row), row[14], row[15])
        return applied, leases

    # -- inventory ---------------------------------------------------------------------------

    # -- agents and printers -----------------------------------------------------------------

    def printers(self, site_code: str = "") -> list[dict]:
        sql = ("SELECT p.agent_id, p.printer_id, p.site_code, p.info, p.status, "
               "p.cards_per_hour, COALESCE(a.connected, 0), p.model, p.retransfer "
               "FROM printers p "
               "LEFT JOIN agents a ON a.agent_id = p.agent_id")
        args: tuple = ()
        if site_code:
            sql += " WHERE p.site_code=?"
            args = (site_code,)
        keys = ("agent_id", "printer_id", "site_code", "info", "status", "cards_per_hour",
                "connected", "model", "retransfer")
        return [dict(zip(keys, r, strict=True)) for r in self._q(sql + " ORDER BY 1, 2", args)]

    # -- reporting ---------------------------------------------------------------------------

    # -- campaign operations: media, holds, serial ranges, destruction records ---------------

    def insert_media(self, items: Iterable[tuple[str, bytes]], now_ms: int) -> None:
        """Store images by sha256; content already there is kept (same hash, same bytes)."""
        self._conn.executemany("INSERT OR IGNORE INTO media VALUES (?,?,?)",
                               [(sha, data, now_ms) for sha, data in items])

    def hold_records_by_nik(self, campaign_id: str, niks: list[str], hold_reason: str) -> int:
        """Hold the queued records of these NIKs in a campaign (possible duplicate person)."""
        return sum(self._x("UPDATE records SET state='held', hold_reason=? WHERE campaign_id=? "
                           "AND nik=? AND state='queued'", (hold_reason, campaign_id, nik))
                   for nik in niks)

    def set_blank_ranges(self, site_code: str,
                         ranges: Iterable[tuple[str, int, int, int, str]]) -> None:
        """Replace what a site holds: (prefix, first_no, last_no, width, movement_id)."""
        self._x("DELETE FROM blank_ranges WHERE site_code=?", (site_code,))
        self._conn.executemany("INSERT INTO blank_ranges VALUES (?,?,?,?,?,?)",
                               [(site_code, *r) for r in ranges])

