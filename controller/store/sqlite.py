"""The embedded SQLite store (WAL): one file, nothing to install.

All SQL of the controller lives in this module (and the migrations); the ledger calls these
methods inside `transaction()`. One connection, used from one thread at a time: the server
funnels every call through `StoreWorker` (controller/store/worker.py).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..model import (
    Attempt,
    AttemptState,
    Campaign,
    InventoryMovement,
    NewRecord,
    RecordState,
    RecordView,
    SiteBlanks,
)
from .errors import StoreError
from .migrations import apply_migrations
from .shared_sql import HOLD_PERSON_DUPLICATES

_ATTEMPT_COLUMNS = ("lease_id, record_id, campaign_id, site_code, agent_id, epoch, expires_ms, "
                    "state, reason, attempt_id, printer_id, blank_serial, kategori, updated_ms")


_ATTEMPT_COLUMNS_A = ", ".join(f"a.{c.strip()}" for c in _ATTEMPT_COLUMNS.split(","))


_WRITE_ATTEMPT = ("UPDATE attempts SET state=?, updated_ms=?, reason=COALESCE(?, reason), "
                  "attempt_id=COALESCE(?, attempt_id), printer_id=COALESCE(?, printer_id), "
                  "blank_serial=COALESCE(?, blank_serial) WHERE lease_id=?")
_WRITE_RECORD = ("UPDATE records SET state=?, hold_reason=?, printed_ms=COALESCE(?, printed_ms) "
                 "WHERE record_id=?")


# Page cache of an import (KiB): the knee of bench/import.py at a million records (32 MB
# still spilled, 128 MB bought nothing more); the process stays well under the 500 MB target.
BULK_CACHE_KIB = 64 * 1024
WAL_SIZE_LIMIT = 64 * 1024 * 1024


# Rows per INSERT of queue_records: 10 parameters each, within SQLite's default limit of 32766
# (older builds allow 999: queue_records asks the connection).
_QUEUE_ROWS = 3000


@functools.lru_cache(maxsize=8)
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


def _queue_sql(rows: int) -> str:
    return ("INSERT INTO records (record_id, campaign_id, nik, site_code, kategori, alasan, "
            "priority, prr_seq, state, hold_reason, payload, imported_ms, person_key) VALUES "
            + ",".join(["(?,?,?,?,?,?,0,?,'queued','',?,?,?)"] * rows))


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


def _run_commit_hooks(hooks: list) -> None:
    # A hook may register another (an audit entry written by a hook): run until none is new.
    done = 0
    while done < len(hooks):
        hooks[done][0]()
        done += 1


def _drop_commit_hooks(hooks: list) -> None:
    pending, hooks[:] = list(hooks), []
    for _before, rollback in pending:
        rollback()


class SqliteStore:
    """Controller state in one SQLite file. Durable commits (WAL, synchronous=FULL)."""

    kind = "sqlite"

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
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
        c = self._conn
        c.execute("PRAGMA journal_mode=WAL")
        c.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("PRAGMA busy_timeout=30000")
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
            try:
                yield
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    c.execute("ROLLBACK")
                    _drop_commit_hooks(self._commit_hooks)
                else:
                    c.execute(f"ROLLBACK TO {name}")
                    c.execute(f"RELEASE {name}")
                raise
            if depth == 0 and self._commit_hooks:
                try:
                    _run_commit_hooks(self._commit_hooks)
                except BaseException:
                    self._depth -= 1
                    c.execute("ROLLBACK")
                    _drop_commit_hooks(self._commit_hooks)
                    raise
                self._commit_hooks.clear()
            self._depth -= 1
            c.execute("COMMIT" if depth == 0 else f"RELEASE {name}")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def on_commit(self, before: Callable[[], None], rollback: Callable[[], None]) -> None:
        """Run `before` inside the outermost open transaction just before it commits, or
        `rollback` if it rolls back instead (the ledger writes its batched audit entry so:
        one chained entry per commit, in the commit it describes)."""
        if self._depth == 0:
            raise StoreError("on_commit needs an open transaction")
        if (before, rollback) not in self._commit_hooks:
            self._commit_hooks.append((before, rollback))

    def try_lock(self, key: str, *, wait: bool = False) -> bool:
        """Serialise a read-check-write on `key` among writers. SQLite has one writer at a
        time (BEGIN IMMEDIATE), so it is always held; PostgresStore takes an advisory lock."""
        return True

    def _q(self, sql: str, args: Iterable = ()) -> list[tuple]:
        try:
            return self._conn.execute(sql, tuple(args)).fetchall()
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc

    def _x(self, sql: str, args: Iterable = ()) -> int:
        try:
            return self._conn.execute(sql, tuple(args)).rowcount
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc

    # -- campaigns and sites -----------------------------------------------------------

    def create_campaign(self, c: Campaign) -> None:
        self._x("INSERT INTO campaigns VALUES (?,?,?,?,?,?)",
                (c.campaign_id, c.name, c.deadline_ms, c.budget_baru, c.budget_penggantian,
                 c.created_ms))

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        rows = self._q("SELECT campaign_id, name, deadline_ms, budget_baru, budget_penggantian, "
                       "created_ms FROM campaigns WHERE campaign_id=?", (campaign_id,))
        return Campaign(*rows[0]) if rows else None

    def list_campaigns(self) -> list[Campaign]:
        return [Campaign(*r) for r in self._q(
            "SELECT campaign_id, name, deadline_ms, budget_baru, budget_penggantian, created_ms "
            "FROM campaigns ORDER BY created_ms, campaign_id")]

    def upsert_site(self, site_code: str, name: str, kecamatan: str = "",
                    calendar: list[dict] | None = None, overtime_cap_minutes: int = 0,
                    timezone: str = "Asia/Jakarta") -> None:
        self._x("INSERT INTO sites VALUES (?,?,?,?,?,?) ON CONFLICT(site_code) DO UPDATE SET "
                "name=excluded.name, kecamatan=excluded.kecamatan, "
                "calendar_json=excluded.calendar_json, "
                "overtime_cap_minutes=excluded.overtime_cap_minutes, timezone=excluded.timezone",
                (site_code, name, kecamatan, json.dumps(calendar or []), overtime_cap_minutes,
                 timezone))

    def list_sites(self) -> list[dict]:
        return [dict(site_code=r[0], name=r[1], kecamatan=r[2], calendar=json.loads(r[3]),
                     overtime_cap_minutes=r[4], timezone=r[5])
                for r in self._q("SELECT site_code, name, kecamatan, calendar_json, "
                                 "overtime_cap_minutes, timezone FROM sites ORDER BY site_code")]

    # -- records ---------------------------------------------------------------------------

    def insert_records(self, records: Iterable[NewRecord], now_ms: int) -> int:
        (start,) = self._q("SELECT COALESCE(MAX(prr_seq), 0) FROM records")[0]
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
        """A larger page cache while an import writes, the usual one after. A million-record
        import touches its indexes (the NIK ones at random places) far beyond the default
        2 MB: pages were spilled to the WAL and read back again and again, 5 s of the import.
        Durability is unchanged: synchronous stays as set, the commit is the same."""
        with self._lock:
            (before,) = self._conn.execute("PRAGMA cache_size").fetchone()
            self._conn.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        try:
            yield
        finally:
            with self._lock:
                self._conn.execute(f"PRAGMA cache_size={int(before)}")

    def queue_records(self, campaign_id: str, rows: list[tuple[str, str, str, str, str, bytes]],
                      now_ms: int) -> int:
        """Queue new records of one campaign, in import order: rows of (record_id, nik,
        site_code, kategori, alasan, payload, person_key). The same rows as insert_records with
        default priority, state and hold reason.

        A few statements of many rows each (multi-row VALUES): half the time of executemany's
        one step per row for a million-record import."""
        if not rows:
            return 0
        (start,) = self._q("SELECT COALESCE(MAX(prr_seq), 0) FROM records")[0]
        per = min(_QUEUE_ROWS, self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 10)
        try:
            for first in range(0, len(rows), per):
                chunk = rows[first:first + per]
                seq = start + first
                self._conn.execute(_queue_sql(len(chunk)), list(itertools.chain.from_iterable(
                    (r[0], campaign_id, r[1], r[2], r[3], r[4], seq + i, r[5], now_ms, r[6])
                    for i, r in enumerate(chunk, 1))))
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc
        return len(rows)

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

    def record_payload(self, record_id: str) -> bytes:
        rows = self._q("SELECT payload FROM records WHERE record_id=?", (record_id,))
        if not rows:
            raise StoreError(f"no record {record_id}")
        return rows[0][0]

    def next_queued(self, site_code: str, limit: int, *, exclude_kategori: Iterable[str] = (),
                    new_first: bool = False) -> list[tuple]:
        """Queued records of a site in scheduling order: (record_id, campaign_id, kategori,
        epoch, priority, payload)."""
        excluded = tuple(exclude_kategori)
        where = "site_code=? AND state='queued'"
        if excluded:
            where += f" AND kategori NOT IN ({','.join('?' * len(excluded))})"
        order = "priority DESC, " + ("kategori='PENGGANTIAN', " if new_first else "") + "prr_seq"
        return self._q(f"SELECT record_id, campaign_id, kategori, epoch, priority, payload "
                       f"FROM records WHERE {where} ORDER BY {order} LIMIT ?",
                       (site_code, *excluded, limit))

    def count_queued(self, site_code: str, limit: int | None = None) -> int:
        """Queued records of a site; with `limit`, counting stops there (a bounded read)."""
        if limit is None:
            return self._q("SELECT COUNT(*) FROM records WHERE site_code=? AND state='queued'",
                           (site_code,))[0][0]
        return self._q("SELECT COUNT(*) FROM (SELECT 1 FROM records WHERE site_code=? AND "
                       "state='queued' LIMIT ?)", (site_code, limit))[0][0]

    def set_record_state(self, record_id: str, state: RecordState, *, hold_reason: str = "",
                         epoch: int | None = None, printed_ms: int | None = None) -> None:
        sets = ["state=?", "hold_reason=?"]
        args: list = [str(state), hold_reason]
        if epoch is not None:
            sets.append("epoch=?")
            args.append(epoch)
        if printed_ms is not None:
            sets.append("printed_ms=?")
            args.append(printed_ms)
        self._x(f"UPDATE records SET {', '.join(sets)} WHERE record_id=?", (*args, record_id))

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

    def held_records(self, campaign_id: str = "", site_code: str = "") -> list[RecordView]:
        sql, args = "SELECT record_id FROM records WHERE state='held'", []
        if campaign_id:
            sql += " AND campaign_id=?"
            args.append(campaign_id)
        if site_code:
            sql += " AND site_code=?"
            args.append(site_code)
        return [v for (rid,) in self._q(sql + " ORDER BY prr_seq", args)
                if (v := self.get_record(rid)) is not None]

    # -- attempts (one per lease) --------------------------------------------------------

    def insert_attempt(self, a: Attempt, leased_ms: int) -> None:
        self._x(f"INSERT INTO attempts ({_ATTEMPT_COLUMNS}, leased_ms) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (a.lease_id, a.record_id, a.campaign_id, a.site_code, a.agent_id, a.epoch,
                 a.expires_ms, str(a.state), a.reason, a.attempt_id, a.printer_id,
                 a.blank_serial, a.kategori, a.updated_ms, leased_ms))

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

    def update_attempt(self, lease_id: str, state: AttemptState, now_ms: int, *,
                       reason: str | None = None, attempt_id: str | None = None,
                       printer_id: str | None = None, blank_serial: str | None = None,
                       evidence: str | None = None) -> None:
        sets, args = ["state=?", "updated_ms=?"], [str(state), now_ms]
        for column, value in (("reason", reason), ("attempt_id", attempt_id),
                              ("printer_id", printer_id), ("blank_serial", blank_serial),
                              ("evidence", evidence)):
            if value is not None:
                sets.append(f"{column}=?")
                args.append(value)
        self._x(f"UPDATE attempts SET {', '.join(sets)} WHERE lease_id=?", (*args, lease_id))

    def count_active(self, agent_id: str) -> int:
        """Leases an agent holds (leased or printing): a count, not rows."""
        return self._q("SELECT COUNT(*) FROM attempts WHERE agent_id=? AND "
                       "state IN ('leased','printing')", (agent_id,))[0][0]

    def active_attempts(self, agent_id: str) -> list[Attempt]:
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE agent_id=? AND "
            "state IN ('leased','printing') ORDER BY leased_ms", (agent_id,))]

    def leased_expired_before(self, cutoff_ms: int, limit: int = 1000) -> list[Attempt]:
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE state='leased' AND expires_ms<? "
            "LIMIT ?", (cutoff_ms, limit))]

    def count_attempts(self, *, site_code: str | None = None, campaign_id: str | None = None,
                       states: Iterable[AttemptState], kategori: str | None = None) -> int:
        st = tuple(str(s) for s in states)
        sql = f"SELECT COUNT(*) FROM attempts WHERE state IN ({','.join('?' * len(st))})"
        args: list = list(st)
        for column, value in (("site_code", site_code), ("campaign_id", campaign_id),
                              ("kategori", kategori)):
            if value is not None:
                sql += f" AND {column}=?"
                args.append(value)
        return self._q(sql, args)[0][0]

    def printed_attempt_counts(self) -> list[tuple[str, int]]:
        """(record_id, printed attempts) for records with more than one: must be empty."""
        return self._q("SELECT record_id, COUNT(*) FROM attempts WHERE state='printed' "
                       "GROUP BY record_id HAVING COUNT(*) > 1")

    # -- events ----------------------------------------------------------------------------

    def event_status(self, agent_id: str, event_id: str) -> tuple[str, str] | None:
        rows = self._q("SELECT status, detail FROM applied_events WHERE agent_id=? AND "
                       "event_id=?", (agent_id, event_id))
        return rows[0] if rows else None

    def record_event(self, agent_id: str, event_id: str, status: str, detail: str,
                     now_ms: int) -> None:
        self._x("INSERT INTO applied_events VALUES (?,?,?,?,?)",
                (agent_id, event_id, status, detail, now_ms))

    def write_reports(self, attempts: list[tuple], records: list[tuple],
                      events: list[tuple[str, str, str, str, int]]) -> None:
        """The writes a batch of reports ends with, one statement shape per table:
        attempts (lease_id, state, updated_ms, reason, attempt_id, printer_id, blank_serial;
        None keeps a column), records (record_id, state, hold_reason, printed_ms or None),
        events as for record_events."""
        try:
            if attempts:
                self._conn.executemany(_WRITE_ATTEMPT, [(*a[1:], a[0]) for a in attempts])
            if records:
                self._conn.executemany(_WRITE_RECORD, [(*r[1:], r[0]) for r in records])
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc
        self.record_events(events)

    def lease_records(self, attempts: list[Attempt], leased_ms: int) -> None:
        """Lease records: each record leased under its attempt's epoch, each attempt inserted."""
        try:
            self._conn.executemany(
                "UPDATE records SET state='leased', hold_reason='', epoch=? WHERE record_id=?",
                [(a.epoch, a.record_id) for a in attempts])
            self._conn.executemany(
                f"INSERT INTO attempts ({_ATTEMPT_COLUMNS}, leased_ms) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(a.lease_id, a.record_id, a.campaign_id, a.site_code, a.agent_id, a.epoch,
                  a.expires_ms, str(a.state), a.reason, a.attempt_id, a.printer_id,
                  a.blank_serial, a.kategori, a.updated_ms, leased_ms) for a in attempts])
        except sqlite3.IntegrityError as exc:
            raise StoreError(str(exc)) from exc

    def record_events(self, rows: list[tuple[str, str, str, str, int]]) -> None:
        """Many (agent_id, event_id, status, detail, applied_ms) in one statement."""
        try:
            self._conn.executemany("INSERT INTO applied_events VALUES (?,?,?,?,?)", rows)
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

    def flag_event(self, agent_id: str, event_id: str, lease_id: str, record_id: str,
                   epoch: int, state: str, reason: str, detail: str, now_ms: int) -> None:
        self._x("INSERT INTO flagged_events (agent_id, event_id, lease_id, record_id, epoch, "
                "state, reason, detail, flagged_ms) VALUES (?,?,?,?,?,?,?,?,?)",
                (agent_id, event_id, lease_id, record_id, epoch, state, reason, detail, now_ms))

    def flagged_events(self, only_unreviewed: bool = True) -> list[dict]:
        sql = ("SELECT id, agent_id, event_id, lease_id, record_id, epoch, state, reason, "
               "detail, flagged_ms, reviewed FROM flagged_events")
        if only_unreviewed:
            sql += " WHERE reviewed=0"
        keys = ("id", "agent_id", "event_id", "lease_id", "record_id", "epoch", "state",
                "reason", "detail", "flagged_ms", "reviewed")
        return [dict(zip(keys, r, strict=True)) for r in self._q(sql + " ORDER BY id")]

    # -- inventory ---------------------------------------------------------------------------

    def add_movement(self, m: InventoryMovement) -> None:
        self._x("INSERT INTO inventory_movements VALUES (?,?,?,?,?,?,?,?,?,?)",
                (m.movement_id, m.site_code, m.item, m.kind, m.quantity, m.serial_from,
                 m.serial_to, m.reference, m.counterpart_site, m.at_ms))

    def movements(self, site_code: str | None = None) -> list[InventoryMovement]:
        sql = ("SELECT movement_id, site_code, item, kind, quantity, serial_from, serial_to, "
               "reference, counterpart_site, at_ms FROM inventory_movements")
        args: tuple = ()
        if site_code:
            sql += " WHERE site_code=?"
            args = (site_code,)
        return [InventoryMovement(*r) for r in self._q(sql + " ORDER BY at_ms, movement_id", args)]

    def site_blanks(self, site_code: str) -> SiteBlanks:
        moved = dict(self._q("SELECT kind, COALESCE(SUM(quantity),0) FROM inventory_movements "
                             "WHERE site_code=? AND item='blank' GROUP BY kind", (site_code,)))
        used = dict(self._q("SELECT state, COUNT(*) FROM attempts WHERE site_code=? AND state IN "
                            "('printing','printed','spoiled','unknown') GROUP BY state",
                            (site_code,)))
        return SiteBlanks(site_code=site_code, received=moved.get("receive", 0),
                          transferred_in=moved.get("transfer_in", 0),
                          transferred_out=moved.get("transfer_out", 0),
                          printed=used.get("printed", 0),
                          # a blank damaged outside printing is a "spoil" movement
                          spoiled=used.get("spoiled", 0) + moved.get("spoil", 0),
                          unknown=used.get("unknown", 0), in_flight=used.get("printing", 0),
                          destroyed=moved.get("destroy", 0))

    def inventory_sites(self) -> list[str]:
        return [r[0] for r in self._q(
            "SELECT site_code FROM inventory_movements UNION SELECT site_code FROM attempts "
            "UNION SELECT site_code FROM sites ORDER BY 1")]

    # -- agents and printers -----------------------------------------------------------------

    def upsert_agent(self, agent_id: str, site_code: str, software: str, window_hours: float,
                     now_ms: int) -> None:
        self._x("INSERT INTO agents VALUES (?,?,1,?,?,?) ON CONFLICT(agent_id) DO UPDATE SET "
                "site_code=excluded.site_code, connected=1, last_seen_ms=excluded.last_seen_ms, "
                "software=excluded.software, window_hours=excluded.window_hours",
                (agent_id, site_code, now_ms, software, window_hours))

    def agent_site(self, agent_id: str) -> str | None:
        rows = self._q("SELECT site_code FROM agents WHERE agent_id=?", (agent_id,))
        return rows[0][0] if rows else None

    def set_agent_connected(self, agent_id: str, connected: bool, now_ms: int) -> None:
        self._x("UPDATE agents SET connected=?, last_seen_ms=? WHERE agent_id=?",
                (int(connected), now_ms, agent_id))

    def agents(self) -> list[dict]:
        keys = ("agent_id", "site_code", "connected", "last_seen_ms", "software", "window_hours")
        return [dict(zip(keys, r, strict=True)) for r in self._q(
            f"SELECT {', '.join(keys)} FROM agents ORDER BY agent_id")]

    def upsert_printer(self, agent_id: str, printer_id: str, site_code: str, info: bytes,
                       cards_per_hour: float, now_ms: int) -> None:
        self._x("INSERT INTO printers (printer_id, agent_id, site_code, info, cards_per_hour, "
                "updated_ms) VALUES (?,?,?,?,?,?) ON CONFLICT(agent_id, printer_id) DO UPDATE "
                "SET site_code=excluded.site_code, info=excluded.info, "
                "cards_per_hour=excluded.cards_per_hour, updated_ms=excluded.updated_ms",
                (printer_id, agent_id, site_code, info, cards_per_hour, now_ms))

    def set_printer_status(self, agent_id: str, printer_id: str, status: bytes,
                           now_ms: int) -> None:
        self._x("UPDATE printers SET status=?, updated_ms=? WHERE agent_id=? AND printer_id=?",
                (status, now_ms, agent_id, printer_id))

    def printers(self, site_code: str = "") -> list[dict]:
        sql = ("SELECT p.agent_id, p.printer_id, p.site_code, p.info, p.status, "
               "p.cards_per_hour, COALESCE(a.connected, 0) FROM printers p "
               "LEFT JOIN agents a ON a.agent_id = p.agent_id")
        args: tuple = ()
        if site_code:
            sql += " WHERE p.site_code=?"
            args = (site_code,)
        keys = ("agent_id", "printer_id", "site_code", "info", "status", "cards_per_hour",
                "connected")
        return [dict(zip(keys, r, strict=True)) for r in self._q(sql + " ORDER BY 1, 2", args)]

    def site_cards_per_hour(self, site_code: str) -> float:
        rows = self._q("SELECT COALESCE(SUM(p.cards_per_hour), 0) FROM printers p JOIN agents a "
                       "ON a.agent_id=p.agent_id WHERE p.site_code=?", (site_code,))
        return float(rows[0][0])

    # -- reporting ---------------------------------------------------------------------------

    def record_counts(self, campaign_id: str) -> list[tuple[str, str, int]]:
        """(site_code, record state, count) for a campaign."""
        return self._q("SELECT site_code, state, COUNT(*) FROM records WHERE campaign_id=? "
                       "GROUP BY site_code, state", (campaign_id,))

    def attempt_counts(self, campaign_id: str) -> list[tuple[str, str, int]]:
        """(site_code, attempt state, count) for a campaign."""
        return self._q("SELECT site_code, state, COUNT(*) FROM attempts WHERE campaign_id=? "
                       "GROUP BY site_code, state", (campaign_id,))

    def printed_since(self, campaign_id: str, since_ms: int) -> list[tuple[str, int]]:
        return self._q("SELECT site_code, COUNT(*) FROM attempts WHERE campaign_id=? AND "
                       "state='printed' AND updated_ms>=? GROUP BY site_code",
                       (campaign_id, since_ms))

    def records_without_final_state(self, campaign_id: str) -> int:
        rows = self._q("SELECT COUNT(*) FROM records WHERE campaign_id=? AND state NOT IN "
                       "('queued','leased','printed','held','rejected','cancelled')",
                       (campaign_id,))
        return rows[0][0]

    def inconsistent_records(self) -> list[tuple[str, str, str]]:
        """Records whose state disagrees with their attempts: (record_id, state, problem)."""
        problems = []
        problems += [(r[0], r[1], "printed record without a printed attempt") for r in self._q(
            "SELECT r.record_id, r.state FROM records r WHERE r.state='printed' AND NOT EXISTS "
            "(SELECT 1 FROM attempts a WHERE a.record_id=r.record_id AND a.state='printed')")]
        problems += [(r[0], r[1], "printed attempt but record not printed") for r in self._q(
            "SELECT r.record_id, r.state FROM records r WHERE r.state<>'printed' AND EXISTS "
            "(SELECT 1 FROM attempts a WHERE a.record_id=r.record_id AND a.state='printed')")]
        problems += [(r[0], r[1], "leased record without an active lease") for r in self._q(
            "SELECT r.record_id, r.state FROM records r WHERE r.state='leased' AND NOT EXISTS "
            "(SELECT 1 FROM attempts a WHERE a.record_id=r.record_id AND "
            "a.state IN ('leased','printing'))")]
        problems += [(r[0], r[1], "more than one active lease") for r in self._q(
            "SELECT record_id, 'leased' FROM attempts WHERE state IN ('leased','printing') "
            "GROUP BY record_id HAVING COUNT(*) > 1")]
        return problems

    # -- campaign operations: media, holds, serial ranges, destruction records ---------------

    def insert_media(self, items: Iterable[tuple[str, bytes]], now_ms: int) -> None:
        """Store images by sha256; content already there is kept (same hash, same bytes)."""
        self._conn.executemany("INSERT OR IGNORE INTO media VALUES (?,?,?)",
                               [(sha, data, now_ms) for sha, data in items])

    def media(self, sha256: str) -> bytes:
        rows = self._q("SELECT data FROM media WHERE sha256=?", (sha256,))
        if not rows:
            raise StoreError(f"no media {sha256[:12]}")
        return bytes(rows[0][0])

    def hold_records_by_nik(self, campaign_id: str, niks: list[str], hold_reason: str) -> int:
        """Hold the queued records of these NIKs in a campaign (possible duplicate person)."""
        return sum(self._x("UPDATE records SET state='held', hold_reason=? WHERE campaign_id=? "
                           "AND nik=? AND state='queued'", (hold_reason, campaign_id, nik))
                   for nik in niks)

    def hold_person_duplicates(self, campaign_id: str, id_prefix: str, hold_reason: str) -> int:
        """Hold the queued records of every person key in a campaign that has records under
        different NIKs both among the ids starting with `id_prefix` (one import) and outside
        them (earlier imports); the count held. One pass over the campaign's records."""
        return self._x(HOLD_PERSON_DUPLICATES.replace("%s", "?"),
                       (hold_reason, campaign_id, campaign_id, len(id_prefix), id_prefix,
                        len(id_prefix), id_prefix))

    def record_counts_by_kategori(self, campaign_id: str) -> list[tuple[str, str, str, int]]:
        """(site_code, kategori, record state, count) for a campaign."""
        return self._q("SELECT site_code, kategori, state, COUNT(*) FROM records WHERE "
                       "campaign_id=? GROUP BY site_code, kategori, state", (campaign_id,))

    def blank_ranges(self, site_code: str = "") -> list[tuple[str, str, int, int, int, str]]:
        """(site_code, prefix, first_no, last_no, width, movement_id) held now."""
        sql = ("SELECT site_code, prefix, first_no, last_no, width, movement_id "
               "FROM blank_ranges")
        args: tuple = ()
        if site_code:
            sql += " WHERE site_code=?"
            args = (site_code,)
        return self._q(sql + " ORDER BY site_code, prefix, first_no", args)

    def set_blank_ranges(self, site_code: str,
                         ranges: Iterable[tuple[str, int, int, int, str]]) -> None:
        """Replace what a site holds: (prefix, first_no, last_no, width, movement_id)."""
        self._x("DELETE FROM blank_ranges WHERE site_code=?", (site_code,))
        self._conn.executemany("INSERT INTO blank_ranges VALUES (?,?,?,?,?,?)",
                               [(site_code, *r) for r in ranges])

    def spoiled_serials(self, site_code: str) -> list[str]:
        """Serials of blanks spoiled by printing at a site (attempts that named one)."""
        return [r[0] for r in self._q(
            "SELECT blank_serial FROM attempts WHERE site_code=? AND state='spoiled' AND "
            "blank_serial<>'' ORDER BY blank_serial", (site_code,))]

    def used_serials(self, site_code: str) -> list[str]:
        """Serials of every blank an attempt consumed at a site."""
        return [r[0] for r in self._q(
            "SELECT blank_serial FROM attempts WHERE site_code=? AND blank_serial<>'' AND "
            "state IN ('printing','printed','spoiled','unknown')", (site_code,))]

    def add_destruction_record(self, d: dict) -> None:
        self._x("INSERT INTO destruction_records VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (d["number"], d["site_code"], d["place"], d["destroyed_ms"], d["count"],
                 json.dumps(d["serials"]), json.dumps(d["witnesses"]), d["method"],
                 d["created_by"], d["movement_id"], d["created_ms"]))

    def destruction_records(self, site_code: str = "", number: str = "") -> list[dict]:
        sql = ("SELECT number, site_code, place, destroyed_ms, count, serials_json, "
               "witnesses_json, method, created_by, movement_id, created_ms "
               "FROM destruction_records WHERE 1=1")
        args: list = []
        if site_code:
            sql += " AND site_code=?"
            args.append(site_code)
        if number:
            sql += " AND number=?"
            args.append(number)
        return [dict(number=r[0], site_code=r[1], place=r[2], destroyed_ms=r[3], count=r[4],
                     serials=json.loads(r[5]), witnesses=json.loads(r[6]), method=r[7],
                     created_by=r[8], movement_id=r[9], created_ms=r[10])
                for r in self._q(sql + " ORDER BY created_ms, number", args)]

    def count_destruction_records(self, prefix: str) -> int:
        return self._q("SELECT COUNT(*) FROM destruction_records WHERE number LIKE ?",
                       (prefix + "%",))[0][0]
