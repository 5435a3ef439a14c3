"""Import: photos stored once by content and joined into leases; holds and adjudication."""

from __future__ import annotations

import pytest

from cetak.api.v1 import common_pb2
from cetak.controller.adjudication import adjudicate
from cetak.controller.importer import HOLD_REASON, import_or_report
from cetak.controller.inventory import Inventory
from cetak.controller.ledger import LedgerError
from cetak.controller.media import attach_media
from cetak.controller.model import RecordState
from cetak.prr.synthetic import write_prr

NOW = 1_700_000_000_000


def test_photos_are_stored_once_and_leases_carry_them(ledger, store, tmp_path):
    path = write_prr(tmp_path / "prr", 40, seed=2, sites=["32.76.01.1006"])
    out = import_or_report(ledger, "c1", path, False, NOW)
    assert out.imported == 40
    (media_rows,) = store.connection.execute("SELECT COUNT(*) FROM media").fetchone()
    distinct = {(tmp_path / "prr" / p).read_bytes() for p in
                [*(f"foto/{f.name}" for f in (tmp_path / "prr" / "foto").iterdir()),
                 *(f"ttd/{f.name}" for f in (tmp_path / "prr" / "ttd").iterdir())]}
    assert 0 < media_rows <= len(distinct)
    rid = store.connection.execute("SELECT record_id FROM records LIMIT 1").fetchone()[0]
    stored = common_pb2.CardRecord.FromString(store.record_payload(rid))
    assert stored.foto == b"" and len(stored.foto_sha256) == 64
    Inventory(ledger).receive("32.76.01.1006", "blank", 10, NOW)
    grants = ledger.grant("agent-1", "32.76.01.1006", 3, NOW, window=10)
    assert len(grants) == 3
    for g in grants:
        card = common_pb2.CardRecord.FromString(g.payload)
        assert card.foto[:2] == b"\xff\xd8" or card.foto[:4] == b"\x89PNG"
        assert card.foto in distinct
    # A payload that already carries its images (older imports) passes unchanged.
    legacy = common_pb2.CardRecord(record_id="x", foto=b"abc").SerializeToString()
    assert attach_media(store, legacy) == legacy


def test_duplicate_person_is_held_then_adjudicated(ledger, store, tmp_path):
    from .conftest import duplicate_person_file

    path, nik_a, nik_b = duplicate_person_file(tmp_path / "prr")
    out = import_or_report(ledger, "c1", path, False, NOW)
    assert out.invalid == 0 and out.held == 2
    a, = store.records_by_nik(nik_a, "c1")
    b, = store.records_by_nik(nik_b, "c1")
    assert a.state == b.state == RecordState.HELD and a.hold_reason == HOLD_REASON
    with pytest.raises(LedgerError, match="reason"):
        adjudicate(ledger, a.record_id, True, "  ")
    released = adjudicate(ledger, a.record_id, True, "NIK asli menurut Dukcapil pusat")
    rejected = adjudicate(ledger, b.record_id, False, "rekam ganda")
    assert released.state == RecordState.QUEUED
    assert rejected.state == RecordState.REJECTED
    with pytest.raises(LedgerError, match="not held for adjudication"):
        adjudicate(ledger, a.record_id, False, "again")
    with pytest.raises(LedgerError, match="no such record"):
        adjudicate(ledger, "nope", True, "x")


def test_duplicate_person_across_imports_is_held(ledger, store, tmp_path):
    from .conftest import duplicate_person_file

    path, nik_a, nik_b = duplicate_person_file(tmp_path / "prr")
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    first, second = path.with_name("first.csv"), path.with_name("second.csv")
    first.write_text("\n".join([header, *rows[:-1]]) + "\n", encoding="utf-8")
    second.write_text("\n".join([header, rows[-1]]) + "\n", encoding="utf-8")
    one = import_or_report(ledger, "c1", first, False, NOW)
    assert (one.imported, one.held) == (6, 0)
    two = import_or_report(ledger, "c1", second, False, NOW + 1)
    assert (two.imported, two.held) == (1, 2)  # the new record and the earlier one
    a, = store.records_by_nik(nik_a, "c1")
    b, = store.records_by_nik(nik_b, "c1")
    assert a.state == b.state == RecordState.HELD and b.hold_reason == HOLD_REASON
    adjudicate(ledger, a.record_id, True, "NIK asli menurut Dukcapil pusat")
    adjudicate(ledger, b.record_id, False, "rekam ganda")
    # A later import of other people holds nobody again.
    other = write_prr(tmp_path / "other", 3, seed=99)
    three = import_or_report(ledger, "c1", other, False, NOW + 2)
    assert (three.imported, three.held) == (3, 0)
    assert store.records_by_nik(nik_a, "c1")[0].state == RecordState.QUEUED
