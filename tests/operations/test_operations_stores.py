"""The operations store methods behave alike on SQLite and PostgreSQL (the PostgreSQL case
runs when CETAK_TEST_PG_DSN names a server, see tests/store/conftest.py)."""

from __future__ import annotations

import pytest

from cetak.api.v1 import common_pb2
from cetak.controller.inventory import Inventory
from cetak.controller.ledger import Ledger
from cetak.controller.model import Campaign, NewRecord, RecordState
from cetak.controller.store import StoreError

from ..store.conftest import store_factory  # noqa: F401 - the two-store fixture
from .conftest import OTHER_SITE, SITE

NOW = 1_700_000_000_000


@pytest.fixture
def any_store(store_factory):  # noqa: F811
    return store_factory()


def test_media_holds_ranges_and_destruction_records(any_store):
    s = any_store
    with s.transaction():
        s.insert_media([("ab" * 32, b"photo")], NOW)
        s.insert_media([("ab" * 32, b"photo"), ("cd" * 32, b"sig")], NOW)  # kept once
    assert s.media("ab" * 32) == b"photo" and s.media("cd" * 32) == b"sig"
    with pytest.raises(StoreError):
        s.media("ef" * 32)
    s.create_campaign(Campaign("c1", "x", created_ms=1))
    payload = common_pb2.CardRecord(record_id="r").SerializeToString()
    s.insert_records([NewRecord(f"r{i}", "c1", f"327601010190000{i}", SITE,
                                "BARU" if i else "PENGGANTIAN", "", payload)
                      for i in range(3)], NOW)
    assert s.hold_records_by_nik("c1", ["3276010101900001", "9999999999999999"], "why") == 1
    assert s.get_record("r1").state == RecordState.HELD
    assert sorted(s.record_counts_by_kategori("c1")) == [
        (SITE, "BARU", "held", 1), (SITE, "BARU", "queued", 1),
        (SITE, "PENGGANTIAN", "queued", 1)]
    with s.transaction():
        s.set_blank_ranges(SITE, [("KTP", 1, 10, 6, "m1"), ("KTP", 20, 29, 6, "m2")])
    assert s.blank_ranges(SITE) == [(SITE, "KTP", 1, 10, 6, "m1"), (SITE, "KTP", 20, 29, 6, "m2")]
    with s.transaction():
        s.set_blank_ranges(SITE, [])
    assert s.blank_ranges() == []
    officer = dict(name="Drs. Ahmad Fauzi", nip="197001011995031001", position="Kabid")
    record = dict(number="BAP/2023/00001", site_code=SITE, place="p", destroyed_ms=NOW,
                  count=2, serials=["A1", "A2"], witnesses=["w1", "w2"], method="",
                  created_by="admin", movement_id="m", created_ms=NOW, officers=[officer],
                  witness_signatories=[dict(name="w1", nip="", position=""),
                                       dict(name="w2", nip="", position="")])
    # A record as written before officers were asked for: no signatories, empty lists back.
    older = dict(record, number="BAP/2023/00002", created_ms=NOW + 1, officers=[],
                 witness_signatories=[])
    with s.transaction():
        s.add_destruction_record(record)
        s.add_destruction_record(older)
    assert s.destruction_records(SITE) == [record, older]
    assert s.destruction_records(number="BAP/2023/00001") == [record]
    assert s.count_destruction_records("BAP/2023/") == 2
    with pytest.raises(StoreError):
        with s.transaction():
            s.add_destruction_record(record)  # one number, one record


def test_inventory_flow_on_either_store(any_store):
    ledger = Ledger(any_store)
    ledger.create_campaign(Campaign("c1", "x", created_ms=1))
    inv = Inventory(ledger)
    inv.receive(SITE, "blank", 0, NOW, serial_from="KTP000001", serial_to="KTP000050")
    inv.transfer(SITE, OTHER_SITE, "blank", 0, NOW, serial_from="KTP000041",
                 serial_to="KTP000050")
    inv.spoil(SITE, "blank", 0, NOW, serial_from="KTP000002", reason="rusak")
    b = any_store.site_blanks(SITE)
    assert (b.in_stock, b.spoiled, b.transferred_out) == (39, 1, 10)
    rec = inv.destroy(SITE, serials=["KTP000002"], quantity=0, place="Kantor",
                      witnesses=["a", "b"], method="", created_by="admin",
                      officers=[dict(name="Ahmad", nip="197001011995031001")],
                      destroyed_ms=NOW, now_ms=NOW)
    assert rec["count"] == 1 and any_store.site_blanks(SITE).destroyed == 1
    assert any_store.destruction_records(SITE)[0]["officers"] == [
        dict(name="Ahmad", nip="197001011995031001", position="")]
    assert [str(r) for r in inv.ranges(OTHER_SITE)] == ["KTP000041-KTP000050"]
