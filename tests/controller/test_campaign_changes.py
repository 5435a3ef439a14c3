"""Changing and cancelling a campaign on a real SQLite file: what changes, what is refused,
and where records in flight end up (invariant 2: every record visibly accounted for)."""

from __future__ import annotations

import pytest

from cetak.controller.ledger import LedgerError
from cetak.controller.model import AttemptState, RecordState
from cetak.controller.verify import verify_store

from .conftest import SITE, make_records, receive_blanks
from .test_ledger import ev, hello


def test_update_changes_what_is_given_and_refuses_nothing_to_change(ledger, store):
    c = ledger.update_campaign("c1", "admin:a", deadline_ms=5_000, budget_baru=10)
    assert (c.name, c.deadline_ms, c.budget_baru, c.budget_penggantian) == ("Pemilu", 5_000,
                                                                            10, 0)
    assert store.get_campaign("c1") == c
    with pytest.raises(LedgerError, match="nothing to change"):
        ledger.update_campaign("c1", "admin:a", budget_baru=10)
    with pytest.raises(LedgerError, match="0 or more"):
        ledger.update_campaign("c1", "admin:a", budget_baru=-1)
    with pytest.raises(LedgerError, match="no campaign"):
        ledger.update_campaign("nope", "admin:a", name="x")


def test_cancel_cancels_what_waits_and_what_comes_back(ledger, store):
    ledger.add_records(make_records("c1", 6), 1)
    receive_blanks(ledger, SITE, 10)
    hello(ledger)
    printed, not_fed, spoiled, expiring = ledger.grant("a1", SITE, 4, 10)
    ledger.apply_events("a1", [ev(printed, "p1", AttemptState.PRINTING)], 20)

    campaign, n = ledger.cancel_campaign("c1", "pemilu diundur", "admin:a", 30)
    assert campaign.cancelled_ms == 30 and campaign.cancel_reason == "pemilu diundur"
    assert n == 2  # the two records not leased
    states = {r.record_id: r.state for r in (store.get_record(f"c1-{SITE}-{i}")
                                             for i in range(6))}
    assert list(states.values()).count(RecordState.CANCELLED) == 2

    # In flight: a card printed is printed; one that comes back is cancelled, not queued.
    ledger.apply_events("a1", [ev(printed, "p2", AttemptState.PRINTED),
                               ev(not_fed, "n1", AttemptState.FAILED_BEFORE_CARD),
                               ev(spoiled, "s1", AttemptState.SPOILED, reason="jam")], 40)
    assert store.get_record(printed.record_id).state == RecordState.PRINTED
    for g in (not_fed, spoiled):
        r = store.get_record(g.record_id)
        assert (r.state, r.hold_reason) == (RecordState.CANCELLED, "campaign_cancelled")
    ledger.expire(10 + 60_000 + 1_000 + 1)
    assert store.get_record(expiring.record_id).state == RecordState.CANCELLED
    assert ledger.grant("a1", SITE, 10, 100_000) == []  # nothing more is printed for it
    assert verify_store(store).ok

    # A cancelled campaign takes no records and no changes; a second cancel is refused.
    with pytest.raises(LedgerError, match="cancelled"):
        ledger.add_records(make_records("c1", 1, start=50), 50)
    with pytest.raises(LedgerError, match="cancelled"):
        ledger.update_campaign("c1", "admin:a", name="x")
    with pytest.raises(LedgerError, match="cancelled"):
        ledger.cancel_campaign("c1", "again", "admin:a", 60)
    with pytest.raises(LedgerError, match="reason"):
        ledger.cancel_campaign("c1", " ", "admin:a", 60)


def test_an_unknown_outcome_resolved_after_a_cancel_ends_cancelled(ledger, store):
    ledger.add_records(make_records("c1", 1), 1)
    receive_blanks(ledger, SITE, 2)
    hello(ledger)
    (g,) = ledger.grant("a1", SITE, 1, 10)
    ledger.apply_events("a1", [ev(g, "u1", AttemptState.UNKNOWN)], 20)
    _, n = ledger.cancel_campaign("c1", "dibatalkan", "admin:a", 30)
    assert n == 0  # held for an unknown outcome: it waits for its resolution
    assert store.get_record(g.record_id).state == RecordState.HELD
    ledger.resolve(g.lease_id, AttemptState.FAILED_BEFORE_CARD, "no card in the printer", 40)
    assert store.get_record(g.record_id).state == RecordState.CANCELLED
    assert verify_store(store).ok
