"""Site logistics on a real store: serial ranges, paired transfers, spoils, destruction."""

from __future__ import annotations

import pytest

from cetak.controller.inventory import (
    Inventory,
    InventoryError,
    SerialRange,
    merge,
    parse_range,
    parse_serial_list,
    subtract,
    verify_inventory,
)
from cetak.controller.ledger import LedgerError
from cetak.controller.model import AgentEvent, AttemptState, NewRecord
from cetak.controller.verify import verify_store

from .conftest import OTHER_SITE, SITE

NOW = 1_700_000_000_000


@pytest.fixture
def inv(ledger) -> Inventory:
    return Inventory(ledger)


def test_serial_ranges_parse_split_and_merge():
    r = parse_range("KTP000100", "KTP000199")
    assert (r.prefix, r.first, r.last, r.width, r.count) == ("KTP", 100, 199, 6, 100)
    assert str(r) == "KTP000100-KTP000199"
    assert subtract([r], parse_range("KTP000150", "KTP000159")) == [
        SerialRange("KTP", 100, 149, 6), SerialRange("KTP", 160, 199, 6)]
    assert merge([SerialRange("KTP", 160, 199, 6), SerialRange("KTP", 100, 159, 6)]) == [r]
    assert parse_serial_list(["B-0001-B-0003", "B-0009"]) == [
        "B-0001", "B-0002", "B-0003", "B-0009"]
    for bad in (("KTP0002", "KTP0001"), ("KTP0001", "XYZ0002"), ("nodigits", "")):
        with pytest.raises(InventoryError):
            parse_range(*bad)


def test_receive_with_serials_and_overlap_refused(inv, store):
    m = inv.receive(SITE, "blank", 0, NOW, serial_from="KTP000001", serial_to="KTP000100")
    assert m.quantity == 100 and store.site_blanks(SITE).in_stock == 100
    with pytest.raises(InventoryError, match="overlap"):
        inv.receive(OTHER_SITE, "blank", 0, NOW, serial_from="KTP000050",
                    serial_to="KTP000150")
    with pytest.raises(InventoryError, match="quantity 5 but"):
        inv.receive(OTHER_SITE, "blank", 5, NOW, serial_from="KTP000200",
                    serial_to="KTP000299")
    with pytest.raises(InventoryError, match="blanks only"):
        inv.receive(SITE, "ribbon", 0, NOW, serial_from="R1", serial_to="R9")
    assert [str(r) for r in inv.ranges(SITE)] == ["KTP000001-KTP000100"]
    assert store.site_blanks(OTHER_SITE).in_stock == 0  # refusals left nothing behind


def test_transfer_pairs_both_movements_and_moves_the_range(inv, store):
    inv.receive(SITE, "blank", 0, NOW, serial_from="KTP000001", serial_to="KTP000100")
    out, into = inv.transfer(SITE, OTHER_SITE, "blank", 0, NOW, serial_from="KTP000041",
                             serial_to="KTP000060")
    assert (out.kind, into.kind, out.quantity, into.quantity) == (
        "transfer_out", "transfer_in", 20, 20)
    assert out.reference == into.reference and out.counterpart_site == OTHER_SITE
    assert [str(r) for r in inv.ranges(SITE)] == ["KTP000001-KTP000040",
                                                  "KTP000061-KTP000100"]
    assert [str(r) for r in inv.ranges(OTHER_SITE)] == ["KTP000041-KTP000060"]
    assert store.site_blanks(SITE).in_stock == 80
    assert store.site_blanks(OTHER_SITE).in_stock == 20
    # Serials the source does not hold, or more than it has: refused, nothing written.
    before = len(store.movements())
    with pytest.raises(InventoryError, match="does not hold"):
        inv.transfer(SITE, OTHER_SITE, "blank", 0, NOW, serial_from="KTP000050",
                     serial_to="KTP000070")
    with pytest.raises(LedgerError, match="not enough unreserved blanks"):
        inv.transfer(OTHER_SITE, SITE, "blank", 21, NOW)
    with pytest.raises(InventoryError, match="same"):
        inv.transfer(SITE, SITE, "blank", 1, NOW)
    assert len(store.movements()) == before
    assert verify_store(store).ok


def test_ribbons_and_films_are_counted_per_site(inv, store, ledger):
    inv.receive(SITE, "ribbon", 500, NOW)
    inv.receive(SITE, "film", 300, NOW)
    inv.transfer(SITE, OTHER_SITE, "ribbon", 200, NOW)
    with pytest.raises(InventoryError, match="ribbon units"):
        inv.transfer(SITE, OTHER_SITE, "ribbon", 301, NOW)
    inv.spoil(SITE, "film", 10, NOW, reason="kusut")
    s = inv.stock(SITE)
    assert (s.ribbons_received, s.ribbons_in_stock, s.films_in_stock) == (500, 300, 290)
    assert inv.stock(OTHER_SITE).ribbons_in_stock == 200


def _spoil_by_printing(ledger, store, serial: str, i: int) -> None:
    from cetak.api.v1 import common_pb2

    rid = f"r{i}"
    ledger.add_records([NewRecord(rid, "c1", f"3276010101{i:06d}", SITE, "BARU", "",
                                  common_pb2.CardRecord(record_id=rid).SerializeToString())],
                       NOW)
    grant = ledger.grant("agent-1", SITE, 1, NOW, window=10)[0]
    ledger.apply_events("agent-1", [AgentEvent(
        event_id=f"e{i}", lease_id=grant.lease_id, epoch=grant.epoch, record_id=rid,
        state=AttemptState.SPOILED, attempt_id=f"a{i}", reason="jam",
        blank_serial=serial)], NOW)


def test_destroy_only_spoiled_blanks_and_write_the_record(inv, store, ledger):
    inv.receive(SITE, "blank", 0, NOW, serial_from="KTP000001", serial_to="KTP000020")
    _spoil_by_printing(ledger, store, "KTP000003", 1)
    inv.spoil(SITE, "blank", 0, NOW, serial_from="KTP000010", serial_to="KTP000011",
              reason="rusak saat pengiriman")
    with pytest.raises(InventoryError, match="already used or spoiled"):
        inv.spoil(SITE, "blank", 0, NOW, serial_from="KTP000003", reason="again")
    assert inv.awaiting_destruction(SITE) == ["KTP000003", "KTP000010", "KTP000011"]
    assert store.site_blanks(SITE).spoiled == 3
    witnesses = ["Budi, Kepala Seksi", "Sari, Operator"]
    officers = [dict(name="Ahmad Fauzi", nip="197001011995031001", position="Kabid")]
    with pytest.raises(InventoryError, match="not spoiled blanks"):
        inv.destroy(SITE, serials=["KTP000004"], quantity=0, place="Kantor", method="",
                    witnesses=witnesses, officers=officers, created_by="admin",
                    destroyed_ms=NOW, now_ms=NOW)
    with pytest.raises(InventoryError, match="witnesses"):
        inv.destroy(SITE, serials=["KTP000003"], quantity=0, place="Kantor", method="",
                    witnesses=["Budi"], officers=officers, created_by="admin",
                    destroyed_ms=NOW, now_ms=NOW)
    # The officer is named, with a NIP of 18 digits; a witness's NIP, when given, too.
    for bad, match in (([], "officer"), ([dict(name="Ahmad", nip="")], "NIP is required"),
                       ([dict(name="Ahmad", nip="1970010119950310")], "18 digits"),
                       ([dict(name="Ahmad", nip="197013011995031001")], "not a date"),
                       ([dict(name=" ", nip="197001011995031001")], "name is empty")):
        with pytest.raises(InventoryError, match=match):
            inv.destroy(SITE, serials=["KTP000010"], quantity=0, place="Kantor", method="",
                        witnesses=witnesses, officers=bad, created_by="admin",
                        destroyed_ms=NOW, now_ms=NOW)
    with pytest.raises(InventoryError, match="witness 2: a NIP is 18 digits"):
        inv.destroy(SITE, serials=["KTP000010"], quantity=0, place="Kantor", method="",
                    witnesses=["Budi, Kasi", dict(name="Sari", nip="12345")],
                    officers=officers, created_by="admin", destroyed_ms=NOW, now_ms=NOW)
    assert store.destruction_records(SITE) == []  # nothing half-written by the refusals
    rec = inv.destroy(SITE, serials=["KTP000010-KTP000011"], quantity=0, place="Kantor",
                      witnesses=[witnesses[0], dict(name="Sari", nip="198503152010011002",
                                                    position="Operator")],
                      officers=officers, method="dibakar", created_by="admin",
                      destroyed_ms=NOW, now_ms=NOW)
    assert rec["officers"] == officers
    assert rec["witnesses"] == ["Budi, Kepala Seksi", "Sari, NIP 198503152010011002, Operator"]
    assert rec["witness_signatories"][0] == dict(name="Budi", nip="", position="Kepala Seksi")
    assert store.destruction_records(SITE)[0]["officers"] == officers
    assert rec["number"].startswith("BAP/2023/") and rec["count"] == 2
    assert store.destruction_records(SITE)[0]["serials"] == ["KTP000010", "KTP000011"]
    # Already destroyed: not again; by quantity beyond what is spoiled: refused.
    with pytest.raises(InventoryError, match="not spoiled blanks"):
        inv.destroy(SITE, serials=["KTP000010"], quantity=0, place="Kantor", method="",
                    witnesses=witnesses, officers=officers, created_by="admin",
                    destroyed_ms=NOW, now_ms=NOW)
    with pytest.raises(LedgerError, match="only spoiled blanks"):
        inv.destroy(SITE, serials=[], quantity=2, place="Kantor", method="",
                    witnesses=witnesses, officers=officers, created_by="admin",
                    destroyed_ms=NOW, now_ms=NOW)
    rec2 = inv.destroy(SITE, serials=[], quantity=1, place="Kantor", method="",
                       witnesses=witnesses, officers=officers, created_by="admin",
                       destroyed_ms=NOW, now_ms=NOW)
    assert rec2["serials"] == ["KTP000003"] and rec2["number"] != rec["number"]
    b = store.site_blanks(SITE)
    assert (b.spoiled, b.destroyed) == (3, 3)
    assert verify_store(store).ok and verify_inventory(store) == []
    # Transferring a range holding used blanks is refused.
    with pytest.raises(InventoryError, match="already used"):
        inv.transfer(SITE, OTHER_SITE, "blank", 0, NOW, serial_from="KTP000001",
                     serial_to="KTP000005")


def test_verify_catches_a_destroyed_serial_that_was_never_spoiled(inv, store):
    inv.receive(SITE, "blank", 0, NOW, serial_from="KTP000001", serial_to="KTP000005")
    store.add_destruction_record(dict(
        number="BAP/2023/99999", site_code=SITE, place="x", destroyed_ms=NOW, count=1,
        serials=["KTP000002"], witnesses=["a", "b"], method="", created_by="hand-edit",
        movement_id="none", created_ms=NOW))
    report = verify_store(store)
    assert not report.ok
    assert "destroyed_subset_of_spoiled" in {v.invariant for v in report.violations}
