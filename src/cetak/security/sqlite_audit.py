"""The audit log in an SQLite table, append-only in the database itself.

Triggers refuse UPDATE and DELETE, and refuse an INSERT that does not extend the chain (wrong
seq or prev_hash), which also stops ``INSERT OR REPLACE`` from overwriting an entry. Someone
with write access to the file can still drop the triggers; `verify_chain` catches what they
do next.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from cetak.security.audit import GENESIS_HASH, AuditEntry
from cetak.security.errors import AuditError

TABLE = "audit_log"
TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_chain")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit_log (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_log_chain BEFORE INSERT ON audit_log
    WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
      OR NEW.prev_hash IS NOT coalesce(
           (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '{GENESIS_HASH}')
    BEGIN SELECT RAISE(ABORT, 'audit_log entry does not extend the chain'); END""",
)

_COLUMNS = "seq, at_ms, actor, action, allowed, detail, prev_hash, hash"


class SqliteAuditSink:
    """`AuditSink` on an sqlite3 connection (the controller's own, or a dedicated one).

    ``append`` joins the caller's open transaction, so a state change and its audit entry
    commit or roll back together; with no transaction open it commits by itself.
    ``create=False`` opens an existing log without writing to the database (verification).
    """

    def __init__(self, conn: sqlite3.Connection, *, create: bool = True) -> None:
        self.conn = conn
        try:
            if create:
                # One statement at a time: executescript() would COMMIT the caller's transaction.
                for statement in SCHEMA:
                    conn.execute(statement)
            elif not self.has_table():
                raise AuditError(f"no {TABLE} table in this store")
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open the audit log: {exc}") from exc

    def has_table(self) -> bool:
        row = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (TABLE,)).fetchone()
        return row is not None

    def missing_triggers(self) -> list[str]:
        """Names of the append-only triggers that are not in the database (tampering sign)."""
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                 "AND tbl_name = ?", (TABLE,)).fetchall()
        present = {r[0] for r in rows}
        return [t for t in TRIGGERS if t not in present]

    def append(self, entry: AuditEntry) -> None:
        in_transaction = self.conn.in_transaction
        try:
            self.conn.execute(
                f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.seq, entry.at_ms, entry.actor, entry.action, int(entry.allowed),
                 entry.detail, entry.prev_hash, entry.hash))
            if not in_transaction:
                self.conn.commit()
        except sqlite3.Error as exc:
            raise AuditError(f"cannot append audit entry {entry.seq}: {exc}") from exc

    def iter_entries(self) -> Iterator[AuditEntry]:
        try:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")
            for row in rows:
                yield _entry(row)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot read the audit log: {exc}") from exc

    def last_entry(self) -> AuditEntry | None:
        try:
            row = self.conn.execute(
                f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        except sqlite3.Error as exc:
            raise AuditError(f"cannot read the audit log: {exc}") from exc
        return _entry(row) if row is not None else None


def _entry(row: tuple) -> AuditEntry:
    seq, at_ms, actor, action, allowed, detail, prev_hash, digest = row
    # Values are passed through as stored (no int()/str() coercion), so a value of the wrong
    # type written behind our back changes the recomputed hash instead of being smoothed over.
    return AuditEntry(seq, at_ms, actor, action, allowed == 1 if isinstance(allowed, int)
                      else allowed, detail, prev_hash, digest)
