"""The controller's audit trail: every state change and admin call, hash-chained in the store.

Entries are written by the store worker thread inside the same transaction as the change they
describe (a rolled-back change takes its entry with it). Calls from the event loop (admin
authorisation) are queued to that thread rather than touching the connection themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cetak.security.audit import AuditEntry, AuditLog
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


# -- reading the log back (cetak audit show, AdminService.ListAuditEntries) ----------------------

MAX_SHOWN = 10_000
BATCH = "ledger.batch"  # an entry holding several facts: {"facts": [[actor, action, detail]]}


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show. `actor` and `action` match exactly, or as a prefix when they end
    in '*', ':' (actors) or '.' (actions); `site_code` and `ids` match the entry's detail (and
    an agent actor's site); a `ledger.batch` entry matches when one of its facts does."""

    since_ms: int = 0
    until_ms: int = 0
    actor: str = ""
    action: str = ""
    site_code: str = ""
    ids: frozenset[str] = frozenset()  # a record's id and its attempts' lease and attempt ids
    allowed: bool | None = None        # True: allowed only; False: refused only
    limit: int = 1000


def _like(value: str, pattern: str, separators: str) -> bool:
    if not pattern:
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern[-1] in separators:
        return value.startswith(pattern)
    return value == pattern


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, string) for every string in a detail, at any depth (a list's items under the
    key that holds the list)."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, Mapping):
        for k, sub in value.items():
            yield from _strings(sub, k)
    elif isinstance(value, list | tuple):
        for sub in value:
            yield from _strings(sub, key)


def _names_site(actor: str, detail: Any, site: str) -> bool:
    if actor.endswith("@" + site):
        return True
    return any(text == site and "site" in key for key, text in _strings(detail))


def _fact_matches(actor: str, action: str, detail: Any, f: AuditFilter) -> bool:
    if not (_like(actor, f.actor, ":") and _like(action, f.action, ".")):
        return False
    if f.site_code and not _names_site(actor, detail, f.site_code):
        return False
    return not f.ids or any(text in f.ids for _, text in _strings(detail))


def entry_matches(entry: AuditEntry, f: AuditFilter) -> bool:
    if f.since_ms and entry.at_ms < f.since_ms or f.until_ms and entry.at_ms > f.until_ms:
        return False
    if f.allowed is not None and entry.allowed != f.allowed:
        return False
    if f.site_code and f.site_code not in entry.detail and not entry.actor.endswith(
            "@" + f.site_code):
        return False  # cheap: the text cannot name it
    if f.ids and not any(i in entry.detail for i in f.ids):
        return False
    if not (f.actor or f.action or f.site_code or f.ids):
        return True
    detail = entry.detail_dict()
    if entry.action == BATCH and isinstance(detail.get("facts"), list):
        return any(isinstance(fact, list) and len(fact) == 3
                   and _fact_matches(str(fact[0]), str(fact[1]), fact[2], f)
                   for fact in detail["facts"])
    return _fact_matches(entry.actor, entry.action, detail, f)


def find_entries(store, f: AuditFilter) -> tuple[list[AuditEntry], bool]:  # noqa: ANN001
    """The entries `f` matches, oldest first, at most `f.limit`; and whether more matched.
    Runs on the store's thread (the log is on its connection)."""
    limit = max(1, min(f.limit or 1000, MAX_SHOWN))
    found: list[AuditEntry] = []
    for entry in audit_log_for(store).sink.iter_entries():
        if entry_matches(entry, f):
            if len(found) == limit:
                return found, True
            found.append(entry)
    return found, False
