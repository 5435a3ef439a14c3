"""Why records are not printed (controller/blockers.py), on both stores: a budget smaller
than the records, a site without blanks, a site with too few, a held duplicate and a held
unknown outcome give exact counts per reason, per site and in `campaign_status`."""

from __future__ import annotations

from cetak.controller.blockers import campaign_blockers, explain_records
from cetak.controller.ledger import LeasePolicy, Ledger
from cetak.controller.model import Campaign, RecordState
from cetak.controller.status import campaign_status
from tests.controller.conftest import make_records, receive_blanks

A_SITE, B_SITE, C_SITE = "32.76.01.1006", "32.76.01.1007", "32.76.01.1008"


def build(store) -> tuple[Ledger, dict[str, list[str]]]:
    """Campaign c1 with a BARU budget of 4. A: 7 BARU (one held as a possible duplicate)
    and 2 PENGGANTIAN, 20 blanks. B: 3 BARU (one held, outcome unknown), no blanks.
    C: 3 PENGGANTIAN, 1 blank."""
    ledger = Ledger(store, LeasePolicy(lease_ms=60_000))
    ledger.create_campaign(Campaign("c1", "Pemilu", budget_baru=4, created_ms=1))
    groups = {"a_baru": make_records("c1", 7, site=A_SITE),
              "a_pengg": make_records("c1", 2, site=A_SITE, start=7, kategori="PENGGANTIAN"),
              "b": make_records("c1", 3, site=B_SITE),
              "c": make_records("c1", 3, site=C_SITE, kategori="PENGGANTIAN")}
    ledger.add_records([r for rs in groups.values() for r in rs], 2)
    with store.transaction():
        store.set_record_state(groups["a_baru"][6].record_id, RecordState.HELD,
                               hold_reason="possible_duplicate_person")
        store.set_record_state(groups["b"][0].record_id, RecordState.HELD,
                               hold_reason="unknown_outcome")
    receive_blanks(ledger, A_SITE, 20)
    receive_blanks(ledger, C_SITE, 1)
    return ledger, {k: [r.record_id for r in v] for k, v in groups.items()}


def counts(blockers, site: str | None = None) -> dict[str, int]:
    c = blockers.total if site is None else blockers.sites[site]
    return {k: v for k, v in c.to_dict().items() if v}


def reasons_of(store, record_ids: list[str]) -> list[str]:
    return [r.reason for r in explain_records(store, [store.get_record(i) for i in record_ids])]


def test_counts_per_reason_before_and_after_the_budget_is_spent(store):
    ledger, ids = build(store)
    campaign = store.get_campaign("c1")
    before = campaign_blockers(store, campaign)
    # BARU: 8 queued (6 at A, 2 at B) for 4 left: shared 3 and 1, as `cetak plan` shares it.
    assert counts(before, A_SITE) == {"held_duplicate": 1, "budget_short": 3, "printable": 5}
    assert counts(before, B_SITE) == {"held_unknown": 1, "budget_short": 1, "no_blanks": 1}
    assert counts(before, C_SITE) == {"blanks_short": 2, "printable": 1}
    assert counts(before) == {"held_duplicate": 1, "held_unknown": 1, "budget_short": 4,
                              "no_blanks": 1, "blanks_short": 2, "printable": 6}
    assert before.total.blocked == 7
    assert before.blanks_available == {A_SITE: 20, B_SITE: 0, C_SITE: 1}
    budgets = {b.kategori: b for b in before.budgets}
    assert (budgets["BARU"].budget, budgets["BARU"].used, budgets["BARU"].left,
            budgets["BARU"].queued) == (4, 0, 4, 8)
    assert budgets["PENGGANTIAN"].left is None and budgets["PENGGANTIAN"].queued == 5

    why = explain_records(store, [store.get_record(ids["a_baru"][0])])[0]
    assert (why.reason, why.budget, why.budget_used, why.queued_in_category) == \
        ("budget_short", 4, 0, 5)     # counted up to what is left + 1
    assert reasons_of(store, [ids["a_baru"][6], ids["b"][0], ids["c"][0], ids["a_pengg"][0]]) \
        == ["held_duplicate", "held_unknown", "blanks_short", "printable"]

    # The scheduler leases 4 BARU (all the budget) and both PENGGANTIAN at A.
    grants = ledger.grant("a1", A_SITE, 10, 100, window=10)
    assert len(grants) == 6
    after = campaign_blockers(store, campaign)
    assert counts(after, A_SITE) == {"leased": 6, "held_duplicate": 1, "budget_spent": 2}
    assert counts(after, B_SITE) == {"held_unknown": 1, "budget_spent": 2}
    assert counts(after, C_SITE) == {"blanks_short": 2, "printable": 1}
    assert after.total.blocked == 6
    assert after.blanks_available[A_SITE] == 14
    unprinted = sum(after.total.to_dict().values())
    assert unprinted == 15

    why = explain_records(store, [store.get_record(ids["b"][1])])[0]
    assert (why.reason, why.budget, why.budget_used) == ("budget_spent", 4, 4)
    why = explain_records(store, [store.get_record(ids["c"][1])])[0]
    assert (why.reason, why.blanks_available, why.queued_at_site) == ("blanks_short", 1, 2)
    assert reasons_of(store, [ids["a_baru"][0], ids["a_baru"][5]]) == ["leased", "budget_spent"]

    # campaign status: blocked records are counted apart and are not "on track".
    view = campaign_status(store, "c1", 200)
    assert view.cannot_print == 6 and not view.on_track
    assert view.reasons.budget_spent == 4 and view.reasons.blanks_short == 2
    by_site = {s.site_code: s for s in view.sites}
    assert by_site[B_SITE].reasons.budget_spent == 2 and by_site[B_SITE].blanks_available == 0


def test_nothing_blocked_is_on_track(store):
    ledger = Ledger(store, LeasePolicy(lease_ms=60_000))
    ledger.create_campaign(Campaign("c2", "x", budget_baru=10, created_ms=1))
    ledger.add_records(make_records("c2", 3, site=A_SITE), 2)
    receive_blanks(ledger, A_SITE, 5)
    view = campaign_status(store, "c2", 10)
    assert view.cannot_print == 0 and view.on_track
    assert view.reasons.printable == 3
    assert reasons_of(store, [f"c2-{A_SITE}-0"]) == ["printable"]


def test_a_spent_budget_does_not_starve_the_other_category(store):
    """Queued records of a spent budget ahead of the others in the queue are skipped by the
    store, not by reading them: a grant still leases the printable ones behind them (as
    `campaign status` counts them)."""
    ledger = Ledger(store, LeasePolicy(lease_ms=60_000))
    ledger.create_campaign(Campaign("c3", "x", budget_baru=2, created_ms=1))
    ledger.add_records(make_records("c3", 10, site=A_SITE)
                       + make_records("c3", 3, site=A_SITE, start=10, kategori="PENGGANTIAN"), 2)
    receive_blanks(ledger, A_SITE, 5)
    assert len(ledger.grant("a1", A_SITE, 2, 10, window=10)) == 2   # the BARU budget
    view = campaign_status(store, "c3", 20)
    assert (view.reasons.budget_spent, view.reasons.printable) == (8, 3)
    # 3 blanks free for the 3 PENGGANTIAN: the 8 BARU of the spent budget take none.
    assert reasons_of(store, [f"c3-{A_SITE}-10", f"c3-{A_SITE}-2", f"c3-{A_SITE}-0"]) == \
        ["printable", "budget_spent", "leased"]
    assert store.count_queued(A_SITE) == 11
    assert store.count_queued(A_SITE, 5, exclude_budgets=[("c3", "BARU")]) == 3
    second = ledger.grant("a1", A_SITE, 2, 30, window=10)
    assert [g.record_id for g in second] == [f"c3-{A_SITE}-10", f"c3-{A_SITE}-11"]
    assert store.next_queued(A_SITE, 10, exclude_budgets=[("c3", "BARU")])[0][0] == \
        f"c3-{A_SITE}-12"
