"""The PostgreSQL store (psycopg 3): the scale-out twin of SqliteStore.

Same public methods, same return shapes, same refusals (`StoreError`), so the ledger, the
scheduler and every servicer run unchanged on either; tests/store/ runs one conformance suite
against both. What differs is what several controller replicas on one database need:

- **Leasing never hands one record to two replicas.** `next_queued` reads with
  `FOR UPDATE SKIP LOCKED`: a record another transaction is leasing is skipped, not waited for,
  and under READ COMMITTED a row that stopped being queued is re-checked and dropped.
- **Read-check-write sequences hold under READ COMMITTED.** The reads the ledger makes before
  it writes lock the rows they return (`get_attempt`, `find_attempt`, `record_row` inside a
  transaction: `FOR UPDATE`; `leased_expired_before`: `FOR UPDATE SKIP LOCKED`), so a decision
  is taken on the latest committed row and nobody changes it before we commit. Always attempt
  first, then record: one lock order. Counted budgets (blanks at a site, category budgets) are
  guarded by `try_lock(key)`, a transaction-scoped advisory lock that never waits (no deadlock
  between group-committed batches); a grant that cannot take it is retried by the servicer.
- **Queued work is announced.** A trigger NOTIFYs channel `cetak_queue` (payload: site code)
  whenever a record becomes queued; `listen(callback)` delivers those to a replica, whose
  regrant timer remains the backstop.

One connection, used from one thread at a time (the StoreWorker's), in autocommit mode with
explicit BEGIN/COMMIT so that calls outside `transaction()` behave like SQLite's.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from typing import Any

import psycopg
import psycopg.errors

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
    run_commit_hooks,
)
from .errors import StoreConflict, StoreError

log = logging.getLogger(__name__)

QUEUE_CHANNEL = "cetak_queue"


# Advisory lock keys (bigint). Named keys hash into a separate 32-bit space via try_lock.
_MIGRATION_LOCK = 0x636574616B00  # "cetak\0"
_AUDIT_LOCK = 0x636574616B01


# The hot path's writes, each one statement over arrays (one column an array), not one per
# row: the server's work per statement (executor start, trigger set-up) was most of a
# replica's PostgreSQL time. None in an attempt column keeps what the row has.
_WRITE_ATTEMPTS = (
    "UPDATE attempts a SET state=v.state, updated_ms=v.updated_ms, "
    "reason=COALESCE(v.reason, a.reason), attempt_id=COALESCE(v.attempt_id, a.attempt_id), "
    "printer_id=COALESCE(v.printer_id, a.printer_id), "
    "blank_serial=COALESCE(v.blank_serial, a.blank_serial) "
    "FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[], "
    "%s::text[]) AS v(lease_id, state, updated_ms, reason, attempt_id, printer_id, "
    "blank_serial) WHERE a.lease_id = v.lease_id")
_WRITE_RECORDS = (
    "UPDATE records r SET state=v.state, hold_reason=v.hold_reason, "
    "printed_ms=COALESCE(v.printed_ms, r.printed_ms) "
    "FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[]) "
    "AS v(record_id, state, hold_reason, printed_ms) WHERE r.record_id = v.record_id")
_INSERT_EVENTS = (
    "INSERT INTO applied_events (agent_id, event_id, status, detail, applied_ms) "
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[])")
_LEASE_RECORDS = (
    "UPDATE records r SET state='leased', hold_reason='', epoch=v.epoch "
    "FROM unnest(%s::text[], %s::bigint[]) AS v(record_id, epoch) WHERE r.record_id = v.record_id")
_INSERT_ATTEMPTS = (
    f"INSERT INTO attempts ({_ATTEMPT_COLUMNS}, leased_ms) SELECT * FROM unnest("
    "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], "
    "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], "
    "%s::bigint[])")


def _columns(rows: list[tuple]) -> list[list]:
    """Rows as one list per column (the arguments of an unnest)."""
    return [list(column) for column in zip(*rows, strict=True)]
_ATTEMPT_COLUMNS_A = ", ".join(f"a.{c.strip()}" for c in _ATTEMPT_COLUMNS.split(","))


def _attempt(row: tuple) -> Attempt:
    return Attempt(lease_id=row[0], record_id=row[1], campaign_id=row[2], site_code=row[3],
                   agent_id=row[4], epoch=row[5], expires_ms=row[6], state=AttemptState(row[7]),
                   reason=row[8], attempt_id=row[9], printer_id=row[10], blank_serial=row[11],
                   kategori=row[12], updated_ms=row[13])


def _key(name: str) -> int:
    """A stable advisory lock key for a name (crc32: the same in every replica and Python)."""
    return (0x63 << 40) | zlib.crc32(name.encode("utf-8"))


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of the PostgreSQL migrations, in order."""
    package = resources.files(f"{__package__}.migrations_pg")
    found = [(int(e.name[:4]), e.name, e.read_text(encoding="utf-8"))
             for e in package.iterdir() if e.name.endswith(".sql") and e.name[:4].isdigit()]
    return sorted(found)


def apply_migrations(conn: psycopg.Connection) -> list[int]:
    """Apply missing migrations, each in its own transaction; replicas starting together
    serialise on an advisory lock, so each version is applied exactly once."""
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                     "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, sql in migration_files():
            if version in done:
                continue
            with conn.transaction():  # a savepoint: a failing file leaves no trace
                conn.execute(sql.encode("utf-8"))  # bytes: no client-side parameter parsing
                conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (version, name))
            applied.append(version)
    return applied


class PostgresStore(SqlStore):
    """Controller state in a PostgreSQL database (`postgresql://...` DSN)."""

    kind = "postgresql"
    # No file to open. controller/metrics.py's snapshot collector reads SQLite files and skips
    # ":memory:"; until it learns to read PostgreSQL, a replica exports only live metrics.
    path = ":memory:"

    def __init__(self, dsn: str, *, durable: bool = True) -> None:
        self.dsn = dsn
        self.durable = durable
        self._lock = threading.RLock()
        self._depth = 0
        self._commit_hooks: list[tuple[Callable[[], None], Callable[[], None]]] = []
        self._totals = PendingTotals()
        self._listeners: list[_Listener] = []
        self._conn = self._connect()
        apply_migrations(self._conn)

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.dsn, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        if not self.durable:
            conn.execute("SET synchronous_commit = off")
        return conn

    @property
    def connection(self) -> psycopg.Connection:
        return self._conn

    def close(self) -> None:
        for listener in list(self._listeners):
            listener.close()
        with self._lock:
            self._conn.close()

    # -- transactions -------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction; nested calls become savepoints (the worker's group commit uses this)."""
        with self._lock:
            depth = self._depth
            if depth == 0 and (self._conn.closed or self._conn.broken):
                # The server restarted or failed over: the next transaction reconnects
                # (a multi-host DSN with target_session_attrs=read-write finds the new primary).
                log.warning("store connection lost; reconnecting")
                self._conn = self._connect()
            name = f"sp{depth}"
            self._run("BEGIN" if depth == 0 else f"SAVEPOINT {name}")
            self._depth += 1
            mark = self._totals.mark()
            try:
                yield
            except BaseException:
                self._depth -= 1
                self._totals.rollback_to(mark)
                if depth == 0:
                    drop_commit_hooks(self._commit_hooks)
                if not self._conn.broken:
                    if depth == 0:
                        self._conn.execute("ROLLBACK")
                    else:
                        self._conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                        self._conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            if depth == 0:
                try:
                    run_commit_hooks(self._commit_hooks)
                    # The attempt totals' row locks are the last this transaction takes (after
                    # the audit chain's lock, taken by a hook or earlier): holding them, it
                    # waits for nothing but other totals, taken in key order by every replica,
                    # so no lock cycle can run through them.
                    self._write_totals()
                except BaseException:
                    self._depth -= 1
                    self._totals.clear()
                    drop_commit_hooks(self._commit_hooks)
                    if not self._conn.broken:
                        self._conn.execute("ROLLBACK")
                    raise
                self._commit_hooks.clear()
            self._depth -= 1
            try:
                self._run("COMMIT" if depth == 0 else f"RELEASE SAVEPOINT {name}")
            except StoreError:
                if depth == 0 and not self._conn.broken:
                    self._conn.execute("ROLLBACK")  # a deferred check refused the commit
                raise

    def _run(self, sql: str | bytes, args: Iterable = ()) -> psycopg.Cursor:
        try:
            params = tuple(args)
            # No parameters: pass None, so a literal % in the SQL is not taken for one.
            return self._conn.execute(sql, params or None)  # type: ignore[arg-type]
        except psycopg.errors.IntegrityError as exc:
            raise StoreError(str(exc.diag.message_primary or exc)) from exc
        except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure,
                psycopg.errors.LockNotAvailable) as exc:
            raise StoreConflict(str(exc.diag.message_primary or exc)) from exc
        except psycopg.OperationalError as exc:
            raise StoreError(f"PostgreSQL unavailable: {exc}") from exc

    def _q(self, sql: str, args: Iterable = ()) -> list[tuple]:
        return self._run(sql, args).fetchall()

    def _x(self, sql: str, args: Iterable = ()) -> int:
        return self._run(sql, args).rowcount

    def _xmany(self, sql: str, rows: list[tuple]) -> None:
        try:
            with self._conn.cursor() as cur:
                cur.executemany(sql, rows)
        except psycopg.errors.IntegrityError as exc:
            raise StoreError(str(exc.diag.message_primary or exc)) from exc

    def _for_update(self, skip_locked: bool = False) -> str:
        """Row locks only make sense inside a transaction; outside one they would end at once."""
        if self._depth == 0:
            return ""
        return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"

    def try_lock(self, key: str, *, wait: bool = False) -> bool:
        """Take the transaction-scoped lock `key`: True if held now. Without `wait` it never
        waits (False when another transaction holds it), so group-committed batches of two
        replicas cannot deadlock on it.

        Serialises a read-check-write across replicas (e.g. a site's blank budget). Re-entrant
        within a transaction; released at commit or rollback (also of the enclosing savepoint).
        """
        if self._depth == 0:
            return True
        if wait:
            self._run("SELECT pg_advisory_xact_lock(%s)", (_key(key),))
            return True
        return bool(self._q("SELECT pg_try_advisory_xact_lock(%s)", (_key(key),))[0][0])

    # -- campaigns and sites -----------------------------------------------------------

    # -- records ---------------------------------------------------------------------------

    def insert_records(self, records: Iterable[NewRecord], now_ms: int) -> int:
        rows = [(r.record_id, r.campaign_id, r.nik, r.site_code, r.kategori, r.alasan,
                 r.priority, str(r.state), r.hold_reason, r.payload, now_ms, r.person_key)
                for r in records]
        if not rows:
            return 0
        try:
            with self._conn.cursor() as cur:
                # executemany pipelines the rows; the sequence keeps import order across replicas.
                cur.executemany(
                    "INSERT INTO records (record_id, campaign_id, nik, site_code, kategori, "
                    "alasan, priority, prr_seq, state, hold_reason, payload, imported_ms, "
                    "person_key) VALUES "
                    "(%s,%s,%s,%s,%s,%s,%s,nextval('records_prr_seq'),%s,%s,%s,%s,%s)", rows)
        except psycopg.errors.IntegrityError as exc:
            raise StoreError(str(exc.diag.message_primary or exc)) from exc
        return len(rows)

    @contextlib.contextmanager
    def bulk_load(self) -> Iterator[None]:
        """While an import writes (SQLite enlarges its page cache; the server has its own)."""
        yield

    def queue_records(self, campaign_id: str,
                      rows: list[tuple[str, str, str, str, str, bytes, int]],
                      now_ms: int) -> int:
        """Queue new records of one campaign, in import order: rows of (record_id, nik,
        site_code, kategori, alasan, payload, person_key). The same rows as insert_records
        with default priority, state and hold reason (SQLite sends a batch as one statement;
        here executemany already pipelines it)."""
        return self.insert_records([
            NewRecord(record_id=r[0], campaign_id=campaign_id, nik=r[1], site_code=r[2],
                      kategori=r[3], alasan=r[4], payload=r[5], person_key=r[6])
            for r in rows], now_ms)

    def niks_in_campaign(self, campaign_id: str, niks: list[str]) -> set[str]:
        if not niks:
            return set()
        return {r[0] for r in self._q("SELECT nik FROM records WHERE campaign_id=%s AND "
                                      "nik = ANY(%s)", (campaign_id, list(niks)))}

    def niks_printed_elsewhere(self, campaign_id: str, niks: list[str]) -> set[str]:
        if not niks:
            return set()
        return {r[0] for r in self._q("SELECT nik FROM records WHERE campaign_id<>%s AND "
                                      "state='printed' AND nik = ANY(%s)",
                                      (campaign_id, list(niks)))}

    def _record_row(self, record_id: str, lock: str) -> tuple | None:
        rows = self._q("SELECT record_id, campaign_id, site_code, state, hold_reason, kategori, "
                       "epoch, printed_ms FROM records WHERE record_id=%s" + lock, (record_id,))
        return rows[0] if rows else None

    def record_row(self, record_id: str) -> tuple | None:
        # The ledger reads this before deciding on a report or resolution: lock the row.
        return self._record_row(record_id, self._for_update())

    def get_record(self, record_id: str) -> RecordView | None:
        row = self._record_row(record_id, "")
        if row is None:
            return None
        return RecordView(record_id=row[0], campaign_id=row[1], site_code=row[2],
                          state=RecordState(row[3]), hold_reason=row[4], kategori=row[5],
                          epoch=row[6], printed_ms=row[7],
                          attempts=self.attempts_of_record(record_id))

    def records_by_nik(self, nik: str, campaign_id: str = "") -> list[RecordView]:
        # Through UNIQUE (campaign_id, nik): one probe per campaign (migration 0005).
        sql = ("SELECT record_id FROM records WHERE campaign_id IN "
               "(SELECT campaign_id FROM campaigns) AND nik=%s")
        args: tuple = (nik,)
        if campaign_id:
            sql = "SELECT record_id FROM records WHERE campaign_id=%s AND nik=%s"
            args = (campaign_id, nik)
        return [v for (rid,) in self._q(sql + " ORDER BY imported_ms, prr_seq", args)
                if (v := self.get_record(rid)) is not None]

    def next_queued(self, site_code: str, limit: int, *, exclude_kategori: Iterable[str] = (),
                    exclude_budgets: Iterable[tuple[str, str]] = (),
                    new_first: bool = False) -> list[tuple]:
        """Queued records of a site in scheduling order: (record_id, campaign_id, kategori,
        epoch, priority, payload). Inside a transaction the rows are locked and rows another
        transaction holds are skipped: two replicas never lease the same record.
        `exclude_budgets`: (campaign_id, kategori) pairs whose budget is spent, skipped here
        so they cannot fill the rows a grant reads."""
        excluded = list(exclude_kategori)
        pairs = list(exclude_budgets)
        where = "site_code=%s AND state='queued'"
        args: list[Any] = [site_code]
        if excluded:
            where += " AND kategori <> ALL(%s)"
            args.append(excluded)
        if pairs:
            where += " AND NOT (" + " OR ".join(["(campaign_id=%s AND kategori=%s)"]
                                                * len(pairs)) + ")"
            args.extend(x for pair in pairs for x in pair)
        order = "priority DESC, " + ("kategori='PENGGANTIAN', " if new_first else "") + "prr_seq"
        rows = self._q(f"SELECT record_id, campaign_id, kategori, epoch, priority, payload "
                       f"FROM records WHERE {where} ORDER BY {order} LIMIT %s"
                       + self._for_update(skip_locked=True), (*args, limit))
        return [(*r[:5], bytes(r[5])) for r in rows]

    def move_queued(self, campaign_id: str, from_site: str, to_site: str,
                    record_ids: list[str]) -> int:
        if record_ids:
            return self._x("UPDATE records SET site_code=%s WHERE record_id = ANY(%s) AND "
                           "campaign_id=%s AND site_code=%s AND state IN ('queued','held')",
                           (to_site, list(record_ids), campaign_id, from_site))
        return self._x("UPDATE records SET site_code=%s WHERE campaign_id=%s AND site_code=%s "
                       "AND state='queued'", (to_site, campaign_id, from_site))

    # -- attempts (one per lease) --------------------------------------------------------

    def get_attempt(self, lease_id: str) -> Attempt | None:
        rows = self._q(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE lease_id=%s"
                       + self._for_update(), (lease_id,))
        return _attempt(rows[0]) if rows else None

    def find_attempt(self, attempt_or_lease_id: str) -> Attempt | None:
        rows = self._q(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE lease_id=%s OR "
                       "attempt_id=%s ORDER BY leased_ms LIMIT 1" + self._for_update(),
                       (attempt_or_lease_id, attempt_or_lease_id))
        return _attempt(rows[0]) if rows else None

    def attempts_of_record(self, record_id: str) -> list[Attempt]:
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE record_id=%s "
            "ORDER BY leased_ms, ins_seq", (record_id,))]

    def active_attempts(self, agent_id: str) -> list[Attempt]:
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE agent_id=%s AND "
            "state IN ('leased','printing') ORDER BY leased_ms, ins_seq", (agent_id,))]

    def leased_expired_before(self, cutoff_ms: int, limit: int = 1000) -> list[Attempt]:
        # SKIP LOCKED: an attempt another replica is expiring (or an agent is reporting on)
        # is left to it; the locked rows are re-checked, so each one is still leased.
        return [_attempt(r) for r in self._q(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE state='leased' AND expires_ms<%s "
            "ORDER BY expires_ms LIMIT %s" + self._for_update(skip_locked=True),
            (cutoff_ms, limit))]

    # -- events ----------------------------------------------------------------------------

    def write_reports(self, attempts: list[tuple], records: list[tuple],
                      events: list[tuple[str, str, str, str, int]], was: list[Attempt]) -> None:
        """The writes a batch of reports ends with, pipelined (one round trip): attempts
        (lease_id, state, updated_ms, reason, attempt_id, printer_id, blank_serial; None
        keeps a column), records (record_id, state, hold_reason, printed_ms or None), events
        as for record_events; `was`: each attempt as read in this transaction, in the order
        of `attempts` (its totals move from that state to the new one)."""
        try:
            with self._conn.pipeline(), self._conn.cursor() as cur:
                if attempts:
                    cur.execute(_WRITE_ATTEMPTS, _columns(attempts))
                if records:
                    cur.execute(_WRITE_RECORDS, _columns(records))
                if events:
                    cur.execute(_INSERT_EVENTS, _columns(events))
        except psycopg.errors.IntegrityError as exc:
            raise StoreError(str(exc.diag.message_primary or exc)) from exc
        self._reported(attempts, was)

    def lease_records(self, attempts: list[Attempt], leased_ms: int) -> None:
        """Lease records: each record leased under its attempt's epoch, each attempt inserted
        (pipelined: one round trip)."""
        if not attempts:
            return
        try:
            with self._conn.pipeline(), self._conn.cursor() as cur:
                cur.execute(_LEASE_RECORDS, _columns([(a.record_id, a.epoch) for a in attempts]))
                cur.execute(_INSERT_ATTEMPTS,
                            _columns([attempt_row(a, leased_ms) for a in attempts]))
        except psycopg.errors.IntegrityError as exc:
            raise StoreError(str(exc.diag.message_primary or exc)) from exc
        self._leased(attempts)

    def record_events(self, rows: list[tuple[str, str, str, str, int]]) -> None:
        """Many (agent_id, event_id, status, detail, applied_ms) in one statement."""
        if rows:
            self._run(_INSERT_EVENTS, _columns(rows))

    def report_context(self, agent_id: str, event_ids: list[str], lease_ids: list[str],
                       ) -> tuple[dict[str, tuple[str, str]],
                                  dict[str, tuple[Attempt, str, int]]]:
        """What judging a batch of reports needs, in two reads instead of three per report:
        {event_id: (status, detail)} of those already applied, and {lease_id: (attempt,
        record state, record epoch)}. Inside a transaction the attempts and their records are
        locked (attempt first, then record; in lease_id order, so two batches never wait on
        each other in a cycle)."""
        applied: dict[str, tuple[str, str]] = {}
        if event_ids:
            for event_id, status, detail in self._q(
                    "SELECT event_id, status, detail FROM applied_events WHERE agent_id=%s AND "
                    "event_id = ANY(%s)", (agent_id, list(event_ids))):
                applied[event_id] = (status, detail)
        leases: dict[str, tuple[Attempt, str, int]] = {}
        if lease_ids:
            lock = " FOR UPDATE OF a, r" if self._depth else ""
            for row in self._q(
                    f"SELECT {_ATTEMPT_COLUMNS_A}, r.state, r.epoch FROM attempts a JOIN records "
                    "r ON r.record_id=a.record_id WHERE a.lease_id = ANY(%s) ORDER BY a.lease_id"
                    + lock, (list(lease_ids),)):
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
            sql += " WHERE p.site_code=%s"
            args = (site_code,)
        keys = ("agent_id", "printer_id", "site_code", "info", "status", "cards_per_hour",
                "connected", "model", "retransfer")
        out = []
        for r in self._q(sql + " ORDER BY 1, 2", args):
            row = dict(zip(keys, r, strict=True))
            row["info"] = bytes(row["info"])
            row["status"] = bytes(row["status"]) if row["status"] is not None else None
            out.append(row)
        return out

    # -- reporting ---------------------------------------------------------------------------

    # -- PostgreSQL only -----------------------------------------------------------------------

    def listen(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(site_code)` (from a thread of its own) whenever records of that site
        become queued, in any replica. Returns a function that stops listening; `close()`
        stops every listener. Delivery is best effort (a dropped connection is re-opened, and
        what was notified meanwhile is lost): keep polling as the backstop."""
        listener = _Listener(self.dsn, callback, self._listeners)
        self._listeners.append(listener)
        listener.start()
        return listener.close

    def audit_sink(self) -> PostgresAuditSink:
        """The hash-chained audit log in this database (controller/audit.py)."""
        return PostgresAuditSink(self)

    # -- campaign operations: media, holds, serial ranges, destruction records ---------------

    def insert_media(self, items: Iterable[tuple[str, bytes]], now_ms: int) -> None:
        """Store images by sha256; content already there is kept (same hash, same bytes)."""
        rows = [(sha, data, now_ms) for sha, data in items]
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany("INSERT INTO media VALUES (%s,%s,%s) "
                                "ON CONFLICT (sha256) DO NOTHING", rows)

    def hold_records_by_nik(self, campaign_id: str, niks: list[str], hold_reason: str) -> int:
        """Hold the queued records of these NIKs in a campaign (possible duplicate person)."""
        if not niks:
            return 0
        return self._x("UPDATE records SET state='held', hold_reason=%s WHERE campaign_id=%s "
                       "AND nik = ANY(%s) AND state='queued'",
                       (hold_reason, campaign_id, list(niks)))

    def set_blank_ranges(self, site_code: str,
                         ranges: Iterable[tuple[str, int, int, int, str]]) -> None:
        """Replace what a site holds: (prefix, first_no, last_no, width, movement_id)."""
        self._x("DELETE FROM blank_ranges WHERE site_code=%s", (site_code,))
        rows = [(site_code, *r) for r in ranges]
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany("INSERT INTO blank_ranges VALUES (%s,%s,%s,%s,%s,%s)", rows)


class _Listener:
    """LISTEN on its own connection in a daemon thread; woken every `poll_s` to check stop."""

    def __init__(self, dsn: str, callback: Callable[[str], None], registry: list,
                 poll_s: float = 0.5) -> None:
        self.dsn = dsn
        self.callback = callback
        self.registry = registry
        self.poll_s = poll_s
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.ready.wait(timeout=10)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        with contextlib.suppress(ValueError):
            self.registry.remove(self)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {QUEUE_CHANNEL}")
                    self.ready.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self.poll_s):
                            try:
                                self.callback(note.payload)
                            except Exception:  # a listener bug must not stop the listening
                                log.exception("queue notification callback failed")
            except psycopg.Error as exc:
                log.warning("LISTEN connection lost (%s); polling covers until it is back", exc)
                self.ready.set()
                self._stop.wait(1.0)


# -- the audit log in PostgreSQL ---------------------------------------------------------------

_AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '23000';
END $$;
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last_seq BIGINT; last_hash TEXT;
BEGIN
    SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM COALESCE(last_seq, 0) + 1
       OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, %(genesis)s) THEN
        RAISE EXCEPTION 'audit_log entry does not extend the chain' USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE OR REPLACE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE OR REPLACE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
"""

_AUDIT_COLUMNS = "seq, at_ms, actor, action, allowed, detail, prev_hash, hash"


class PostgresAuditSink:
    """`AuditSink` (cetak.security.audit) in the store's database, append-only by trigger.

    One chain for all replicas: `last_entry()` takes a transaction-scoped advisory lock first,
    so two replicas never both extend the chain from the same entry; the lock is held until
    the caller's transaction (the one carrying the state change) commits.
    """

    def __init__(self, store: PostgresStore) -> None:
        from cetak.security.audit import GENESIS_HASH

        self.store = store
        with store.transaction():
            store._run("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK,))
            assert all(ch in "0123456789abcdef" for ch in GENESIS_HASH)  # safe to inline
            store._run(_AUDIT_SCHEMA.replace("%(genesis)s", f"'{GENESIS_HASH}'").encode())

    def append(self, entry: Any) -> None:
        from cetak.security.errors import AuditError

        # One statement, no savepoint of its own: a refused insert fails the caller's
        # (savepoint) transaction, which takes the state change with it, as on SQLite.
        try:
            self.store._run(f"INSERT INTO audit_log ({_AUDIT_COLUMNS}) VALUES "
                            "(%s,%s,%s,%s,%s,%s,%s,%s)",
                            (entry.seq, entry.at_ms, entry.actor, entry.action,
                             int(entry.allowed), entry.detail, entry.prev_hash, entry.hash))
        except StoreError as exc:
            raise AuditError(f"cannot append audit entry {entry.seq}: {exc}") from exc

    def iter_entries(self) -> Iterator[Any]:
        for row in self.store._q(f"SELECT {_AUDIT_COLUMNS} FROM audit_log ORDER BY seq"):
            yield _audit_entry(row)

    def last_entry(self) -> Any:
        if self.store.in_transaction:
            self.store._run("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK,))
        rows = self.store._q(f"SELECT {_AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1")
        return _audit_entry(rows[0]) if rows else None


def _audit_entry(row: tuple) -> Any:
    from cetak.security.audit import AuditEntry

    seq, at_ms, actor, action, allowed, detail, prev_hash, digest = row
    return AuditEntry(seq, at_ms, actor, action, allowed == 1, detail, prev_hash, digest)
