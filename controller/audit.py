"""The controller's audit trail: every state change and admin call, hash-chained in the store.

Entries are written by the store worker thread inside the same transaction as the change they
describe (a rolled-back change takes its entry with it). Calls from the event loop (admin
authorisation) are queued to that thread rather than touching the connection themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cetak.security.audit import AuditLog
from cetak.security.sqlite_audit import SqliteAuditSink

from .store.worker import StoreWorker

log = logging.getLogger(__name__)

CONTROLLER = "controller"


def audit_log_for(store) -> AuditLog:
    """An AuditLog on the store's own connection (creates the table on first use)."""
    own_sink = getattr(store, "audit_sink", None)  # PostgreSQL brings its own sink
    return AuditLog(own_sink() if own_sink else SqliteAuditSink(store.connection))


class QueuedAudit:
    """`record()` from any thread: the entry is written by the store worker, in order."""

    def __init__(self, worker: StoreWorker, audit_log: AuditLog) -> None:
        self.worker = worker
        self.audit_log = audit_log

    def record(self, actor: str, action: str, *, allowed: bool = True,
               detail: Mapping[str, Any] | None = None) -> None:
        self.worker.submit(self._record, actor, action, allowed, dict(detail or {}))

    def _record(self, actor: str, action: str, allowed: bool, detail: dict) -> None:
        with self.worker.store.transaction():
            self.audit_log.record(actor, action, allowed=allowed, detail=detail)
