"""Import a PRR file into a campaign: validate, de-duplicate, hold possible duplicates, queue.

All-or-nothing by default: any invalid record refuses the whole file and nothing changes.
With skip_invalid the valid records are imported and the rest reported. Runs inside one store
transaction, so a failure half-way leaves the store as it was.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .ledger import Ledger, LedgerError
from .model import NewRecord, RecordState

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


def import_file(ledger: Ledger, campaign_id: str, path: Path, skip_invalid: bool,
                now_ms: int) -> ImportOutcome:
    from cetak.prr.cardrecord import to_card_record
    from cetak.prr.errors import InputUnusable, PrrError
    from cetak.prr.regions import load_regions
    from cetak.prr.validate import open_prr

    store = ledger.store
    if store.get_campaign(campaign_id) is None:
        raise LedgerError(f"no campaign {campaign_id!r}")
    regions = load_regions()
    out = ImportOutcome()
    pending: list[NewRecord] = []
    nik_to_record: dict[str, str] = {}
    try:
        run = open_prr(path, regions=regions, batch_size=BATCH)
    except InputUnusable as exc:
        raise ImportRefused(str(exc)) from exc
    with store.transaction():
        with run:
            try:
                for batch in run:
                    out.errors += [RowError(e.line, e.field, e.reason) for e in batch.errors]
                    out.invalid += batch.invalid
                    accepted = _accept(store, campaign_id, batch.records, out)
                    for rec in accepted:
                        record_id = "r" + uuid.uuid4().hex[:15]
                        try:
                            card = to_card_record(rec, regions, record_id=record_id)
                        except PrrError as exc:
                            out.invalid += 1
                            out.errors.append(RowError(rec.line, "foto", str(exc)))
                            continue
                        nik_to_record[rec.nik] = record_id
                        pending.append(NewRecord(
                            record_id=record_id, campaign_id=campaign_id, nik=rec.nik,
                            site_code=rec.kelurahan_kode, kategori=rec.kategori,
                            alasan=rec.alasan, payload=card.SerializeToString()))
                    if len(pending) >= BATCH:
                        store.insert_records(pending, now_ms)
                        out.imported += len(pending)
                        pending = []
            except InputUnusable as exc:
                raise ImportRefused(str(exc)) from exc
            if pending:
                store.insert_records(pending, now_ms)
                out.imported += len(pending)
            for hold in run.holds:
                for nik in hold.niks:
                    record_id = nik_to_record.get(nik)
                    if record_id is not None:
                        store.set_record_state(record_id, RecordState.HELD,
                                               hold_reason=HOLD_REASON)
                        out.held += 1
        out.valid = out.imported
        ledger.audit("admin", "records.import", campaign_id=campaign_id,
                     imported=out.imported, invalid=out.invalid, held=out.held,
                     skip_invalid=skip_invalid)
        out.errors.sort(key=lambda e: (e.line, e.field))
        if out.invalid and not skip_invalid:
            # All-or-nothing: leaving the transaction by exception rolls every insert back.
            raise _Refused(out)
    return out


class _Refused(Exception):
    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__("import refused")
        self.outcome = outcome


def _accept(store, campaign_id: str, records: list, out: ImportOutcome) -> list:
    """Drop records whose NIK is already in the campaign, or printed before as a BARU."""
    if not records:
        return []
    niks = [r.nik for r in records]
    in_campaign = store.niks_in_campaign(campaign_id, niks)
    printed_before = store.niks_printed_elsewhere(campaign_id, niks)
    accepted = []
    for r in records:
        if r.nik in in_campaign:
            out.invalid += 1
            out.errors.append(RowError(r.line, "nik", ALREADY_IN_CAMPAIGN))
        elif r.nik in printed_before and r.kategori != "PENGGANTIAN":
            out.invalid += 1
            out.errors.append(RowError(r.line, "kategori", ALREADY_PRINTED))
        else:
            accepted.append(r)
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
