"""Import a PRR file into a campaign: validate, de-duplicate, hold possible duplicates, queue.

All-or-nothing by default: any invalid record refuses the whole file and nothing changes.
With skip_invalid the valid records are imported and the rest reported. Runs inside one store
transaction, so a failure half-way leaves the store as it was.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from .ledger import Ledger, LedgerError
from .media import sha256_hex
from .model import NewRecord

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
    images = _Images()
    # Record ids: a random prefix per import, then a counter. Ids in insertion order append
    # to the primary-key index instead of landing at random pages (uuid4 ids made the insert
    # the slowest step of a million-record import).
    id_prefix = os.urandom(5).hex()[:9]
    sequence = itertools.count()
    # A campaign without records cannot hold a NIK of this file (the file's own duplicates
    # are the validator's); nothing printed anywhere means no earlier card to replace.
    checks = _Checks(
        in_campaign=bool(store.record_counts(campaign_id)),
        printed_elsewhere=any(state == "printed" for other in store.list_campaigns()
                              if other.campaign_id != campaign_id
                              for _, state, _ in store.record_counts(other.campaign_id)))
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
                    accepted = _accept(store, campaign_id, batch.records, out, checks)
                    for rec in accepted:
                        record_id = f"r{id_prefix}{next(sequence):07x}"
                        try:
                            card = to_card_record(rec, regions, record_id=record_id,
                                                  with_images=False)
                            card.foto_sha256 = images.sha(rec, rec.foto, "foto")
                            card.tanda_tangan_sha256 = images.sha(rec, rec.tanda_tangan,
                                                                  "tanda_tangan")
                        except PrrError as exc:
                            out.invalid += 1
                            out.errors.append(RowError(rec.line, "foto", str(exc)))
                            continue
                        pending.append(NewRecord(
                            record_id=record_id, campaign_id=campaign_id, nik=rec.nik,
                            site_code=rec.kelurahan_kode, kategori=rec.kategori,
                            alasan=rec.alasan, payload=card.SerializeToString()))
                    if len(pending) >= BATCH:
                        store.insert_media(images.take_new(), now_ms)
                        store.insert_records(pending, now_ms)
                        out.imported += len(pending)
                        pending = []
            except InputUnusable as exc:
                raise ImportRefused(str(exc)) from exc
            if pending:
                store.insert_media(images.take_new(), now_ms)
                store.insert_records(pending, now_ms)
                out.imported += len(pending)
            # By NIK, in the store: a NIK -> record id map of a million records would cost
            # more memory than the whole rest of the import.
            out.held += store.hold_records_by_nik(
                campaign_id, [nik for hold in run.holds for nik in hold.niks], HOLD_REASON)
        out.valid = out.imported
        ledger.audit("admin", "records.import", campaign_id=campaign_id,
                     imported=out.imported, invalid=out.invalid, held=out.held,
                     skip_invalid=skip_invalid)
        out.errors.sort(key=lambda e: (e.line, e.field))
        if out.invalid and not skip_invalid:
            # All-or-nothing: leaving the transaction by exception rolls every insert back.
            raise _Refused(out)
    return out


class _Images:
    """Each distinct image file of one import read and hashed once (synthetic and real
    exports share placeholder photos by path); new content is handed to the store in batches.
    Memory: one hash per distinct path, plus the bytes of images not yet stored."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._new: dict[str, bytes] = {}

    def sha(self, rec, key: str, field: str) -> str:
        if not key:
            return ""
        sha = self._by_key.get(key)
        if sha is None:
            from cetak.prr.cardrecord import load_image

            data = load_image(rec, key, field)
            sha = sha256_hex(data)
            self._by_key[key] = sha
            self._new.setdefault(sha, data)
        return sha

    def take_new(self) -> list[tuple[str, bytes]]:
        new, self._new = list(self._new.items()), {}
        return new


class _Refused(Exception):
    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__("import refused")
        self.outcome = outcome


@dataclass(frozen=True)
class _Checks:
    in_campaign: bool = True
    printed_elsewhere: bool = True


def _accept(store, campaign_id: str, records: list, out: ImportOutcome,
            checks: _Checks = _Checks()) -> list:
    """Drop records whose NIK is already in the campaign, or printed before as a BARU."""
    if not records:
        return []
    niks = [r.nik for r in records]
    in_campaign = store.niks_in_campaign(campaign_id, niks) if checks.in_campaign else set()
    printed_before = (store.niks_printed_elsewhere(campaign_id, niks)
                      if checks.printed_elsewhere else set())
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
