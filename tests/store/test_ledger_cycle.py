"""The ledger's full cycle on every store: lease, report, requeue, hold, resolve, expire,
release, verify (the same rules tests/controller checks on SQLite)."""

from __future__ import annotations

import pytest

from cetak.controller.ledger import LeasePolicy, Ledger, LedgerError
from cetak.controller.model import AckStatus, AgentEvent, AttemptState, Campaign, RecordState
from cetak.controller.verify import verify_store
from tests.controller.conftest import OTHER_SITE, SITE, make_records, receive_blanks

A = AttemptState


def ev(grant, event_id, state, reason=""):
    return AgentEvent(event_id=event_id, lease_id=grant.lease_id, epoch=grant.epoch,
                      record_id=grant.record_id, state=state, reason=reason,
                      attempt_id=f"att-{grant.lease_id}", printer_id="p1")


@pytest.fixture
def ledger(store) -> Ledger:
    led = Ledger(store, LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
    led.create_campaign(Campaign("c1", "Pemilu", created_ms=1))
    return led


def test_full_cycle(ledger, store):
    ledger.add_records(make_records("c1", 8) + make_records("c1", 2, site=OTHER_SITE), 1)
    receive_blanks(ledger, SITE, 7)
    hello = ledger.hello("a1", SITE, [("p1", b"", 100.0)], [], "test", 0.0, 10)
    assert hello.window >= 2 and hello.resend == [] and hello.revoke == []
    grants = ledger.grant("a1", SITE, 6, 10, window=6)
    assert len(grants) == 6 and len({g.record_id for g in grants}) == 6
    assert all(SITE in g.record_id and g.epoch == 1 for g in grants)
    assert ledger.grant("a1", SITE, 5, 10, window=6) == []  # window full
    g_ok, g_spoil, g_fail, g_unknown, g_return, g_expire = grants

    r = ledger.apply_events("a1", [ev(g_ok, "e1", A.PRINTING), ev(g_ok, "e2", A.PRINTED),
                                   ev(g_spoil, "e3", A.SPOILED, "jam"),
                                   ev(g_fail, "e4", A.FAILED_BEFORE_CARD, "offline"),
                                   ev(g_unknown, "e5", A.PRINTING),
                                   ev(g_unknown, "e6", A.UNKNOWN, "power")], 20)
    assert [x.status for x in r] == [AckStatus.APPLIED] * 6
    r = ledger.apply_events("a1", [ev(g_ok, "e2", A.PRINTED), ev(g_ok, "e7", A.PRINTED),
                                   ev(g_ok, "e8", A.SPOILED)], 21)
    assert [x.status for x in r] == [AckStatus.DUPLICATE, AckStatus.DUPLICATE,
                                     AckStatus.FLAGGED]
    assert store.get_record(g_ok.record_id).state == RecordState.PRINTED
    assert store.get_record(g_spoil.record_id).state == RecordState.QUEUED
    assert store.get_record(g_fail.record_id).state == RecordState.QUEUED
    assert store.get_record(g_unknown.record_id).hold_reason == "unknown_outcome"
    assert ledger.return_leases("a1", [g_return.lease_id, "nope"], 22) == 1

    # Expiry only after expires + skew margin; the stale report is then flagged.
    assert ledger.expire(g_expire.expires_ms + 1_000) == 0
    assert ledger.expire(g_expire.expires_ms + 1_001) == 1
    (late,) = ledger.apply_events("a1", [ev(g_expire, "e9", A.PRINTED)], 70_000)
    assert late.status == AckStatus.FLAGGED
    assert store.get_record(g_expire.record_id).state == RecordState.QUEUED

    view = ledger.resolve(g_unknown.lease_id, A.PRINTED, "card found in the hopper", 80_000)
    assert view.state == RecordState.PRINTED
    with pytest.raises(LedgerError):
        ledger.resolve(g_unknown.lease_id, A.SPOILED, "again", 80_001)

    # Blanks: 7 received, printed 2 (one resolved), spoiled 1 -> 4 left.
    blanks = store.site_blanks(SITE)
    assert (blanks.printed, blanks.spoiled, blanks.in_stock) == (2, 1, 4)
    again = ledger.grant("a2", SITE, 10, 80_002, window=10)
    assert len(again) == 4  # capped by the blanks left
    assert {g.record_id for g in again} <= {r.record_id for r in make_records("c1", 8)}
    ledger.apply_events("a2", [ev(again[0], "f1", A.PRINTING)], 80_003)
    assert ledger.release_agent("a2", 80_004) == 4
    assert store.get_record(again[0].record_id).state == RecordState.HELD
    assert store.get_record(again[1].record_id).state == RecordState.QUEUED
    assert len(store.flagged_events()) == 2
    report = verify_store(store)
    assert report.ok, report.violations


def test_category_budget_and_priorities(ledger, store):
    ledger.create_campaign(Campaign("c2", "budget", budget_baru=2, budget_penggantian=1,
                                    created_ms=2))
    ledger.add_records(make_records("c2", 4, kategori="BARU")
                       + make_records("c2", 4, start=10, kategori="PENGGANTIAN"), 1)
    receive_blanks(ledger, SITE, 50)
    ledger.hello("a1", SITE, [("p1", b"", 100.0)], [], "test", 0.0, 10)
    grants = ledger.grant("a1", SITE, 10, 10, window=10)
    kinds = sorted(store.get_record(g.record_id).kategori for g in grants)
    assert kinds == ["BARU", "BARU", "PENGGANTIAN"]


def test_hello_resends_and_revokes(ledger):
    ledger.add_records(make_records("c1", 2), 1)
    receive_blanks(ledger, SITE, 5)
    ledger.hello("a1", SITE, [("p1", b"", 100.0)], [], "test", 0.0, 10)
    g = ledger.grant("a1", SITE, 2, 10, window=5)
    result = ledger.hello("a1", SITE, [("p1", b"", 100.0)], [g[0].lease_id, "gone"], "test",
                          0.0, 20)
    assert [x.lease_id for x in result.resend] == [g[1].lease_id]
    assert result.resend[0].payload and result.revoke == ["gone"]


def test_inventory_rules(ledger, store):
    from cetak.controller.model import InventoryMovement

    receive_blanks(ledger, SITE, 5)
    with pytest.raises(LedgerError):
        ledger.record_inventory(InventoryMovement("d1", SITE, "blank", "destroy", 1))
    with pytest.raises(LedgerError):
        ledger.record_inventory(InventoryMovement("t1", SITE, "blank", "transfer_out", 6))
    ledger.record_inventory(InventoryMovement("t2", SITE, "blank", "transfer_out", 5))
    assert store.site_blanks(SITE).in_stock == 0
