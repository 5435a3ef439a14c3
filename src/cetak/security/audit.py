"""Append-only, hash-chained audit log.

Each entry: ``seq`` (1, 2, 3 ... without gaps), ``at_ms`` (unix ms), ``actor`` (e.g.
``admin:alice``, ``agent:lab-1@32.76.01.1006``, ``controller``), ``action`` (e.g.
``campaign.create``), ``allowed``, ``detail`` (a JSON object, never personal data: records are
named by record_id, never by NIK or name), ``prev_hash`` (the previous entry's ``hash``; 64
zeros for seq 1) and ``hash``::

    hash = sha256_hex(json.dumps(["cetak-audit-v1", seq, at_ms, actor, action, allowed,
                                  detail_text, prev_hash],
                                 ensure_ascii=True, separators=(",", ":")))

where ``detail_text`` is the stored detail text exactly (written as JSON with sorted keys,
ASCII only, no spaces), so any other implementation (PostgreSQL, a shell script) can recompute
it. The chain shows altered, removed, reordered and head-truncated entries; removing the newest
entries is visible only against an anchor (a (seq, hash) pair noted elsewhere), which
`verify_chain` accepts.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cetak.security.errors import AuditError

HASH_DOMAIN = "cetak-audit-v1"
# Names the controller uses for its own entries, so every run is bracketed in the log.
CONTROLLER_ACTOR = "controller"
ACTION_CONTROLLER_START = "controller.start"
ACTION_CONTROLLER_STOP = "controller.stop"
GENESIS_HASH = "0" * 64
MAX_DETAIL_BYTES = 16 * 1024
# Keys that would carry personal data (PRR field names and their English twins); detail refers
# to records by record_id instead. Checked at every nesting level, case-insensitively.
PERSONAL_DATA_KEYS = frozenset({
    "nik", "nama", "nama_lengkap", "full_name", "alamat", "address", "tempat_lahir",
    "tanggal_lahir", "birth_place", "birth_date", "date_of_birth", "photo", "foto", "portrait",
    "signature", "tanda_tangan", "ttd", "no_kk", "nama_ibu", "mother_name",
})


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at_ms: int
    actor: str
    action: str
    allowed: bool
    detail: str  # canonical JSON object text, hashed exactly as stored
    prev_hash: str
    hash: str

    def detail_dict(self) -> dict[str, Any]:
        return json.loads(self.detail)

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at_ms": self.at_ms, "actor": self.actor,
                "action": self.action, "allowed": self.allowed, "detail": self.detail_dict(),
                "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a chain; ``kind`` is one of PROBLEM_KINDS."""

    seq: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "log"
        return f"{where}: {self.kind}: {self.message}"


PROBLEM_KINDS = ("empty", "altered", "removed", "reordered", "duplicate", "broken-link")


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """The stored text of a detail object; refuses personal data keys and oversized details."""
    return _sized(canonical_part(dict(detail or {})))


def canonical_part(value: Any) -> str:
    """A value as canonical JSON (the encoding of a detail), personal data refused: a detail
    assembled by `detail_of_parts` from such texts is the one canonical_detail would give."""
    _refuse_personal_data(value, "detail")
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"),
                          allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AuditError(f"detail is not plain JSON: {exc}") from exc


def detail_of_parts(key: str, parts: list[str]) -> str:
    """canonical_detail({key: [values]}) from the values' canonical_part texts: a caller that
    sizes its entries by those texts encodes each value once, not twice."""
    return _sized("{" + json.dumps(key, ensure_ascii=True) + ":[" + ",".join(parts) + "]}")


def _sized(text: str) -> str:
    if len(text) > MAX_DETAIL_BYTES:
        raise AuditError(f"detail is {len(text)} bytes; at most {MAX_DETAIL_BYTES}")
    return text


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _refuse_personal_data(value: Any, where: str) -> None:
    # The dispatch path audits thousands of facts a second: check without building a path
    # per element first, and walk again naming the place only when something is wrong.
    if not _clean(value):
        _name_personal_data(value, where)


def _clean(value: Any) -> bool:
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is list or kind is tuple:
        # A list of scalars (most of what the dispatch path audits) in one C-level pass.
        if _SCALARS.issuperset(map(type, value)):
            return True
        return all(type(sub) in _SCALARS or _clean(sub) for sub in value)
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if type(key) is not str or key.lower() in PERSONAL_DATA_KEYS:
                return False
            if type(sub) not in _SCALARS and not _clean(sub):
                return False
        return True
    return not isinstance(value, list | tuple) or all(_clean(sub) for sub in value)


def _name_personal_data(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if not isinstance(key, str):
                raise AuditError(f"{where}: keys must be strings, not {key!r}")
            if key.lower() in PERSONAL_DATA_KEYS:
                raise AuditError(f"{where}.{key}: personal data does not go to the audit log")
            _name_personal_data(sub, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for i, sub in enumerate(value):
            _name_personal_data(sub, f"{where}[{i}]")


def entry_hash(seq: int, at_ms: int, actor: str, action: str, allowed: bool, detail: str,
               prev_hash: str) -> str:
    """SHA-256 (hex) over the canonical encoding described in the module docstring."""
    encoded = json.dumps([HASH_DOMAIN, seq, at_ms, actor, action, allowed, detail, prev_hash],
                         ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def chain_entry(prev: AuditEntry | None, *, at_ms: int, actor: str, action: str,
                allowed: bool = True, detail: Mapping[str, Any] | None = None,
                detail_text: str | None = None) -> AuditEntry:
    """The entry that follows ``prev`` (None: the first entry of a log). ``detail_text``: the
    detail already encoded by `detail_of_parts` (instead of ``detail``)."""
    if not actor or not action:
        raise AuditError("actor and action must not be empty")
    seq = prev.seq + 1 if prev is not None else 1
    prev_hash = prev.hash if prev is not None else GENESIS_HASH
    text = canonical_detail(detail) if detail_text is None else detail_text
    return AuditEntry(seq, int(at_ms), actor, action, bool(allowed), text, prev_hash,
                      entry_hash(seq, int(at_ms), actor, action, bool(allowed), text, prev_hash))


def verify_chain(entries: Iterable[AuditEntry],
                 anchor: tuple[int, str] | None = None) -> list[Problem]:
    """Every problem in ``entries`` (in stored order); an empty list means the chain holds.

    ``anchor``: a (seq, hash) noted earlier outside the store; its absence or a different hash
    shows the newest entries were removed or the chain rewritten from there on.
    """
    given = list(entries)
    if not given:
        return [Problem(None, "empty", "no entries (a controller run writes at least one)")]
    problems: list[Problem] = []
    for before, entry in zip(given, given[1:], strict=False):
        if entry.seq < before.seq:
            problems.append(Problem(entry.seq, "reordered",
                                    f"stored after entry {before.seq}"))
    for entry in given:
        try:
            expected = entry_hash(entry.seq, entry.at_ms, entry.actor, entry.action,
                                  entry.allowed, entry.detail, entry.prev_hash)
        except (TypeError, ValueError):
            expected = ""
        if expected != entry.hash:
            problems.append(Problem(entry.seq, "altered", "content does not match its hash"))

    ordered = sorted(given, key=lambda e: e.seq)
    first = ordered[0]
    if first.seq != 1:
        problems.append(Problem(first.seq, "removed",
                                f"entries 1..{first.seq - 1} are missing (head removed)"))
    elif first.prev_hash != GENESIS_HASH:
        problems.append(Problem(first.seq, "broken-link", "first entry does not start a chain"))
    for before, entry in zip(ordered, ordered[1:], strict=False):
        if entry.seq == before.seq:
            problems.append(Problem(entry.seq, "duplicate", "sequence number used twice"))
        elif entry.seq != before.seq + 1:
            missing = (f"entry {before.seq + 1}" if entry.seq == before.seq + 2
                       else f"entries {before.seq + 1}..{entry.seq - 1}")
            problems.append(Problem(entry.seq, "removed", f"{missing} missing"))
        elif entry.prev_hash != before.hash:
            problems.append(Problem(entry.seq, "broken-link",
                                    f"does not follow entry {before.seq} as stored: "
                                    f"entry {before.seq} was replaced or this one moved"))
    if anchor is not None:
        seq, digest = anchor
        found = [e for e in given if e.seq == seq]
        if not found:
            problems.append(Problem(seq, "removed", "anchored entry is missing (tail removed)"))
        elif found[0].hash != digest:
            problems.append(Problem(seq, "altered", "hash differs from the anchor "
                                                    "(chain rewritten)"))
    return sorted(problems, key=lambda p: (p.seq if p.seq is not None else -1))


class AuditSink(Protocol):
    """Where entries are kept. Implementations refuse changes to stored entries."""

    def append(self, entry: AuditEntry) -> None: ...

    def iter_entries(self) -> Iterator[AuditEntry]:
        """All entries in stored order (ascending seq)."""
        ...

    def last_entry(self) -> AuditEntry | None: ...


class MemoryAuditSink:
    """A list; for tests and tools."""

    def __init__(self, entries: Iterable[AuditEntry] = ()) -> None:
        self.entries: list[AuditEntry] = list(entries)

    def append(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def iter_entries(self) -> Iterator[AuditEntry]:
        return iter(list(self.entries))

    def last_entry(self) -> AuditEntry | None:
        return self.entries[-1] if self.entries else None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class AuditLog:
    """Records entries on a sink, each chained to the sink's last entry.

    The last entry is read from the sink on every record rather than cached: when a caller's
    store transaction rolls back (taking its audit entry with it), the next entry still chains
    to what is really stored.
    """

    def __init__(self, sink: AuditSink, clock: Callable[[], int] = now_ms) -> None:
        self.sink = sink
        self._clock = clock
        self._lock = threading.Lock()

    def record(self, actor: str, action: str, *, allowed: bool = True,
               detail: Mapping[str, Any] | None = None,
               detail_text: str | None = None) -> AuditEntry:
        with self._lock:
            entry = chain_entry(self.sink.last_entry(), at_ms=self._clock(), actor=actor,
                                action=action, allowed=allowed, detail=detail,
                                detail_text=detail_text)
            self.sink.append(entry)
            return entry

    def verify(self, anchor: tuple[int, str] | None = None) -> list[Problem]:
        return verify_chain(self.sink.iter_entries(), anchor)
