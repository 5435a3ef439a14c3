"""Import a PRR file into a campaign: validate, de-duplicate, hold possible duplicates, queue.

All-or-nothing by default: any invalid record refuses the whole file and nothing changes.
With skip_invalid the valid records are imported and the rest reported. Runs inside one store
transaction, so a failure half-way leaves the store as it was. Validation and encoding are
controller/import_prepare.py's (in a worker process for large files); this module checks the
rows against the store and writes them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .import_prepare import WORKER_MIN_BYTES, End, Unusable, WorkerBatches, prepared
from .ledger import Ledger, open_campaign

BATCH = 2000
ALREADY_PRINTED = "already printed in an earlier campaign: a replacement needs PENGGANTIAN"
ALREADY_IN_CAMPAIGN = "NIK already in this campaign"
HOLD_REASON = "possible_duplicate_person"


class ImportRefused(Exception):
    """The input cannot be imported at all (unusable file); nothing changed."""


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class ImportOutcome:
    valid: int = 0
    invalid: int = 0
    imported: int = 0
    held: int = 0
    errors: list[RowError] = field(default_factory=list)
    # The worker process's peak memory (0 without one), for the benchmark's RSS figure.
    worker_peak_rss_kib: int = field(default=0, compare=False)


def import_file(ledger: Ledger, campaign_id: str, path: Path, skip_invalid: bool,
                now_ms: int, *, worker: bool | None = None) -> ImportOutcome:
    """Validate and queue a PRR file in one store transaction (see the module doc).

    With `worker` (default: files from WORKER_MIN_BYTES on) validation and encoding run in a
    worker process while this thread writes the rows (controller/import_prepare.py); the
    rows written are the same either way."""
    store = ledger.store
    open_campaign(store.get_campaign(campaign_id), campaign_id)  # exists, not cancelled
    if worker is None:
        worker = _size(path) >= WORKER_MIN_BYTES
    out = ImportOutcome()
    # Record ids: a random prefix per import, then the preparation's counter. The prefix
    # also tells this import's records from earlier ones (hold_person_duplicates).
    id_prefix = "r" + os.urandom(5).hex()[:9]
    # A campaign without records cannot hold a NIK of this file (the file's own duplicates
    # are the validator's); nothing printed anywhere means no earlier card to replace.
    checks = _Checks(
        in_campaign=bool(store.record_counts(campaign_id)),
        printed_elsewhere=any(state == "printed" for other in store.list_campaigns()
                              if other.campaign_id != campaign_id
                              for _, state, _ in store.record_counts(other.campaign_id)))
    source = (WorkerBatches(path, id_prefix, BATCH) if worker
              else contextlib.closing(prepared(path, id_prefix, BATCH)))
    holds: list[tuple[str, ...]] = []
    with source as batches, store.bulk_load(), store.transaction():
        open_campaign(store.get_campaign(campaign_id), campaign_id)  # again, inside
        try:
            for item in batches:
                if isinstance(item, End):
                    holds, out.worker_peak_rss_kib = item.holds, item.peak_rss_kib
                    break
                out.errors += [RowError(*e) for e in item.errors]
                out.invalid += item.invalid
                rows = _accept(store, campaign_id, item.rows, item.lines, out, checks)
                if item.media:
                    store.insert_media(item.media, now_ms)
                if rows:
                    store.queue_records(campaign_id, rows, now_ms)
                    out.imported += len(rows)
        except Unusable as exc:
            raise ImportRefused(str(exc)) from exc
        # By NIK, in the store: a NIK -> record id map of a million records would cost
        # more memory than the whole rest of the import.
        out.held += store.hold_records_by_nik(
            campaign_id, [nik for niks in holds for nik in niks], HOLD_REASON)
        if checks.in_campaign:
            # The same person under another NIK in an earlier import of the campaign.
            out.held += store.hold_person_duplicates(campaign_id, id_prefix, HOLD_REASON)
        out.valid = out.imported
        ledger.audit("admin", "records.import", campaign_id=campaign_id,
                     imported=out.imported, invalid=out.invalid, held=out.held,
                     skip_invalid=skip_invalid)
        out.errors.sort(key=lambda e: (e.line, e.field))
        if out.invalid and not skip_invalid:
            # All-or-nothing: leaving the transaction by exception rolls every insert back.
            raise _Refused(out)
    return out


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the validator names the problem


class _Refused(Exception):
    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__("import refused")
        self.outcome = outcome


@dataclass(frozen=True)
class _Checks:
    in_campaign: bool = True
    printed_elsewhere: bool = True


def _accept(store, campaign_id: str, rows: list, lines: list[int], out: ImportOutcome,
            checks: _Checks) -> list:
    """Drop rows whose NIK is already in the campaign, or printed before as a BARU."""
    if not rows or not (checks.in_campaign or checks.printed_elsewhere):
        return rows  # nothing to drop (a first import): no per-row pass
    niks = [r[1] for r in rows]
    in_campaign = store.niks_in_campaign(campaign_id, niks) if checks.in_campaign else set()
    printed_before = (store.niks_printed_elsewhere(campaign_id, niks)
                      if checks.printed_elsewhere else set())
    accepted = []
    for row, line in zip(rows, lines, strict=True):
        nik, kategori = row[1], row[3]
        if nik in in_campaign:
            out.invalid += 1
            out.errors.append(RowError(line, "nik", ALREADY_IN_CAMPAIGN))
        elif nik in printed_before and kategori != "PENGGANTIAN":
            out.invalid += 1
            out.errors.append(RowError(line, "kategori", ALREADY_PRINTED))
        else:
            accepted.append(row)
    return accepted


def import_or_report(ledger: Ledger, campaign_id: str, path: Path, skip_invalid: bool,
                     now_ms: int) -> ImportOutcome:
    """import_file, but a refused all-or-nothing import returns its report (nothing imported)."""
    try:
        return import_file(ledger, campaign_id, path, skip_invalid, now_ms)
    except _Refused as refused:
        outcome = refused.outcome
        outcome.imported = outcome.held = 0
        return outcome
