"""The agent's durable local journal (SQLite): leases with sealed payloads, attempts, events.

Why SQLite: one file, crash-safe transactions, nothing to install on a kelurahan PC. WAL with
synchronous=FULL makes every commit durable before the call returns, so "journaled" means
"survives a power cut". Every state change is exactly one transaction.

Lease states::

    held  --begin_attempt-->  started  --final event-->  done  --all events acked-->  (deleted)
    held  --final event (failed before any card, e.g. render error)-->  done
    held  --drop (revoked by the controller)-->  (deleted)
    held  --mark_returning (expired unused, shutdown)-->  returning  --returned-->  (deleted)

A lease's sealed payload is deleted as soon as it will not be printed (done, returning), and the
whole row once the controller has acknowledged every event about it. An UNKNOWN outcome also
leaves a row in `unresolved` (ids only) until the operator answers it on the console, however
many restarts and acknowledgements come in between.

The journal is shared by the asyncio loop and the printer threads (the driver's on_fed callback
journals from its own thread), so one connection is guarded by a lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cetak.agent.errors import JournalError
from cetak.agent.sealing import Sealer
from cetak.api.v1 import agent_pb2, common_pb2

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    lease_id      TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL,           -- arrival order: leases start in this order
    campaign_id   TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    epoch         INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,           -- controller clock
    priority      INTEGER NOT NULL,
    payload       BLOB,                       -- sealed CardRecord, NULL once not needed
    state         TEXT NOT NULL CHECK (state IN ('held', 'started', 'done', 'returning'))
);
CREATE TABLE IF NOT EXISTS attempts (
    attempt_id    TEXT PRIMARY KEY,
    lease_id      TEXT NOT NULL UNIQUE REFERENCES leases(lease_id) ON DELETE CASCADE,
    printer_id    TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    fed           INTEGER NOT NULL DEFAULT 0, -- a PRINTING event was journaled
    blank_serial  TEXT NOT NULL DEFAULT '',
    finished      INTEGER NOT NULL DEFAULT 0, -- an outcome event was journaled
    spool_job     TEXT NOT NULL DEFAULT ''    -- a spooler's job id (CUPS backend), once known
);
CREATE TABLE IF NOT EXISTS events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    lease_id TEXT NOT NULL,
    body     BLOB NOT NULL                    -- serialized JobEvent (ids only, no personal data)
);
CREATE INDEX IF NOT EXISTS events_by_lease ON events(lease_id);
CREATE TABLE IF NOT EXISTS actions (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id TEXT NOT NULL UNIQUE,
    body      BLOB NOT NULL                   -- serialized OperatorAction (ids, counts, reasons)
);
CREATE TABLE IF NOT EXISTS unresolved (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id TEXT NOT NULL UNIQUE,
    printer_id TEXT NOT NULL,
    body       BLOB NOT NULL                  -- the UNKNOWN JobEvent (ids only)
);
"""

FINAL_STATES = frozenset({common_pb2.PRINTED, common_pb2.SPOILED, common_pb2.FAILED_BEFORE_CARD,
                          common_pb2.UNKNOWN})


@dataclass(frozen=True)
class LeaseInfo:
    """A lease without its payload (which is only decrypted when a card is rendered)."""

    lease_id: str
    campaign_id: str
    record_id: str
    epoch: int
    expires_at_ms: int
    priority: int
    state: str
    seq: int


@dataclass(frozen=True)
class OpenAttempt:
    """An attempt started in an earlier run whose outcome was never journaled."""

    attempt_id: str
    lease: LeaseInfo
    printer_id: str
    fed: bool
    blank_serial: str
    spool_job: str = ""             # the spooler's job id, when the printer is a CUPS queue


class Journal:
    """Durable store of leases, attempts and unacknowledged events. Thread-safe."""

    def __init__(self, path: str | Path, sealer: Sealer) -> None:
        self.path = Path(path)
        self._sealer = sealer
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA secure_delete=ON")  # purged payloads are overwritten
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(f"journal {self.path} has schema {version}, newer than this "
                                   f"agent ({SCHEMA_VERSION})")
            with self._tx() as db:
                # One statement at a time: executescript would commit our transaction.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                # Added column: journals of earlier agents gain it (and earlier agents,
                # which never name it, keep working on a journal that has it).
                columns = {r[1] for r in db.execute("PRAGMA table_info(attempts)")}
                if "spool_job" not in columns:
                    db.execute("ALTER TABLE attempts ADD COLUMN spool_job TEXT NOT NULL "
                               "DEFAULT ''")
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc}") from exc
        try:
            self.path.chmod(0o600)
        except OSError:
            pass  # the payloads are sealed anyway; ids alone are not personal data

    def close(self) -> None:
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # closing still commits nothing new; the WAL is replayed on next open
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with the lock held; rolled back on any error."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self.path}: {exc}") from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise JournalError(f"journal {self.path}: commit failed: {exc}") from exc

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self.path}: {exc}") from exc

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, name: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def set_meta(self, values: dict[str, str]) -> None:
        with self._tx() as db:
            db.executemany("INSERT INTO meta(name, value) VALUES (?, ?) "
                           "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                           list(values.items()))

    # --- leases -----------------------------------------------------------------------------

    def add_lease(self, lease: agent_pb2.Lease) -> bool:
        """Journal a received lease with its sealed payload; False if it was already known."""
        payload = self._sealer.seal(lease.record.SerializeToString(), lease.lease_id)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM leases WHERE lease_id = ?",
                          (lease.lease_id,)).fetchone():
                return False
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM leases").fetchone()[0]
            db.execute("INSERT INTO leases(lease_id, seq, campaign_id, record_id, epoch, "
                       "expires_at_ms, priority, payload, state) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'held')",
                       (lease.lease_id, seq, lease.campaign_id, lease.record_id, lease.epoch,
                        lease.expires_at_ms, lease.priority, payload))
        return True

    def lease(self, lease_id: str) -> LeaseInfo | None:
        rows = self._query(f"SELECT {_LEASE_COLS} FROM leases WHERE lease_id = ?", (lease_id,))
        return _lease(rows[0]) if rows else None

    def leases(self, *states: str) -> list[LeaseInfo]:
        """Leases in the given states, in arrival order."""
        marks = ",".join("?" * len(states))
        rows = self._query(f"SELECT {_LEASE_COLS} FROM leases WHERE state IN ({marks}) "
                           "ORDER BY seq", states)
        return [_lease(r) for r in rows]

    def outstanding_count(self) -> int:
        """Leases that still occupy a slot of the window (held, or being printed)."""
        return self._query("SELECT COUNT(*) FROM leases WHERE state IN ('held', 'started')")[0][0]

    def load_record(self, lease_id: str) -> common_pb2.CardRecord:
        """Decrypt the payload of a lease (only for rendering; never log the result)."""
        rows = self._query("SELECT payload FROM leases WHERE lease_id = ?", (lease_id,))
        if not rows or rows[0][0] is None:
            raise JournalError(f"lease {lease_id} has no payload in the journal")
        record = common_pb2.CardRecord()
        record.ParseFromString(self._sealer.open(rows[0][0], lease_id))
        return record

    def drop_lease(self, lease_id: str) -> bool:
        """Forget an unstarted lease (revoked by the controller); False if not held."""
        with self._tx() as db:
            cur = db.execute("DELETE FROM leases WHERE lease_id = ? AND state = 'held'",
                             (lease_id,))
            return cur.rowcount == 1

    def mark_returning(self, lease_id: str) -> bool:
        """An unstarted lease this agent will not print: purge its payload, keep the id until
        a LeaseReturn has been sent. False if the lease was not held."""
        with self._tx() as db:
            cur = db.execute("UPDATE leases SET state = 'returning', payload = NULL "
                             "WHERE lease_id = ? AND state = 'held'", (lease_id,))
            return cur.rowcount == 1

    def returned(self, lease_ids: list[str]) -> None:
        """The LeaseReturn for these leases was handed to the controller: forget them."""
        with self._tx() as db:
            db.executemany("DELETE FROM leases WHERE lease_id = ? AND state = 'returning'",
                           [(i,) for i in lease_ids])

    # --- attempts ---------------------------------------------------------------------------

    def begin_attempt(self, lease_id: str, attempt_id: str, printer_id: str,
                      now_ms: int) -> bool:
        """Claim a held lease for one attempt (held -> started); False if it is not held any
        more (revoked or taken meanwhile), in which case nothing may be printed."""
        with self._tx() as db:
            cur = db.execute("UPDATE leases SET state = 'started' "
                             "WHERE lease_id = ? AND state = 'held'", (lease_id,))
            if cur.rowcount != 1:
                return False
            db.execute("INSERT INTO attempts(attempt_id, lease_id, printer_id, started_at_ms) "
                       "VALUES (?, ?, ?, ?)", (attempt_id, lease_id, printer_id, now_ms))
            return True

    def set_spool_job(self, attempt_id: str, job: str) -> None:
        """The spooler named the attempt's job: keep its id before anything else happens,
        so a restarted agent asks the spooler about exactly that job."""
        with self._tx() as db:
            cur = db.execute("UPDATE attempts SET spool_job = ? WHERE attempt_id = ? AND "
                             "finished = 0", (job, attempt_id))
            if cur.rowcount != 1:
                raise JournalError(f"attempt {attempt_id} is not open")

    def open_attempts(self) -> list[OpenAttempt]:
        """Attempts started (by an earlier run) whose outcome was never journaled."""
        rows = self._query(
            f"SELECT a.attempt_id, a.printer_id, a.fed, a.blank_serial, a.spool_job, "
            f"{_LEASE_COLS_L} FROM attempts a JOIN leases l ON l.lease_id = a.lease_id "
            "WHERE a.finished = 0 ORDER BY l.seq")
        return [OpenAttempt(attempt_id=r[0], printer_id=r[1], fed=bool(r[2]), blank_serial=r[3],
                            spool_job=r[4], lease=_lease(r[5:])) for r in rows]

    # --- events -----------------------------------------------------------------------------

    def record_event(self, event: agent_pb2.JobEvent) -> int:
        """Journal an event (one transaction with the state change it implies); returns its
        sequence number. A final outcome finishes the lease and purges its payload."""
        final = event.state in FINAL_STATES
        with self._tx() as db:
            row = db.execute("SELECT state FROM leases WHERE lease_id = ?",
                             (event.lease_id,)).fetchone()
            if row is None or row[0] not in ("held", "started"):
                raise JournalError(f"event for lease {event.lease_id} in state "
                                   f"{row[0] if row else 'absent'}")
            if event.state == common_pb2.PRINTING:
                db.execute("UPDATE attempts SET fed = 1, blank_serial = ? WHERE attempt_id = ?",
                           (event.blank_serial, event.attempt_id))
            if final:
                db.execute("UPDATE attempts SET finished = 1 WHERE attempt_id = ?",
                           (event.attempt_id,))
                db.execute("UPDATE leases SET state = 'done', payload = NULL "
                           "WHERE lease_id = ?", (event.lease_id,))
            cur = db.execute("INSERT INTO events(event_id, lease_id, body) VALUES (?, ?, ?)",
                             (event.event_id, event.lease_id, event.SerializeToString()))
            if event.state == common_pb2.UNKNOWN:
                # Kept apart from the event (which goes once the controller acks it): the
                # operator's answer is still owed, across restarts, until given.
                db.execute("INSERT OR IGNORE INTO unresolved(attempt_id, printer_id, body) "
                           "VALUES (?, ?, ?)", (event.attempt_id, event.printer_id,
                                                event.SerializeToString()))
            return int(cur.lastrowid)

    def pending_events(self, after_seq: int = 0, limit: int = 256
                       ) -> list[tuple[int, agent_pb2.JobEvent]]:
        """Unacknowledged events after `after_seq`, in journal order."""
        rows = self._query("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                           (after_seq, limit))
        out = []
        for seq, body in rows:
            event = agent_pb2.JobEvent()
            event.ParseFromString(body)
            out.append((seq, event))
        return out

    def pending_event_count(self) -> int:
        return self._query("SELECT COUNT(*) FROM events")[0][0]

    # --- operator actions -------------------------------------------------------------------
    # Kept like events (an added table: journals of earlier agents simply gain it): journaled
    # when the operator acts, sent in journal order, replayed on every new stream until the
    # controller acknowledges them by action_id.

    def record_action(self, action: agent_pb2.OperatorAction) -> int:
        """Journal an operator action for the controller; returns its sequence number."""
        with self._tx() as db:
            cur = db.execute("INSERT INTO actions(action_id, body) VALUES (?, ?)",
                             (action.action_id, action.SerializeToString()))
            return int(cur.lastrowid)

    def pending_actions(self, after_seq: int = 0, limit: int = 256
                        ) -> list[tuple[int, agent_pb2.OperatorAction]]:
        """Unacknowledged operator actions after `after_seq`, in journal order."""
        rows = self._query("SELECT seq, body FROM actions WHERE seq > ? ORDER BY seq LIMIT ?",
                           (after_seq, limit))
        out = []
        for seq, body in rows:
            action = agent_pb2.OperatorAction()
            action.ParseFromString(body)
            out.append((seq, action))
        return out

    def pending_action_count(self) -> int:
        return self._query("SELECT COUNT(*) FROM actions")[0][0]

    # --- unknown outcomes awaiting the operator ---------------------------------------------
    # Every UNKNOWN outcome (a driver that lost track, or an attempt a restart interrupted)
    # stays here until the operator says what became of the card (console: Printed / Not
    # printed); the answer and the row's removal are one transaction, so it is asked once.

    def unresolved(self, printer_id: str | None = None) -> list[agent_pb2.JobEvent]:
        """UNKNOWN outcomes the operator has not answered yet, oldest first."""
        if printer_id is None:
            rows = self._query("SELECT body FROM unresolved ORDER BY seq")
        else:
            rows = self._query("SELECT body FROM unresolved WHERE printer_id = ? ORDER BY seq",
                               (printer_id,))
        out = []
        for (body,) in rows:
            event = agent_pb2.JobEvent()
            event.ParseFromString(body)
            out.append(event)
        return out

    def answer_unresolved(self, attempt_id: str, action: agent_pb2.OperatorAction) -> bool:
        """Journal the operator's answer about an UNKNOWN outcome and forget the question;
        False (nothing journaled) when it was not awaiting an answer."""
        with self._tx() as db:
            if not db.execute("DELETE FROM unresolved WHERE attempt_id = ?",
                              (attempt_id,)).rowcount:
                return False
            db.execute("INSERT INTO actions(action_id, body) VALUES (?, ?)",
                       (action.action_id, action.SerializeToString()))
            return True

    def ack(self, event_ids: list[str]) -> int:
        """The controller holds these events (or operator actions: one Ack names both by id)
        durably: delete them, and every finished lease with no event left (its attempt row
        goes with it). Returns how many were known."""
        with self._tx() as db:
            known = 0
            leases: set[str] = set()
            for event_id in event_ids:
                row = db.execute("DELETE FROM events WHERE event_id = ? RETURNING lease_id",
                                 (event_id,)).fetchone()
                if row:
                    known += 1
                    leases.add(row[0])
                elif db.execute("DELETE FROM actions WHERE action_id = ?",
                                (event_id,)).rowcount:
                    known += 1
            for lease_id in leases:
                db.execute("DELETE FROM leases WHERE lease_id = ? AND state = 'done' AND NOT "
                           "EXISTS (SELECT 1 FROM events WHERE lease_id = ?)",
                           (lease_id, lease_id))
            return known

    def counts(self) -> dict[str, int]:
        """Journal depth by kind, for logs and metrics."""
        out = {s: 0 for s in ("held", "started", "done", "returning")}
        for state, n in self._query("SELECT state, COUNT(*) FROM leases GROUP BY state"):
            out[state] = n
        out["events"] = self.pending_event_count()
        return out


_LEASE_COLS = "lease_id, campaign_id, record_id, epoch, expires_at_ms, priority, state, seq"
_LEASE_COLS_L = ", ".join(f"l.{c.strip()}" for c in _LEASE_COLS.split(","))


def _lease(row: tuple) -> LeaseInfo:
    return LeaseInfo(lease_id=row[0], campaign_id=row[1], record_id=row[2], epoch=row[3],
                     expires_at_ms=row[4], priority=row[5], state=row[6], seq=row[7])
