"""Ledger rules on a real SQLite file: leases, fencing, idempotent reports, resolutions."""

from __future__ import annotations

import sqlite3

import pytest

from cetak.controller.ledger import LedgerError
from cetak.controller.model import AckStatus, AgentEvent, AttemptState, RecordState
from cetak.controller.store import StoreError
from cetak.controller.verify import verify_store

from .conftest import OTHER_SITE, SITE, make_records, receive_blanks


def hello(ledger, agent="a1", site=SITE, held=(), now=10):
    return ledger.hello(agent, site, [("p1", b"", 100.0)], list(held), "test", 0.0, now)


def ev(grant, event_id, state, epoch=None, reason=""):
    return AgentEvent(event_id=event_id, lease_id=grant.lease_id,
                      epoch=grant.epoch if epoch is None else epoch,
                      record_id=grant.record_id, state=state, reason=reason)


def test_leases_only_own_site_and_within_blanks(ledger):
    ledger.add_records(make_records("c1", 5) + make_records("c1", 5, site=OTHER_SITE), 1)
    receive_blanks(ledger, SITE, 3)
    hello(ledger)
    grants = ledger.grant("a1", SITE, 10, 10)
    assert len(grants) == 3  # capped by the blanks the site holds
    assert all(SITE in g.record_id for g in grants)
    assert [g.epoch for g in grants] == [1, 1, 1]


def test_report_cycle_and_idempotence(ledger, store):
    ledger.add_records(make_records("c1", 2), 1)
    receive_blanks(ledger, SITE, 5)
    hello(ledger)
    g = ledger.grant("a1", SITE, 1, 10)[0]
    r = ledger.apply_events("a1", [ev(g, "e1", AttemptState.PRINTING),
                                   ev(g, "e2", AttemptState.PRINTED)], 20)
    assert [x.status for x in r] == [AckStatus.APPLIED, AckStatus.APPLIED]
    # Replays, duplicates and a late PRINTING change nothing.
    r = ledger.apply_events("a1", [ev(g, "e2", AttemptState.PRINTED),
                                   ev(g, "e1", AttemptState.PRINTING),
                                   ev(g, "e3", AttemptState.PRINTING)], 30)
    assert [x.status for x in r] == [AckStatus.DUPLICATE] * 3
    assert store.get_record(g.record_id).state == RecordState.PRINTED
    blanks = store.site_blanks(SITE)
    assert (blanks.printed, blanks.in_stock) == (1, 4)
    assert verify_store(store).ok


def test_stale_epoch_is_flagged_not_applied(ledger, store):
    ledger.add_records(make_records("c1", 1), 1)
    receive_blanks(ledger, SITE, 5)
    hello(ledger)
    g1 = ledger.grant("a1", SITE, 1, 10)[0]
    assert ledger.expire(10 + 60_000 + 1_000 + 1) == 1  # past expiry plus the skew margin
    g2 = ledger.grant("a1", SITE, 1, 100_000)[0]
    assert g2.epoch == g1.epoch + 1
    (r,) = ledger.apply_events("a1", [ev(g1, "late", AttemptState.PRINTED)], 100_001)
    assert r.status == AckStatus.FLAGGED and r.detail.startswith("stale_epoch")
    assert store.get_record(g1.record_id).state == RecordState.LEASED
    assert len(store.flagged_events()) == 1


def test_never_released_before_expiry_plus_margin(ledger):
    ledger.add_records(make_records("c1", 1), 1)
    receive_blanks(ledger, SITE, 5)
    hello(ledger)
    g = ledger.grant("a1", SITE, 1, 10)[0]
    assert ledger.expire(g.expires_ms) == 0
    assert ledger.expire(g.expires_ms + 1_000) == 0
    assert ledger.grant("a2", SITE, 1, g.expires_ms + 1_000) == []
    assert ledger.expire(g.expires_ms + 1_001) == 1


def test_unknown_is_held_until_resolved_with_evidence(ledger, store):
    ledger.add_records(make_records("c1", 1), 1)
    receive_blanks(ledger, SITE, 5)
    hello(ledger)
    g = ledger.grant("a1", SITE, 1, 10)[0]
    ledger.apply_events("a1", [ev(g, "e1", AttemptState.PRINTING),
                               ev(g, "e2", AttemptState.UNKNOWN, reason="agent_crash")], 20)
    assert store.get_record(g.record_id).state == RecordState.HELD
    assert ledger.grant("a1", SITE, 5, 30) == []  # never reprinted automatically
    with pytest.raises(LedgerError):
        ledger.resolve(g.lease_id, AttemptState.PRINTED, "  ", 40)
    view = ledger.resolve(g.lease_id, AttemptState.SPOILED, "no card in the hopper", 40)
    assert view.state == RecordState.QUEUED
    assert store.site_blanks(SITE).spoiled == 1


def test_store_refuses_second_printed_attempt_and_bad_transitions(ledger, store):
    ledger.add_records(make_records("c1", 1), 1)
    receive_blanks(ledger, SITE, 5)
    hello(ledger)
    g1 = ledger.grant("a1", SITE, 1, 10)[0]
    ledger.apply_events("a1", [ev(g1, "e1", AttemptState.SPOILED, reason="jam")], 20)
    g2 = ledger.grant("a1", SITE, 1, 30)[0]
    ledger.apply_events("a1", [ev(g2, "e2", AttemptState.PRINTED)], 40)
    conn = store.connection
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE attempts SET state='printed' WHERE lease_id=?", (g1.lease_id,))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE attempts SET state='leased' WHERE lease_id=?", (g2.lease_id,))


def test_release_dead_agent(ledger, store):
    ledger.add_records(make_records("c1", 3), 1)
    receive_blanks(ledger, SITE, 5)
    hello(ledger)
    g = ledger.grant("a1", SITE, 3, 10)
    ledger.apply_events("a1", [ev(g[0], "e1", AttemptState.PRINTING)], 20)
    assert ledger.release_agent("a1", 30) == 3
    assert store.get_record(g[0].record_id).state == RecordState.HELD
    assert store.get_record(g[1].record_id).state == RecordState.QUEUED
    assert len(ledger.grant("a2", SITE, 5, 40)) == 2


def test_hello_resends_and_revokes(ledger):
    ledger.add_records(make_records("c1", 2), 1)
    receive_blanks(ledger, SITE, 5)
    hello(ledger)
    g = ledger.grant("a1", SITE, 2, 10)
    result = hello(ledger, held=[g[0].lease_id, "gone"], now=20)
    assert [x.lease_id for x in result.resend] == [g[1].lease_id]
    assert result.revoke == ["gone"]


def test_category_budget(ledger, store):
    from cetak.controller.model import Campaign

    ledger.create_campaign(Campaign("c2", "budget", budget_baru=2, budget_penggantian=1,
                                    created_ms=2))
    ledger.add_records(make_records("c2", 4, kategori="BARU")
                       + make_records("c2", 4, start=10, kategori="PENGGANTIAN"), 1)
    receive_blanks(ledger, SITE, 50)
    hello(ledger)
    grants = ledger.grant("a1", SITE, 10, 10)
    kinds = sorted(store.get_record(g.record_id).kategori for g in grants)
    assert kinds == ["BARU", "BARU", "PENGGANTIAN"]


def test_new_cards_first_only_when_blanks_are_short(ledger, store):
    # In PRR order: replacements first, then new cards, at two sites.
    for site, start in ((SITE, 0), (OTHER_SITE, 100)):
        ledger.add_records(make_records("c1", 2, site=site, start=start,
                                        kategori="PENGGANTIAN")
                           + make_records("c1", 3, site=site, start=start + 10,
                                          kategori="BARU"), 1)
    receive_blanks(ledger, SITE, 3)         # 5 queued, 3 blanks: short
    receive_blanks(ledger, OTHER_SITE, 5)   # 5 queued, 5 blanks: enough
    hello(ledger)
    hello(ledger, agent="a2", site=OTHER_SITE)

    def kinds(grants):
        return [store.get_record(g.record_id).kategori for g in grants]

    assert kinds(ledger.grant("a1", SITE, 2, 10)) == ["BARU", "BARU"]
    assert kinds(ledger.grant("a2", OTHER_SITE, 2, 10)) == ["PENGGANTIAN", "PENGGANTIAN"]
    # Short, and the plain order's first rows are all new cards: the same rows either way.
    assert kinds(ledger.grant("a1", SITE, 1, 10)) == ["BARU"]


def test_duplicate_nik_in_campaign_refuses_batch(ledger, store):
    ledger.add_records(make_records("c1", 2), 1)
    with pytest.raises(LedgerError):
        ledger.add_records(make_records("c1", 3), 2)
    assert store.count_queued(SITE) == 2


def test_destroy_only_spoiled(ledger):
    from cetak.controller.model import InventoryMovement

    receive_blanks(ledger, SITE, 5)
    with pytest.raises(LedgerError):
        ledger.record_inventory(InventoryMovement("d1", SITE, "blank", "destroy", 1))


def test_store_error_is_typed(store):
    from cetak.controller.model import Campaign

    store.create_campaign(Campaign("x", "x"))
    with pytest.raises(StoreError):
        store.create_campaign(Campaign("x", "x"))
