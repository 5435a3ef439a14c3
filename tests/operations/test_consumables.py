"""Ribbons and films by printer kind, on a real store: a direct-to-card printer (Evolis
Primacy) uses a ribbon print per card and no film; a retransfer printer (Evolis Avansia) a
print and a film frame; a printer of unknown kind is charged both. Stock that reached a site
only by a transfer counts like a receipt."""

from __future__ import annotations

import pytest

from cetak.api.v1 import common_pb2
from cetak.controller import serde
from cetak.controller.inventory import Inventory, site_stock
from cetak.controller.model import AgentEvent, AttemptState
from cetak.controller.planner import gather, plan
from cetak.controller.verify import verify_store
from cetak.printers.models import consumables_per_card, get_model

from ..controller.conftest import make_records
from .conftest import OTHER_SITE, SITE

NOW = 1_700_000_000_000


@pytest.fixture
def inv(ledger) -> Inventory:
    return Inventory(ledger)


def _hello(ledger, agent: str, site: str, model: str) -> None:
    info = common_pb2.PrinterInfo(printer_id="p1", model=model,
                                  retransfer=get_model(model).retransfer, cards_per_hour=100)
    ledger.hello(agent, site, [serde.printer_report(info)], [], "test", 0.0, NOW)


def _feed(ledger, agent: str, site: str, states: list[AttemptState], start: int = 0,
          printer_id: str = "p1") -> None:
    """One record per state, leased to `agent` and reported in that state by `printer_id`."""
    ledger.add_records(make_records("c1", len(states), site=site, start=start), NOW)
    grants = ledger.grant(agent, site, len(states), NOW, window=len(states))
    assert len(grants) == len(states)
    ledger.apply_events(agent, [AgentEvent(
        event_id=f"{agent}-e{start + i}", lease_id=g.lease_id, epoch=g.epoch, record_id=g.record_id,
        state=state, attempt_id=f"{agent}-a{start + i}", printer_id=printer_id,
        reason="jam" if state is AttemptState.SPOILED else "",
        blank_serial="") for i, (g, state) in enumerate(zip(grants, states, strict=True))], NOW)


def test_the_model_table_says_what_a_card_takes():
    assert consumables_per_card("Evolis Primacy") == get_model("evolis primacy").per_card
    assert (get_model("Evolis Primacy").per_card.film_frames,
            get_model("Evolis Avansia").per_card.film_frames,
            get_model("Magicard Prima 8").per_card.film_frames) == (0, 1, 1)
    # outside the table: the flag the agent reported; nothing reported: both charged
    assert consumables_per_card("Acme X", retransfer=False).film_frames == 0
    assert consumables_per_card("Acme X", retransfer=True).film_frames == 1
    assert consumables_per_card("", None).film_frames == 1


def test_a_direct_to_card_printer_uses_no_film(inv, store, ledger):
    inv.receive(SITE, "blank", 10, NOW)
    inv.receive(SITE, "ribbon", 10, NOW)
    inv.receive(SITE, "film", 1, NOW)   # delivered by mistake: the Evolis Primacy needs none
    _hello(ledger, "agent-a", SITE, "Evolis Primacy")
    _feed(ledger, "agent-a", SITE, [AttemptState.PRINTED, AttemptState.PRINTED,
                                    AttemptState.SPOILED])
    s = site_stock(store, SITE)
    assert (s.ribbons_in_stock, s.films_in_stock) == (7, 1)
    report = verify_store(store)
    assert report.ok, report.violations
    # The planner asks this site for ribbons, never for film (5 cards: 4 new records and
    # the spoiled one, queued again).
    ledger.add_records(make_records("c1", 4, site=SITE, start=100), NOW)
    p = plan(gather(store, "c1", NOW, spoil_allowance=0))
    site = {sp.site_code: sp for sp in p.sites}[SITE]
    assert (site.ribbons_need, site.films_need) == (5, 0)
    assert not any("film" in w for w in p.warnings), p.warnings


def test_a_retransfer_printer_uses_a_frame_per_card_and_verify_catches_overuse(
        inv, store, ledger):
    inv.receive(OTHER_SITE, "blank", 10, NOW)
    inv.receive(OTHER_SITE, "ribbon", 10, NOW)
    inv.receive(OTHER_SITE, "film", 2, NOW)
    _hello(ledger, "agent-b", OTHER_SITE, "Evolis Avansia")
    _feed(ledger, "agent-b", OTHER_SITE, [AttemptState.PRINTED, AttemptState.SPOILED])
    s = site_stock(store, OTHER_SITE)
    assert (s.ribbons_in_stock, s.films_in_stock) == (8, 0)
    assert verify_store(store).ok
    _feed(ledger, "agent-b", OTHER_SITE, [AttemptState.PRINTED], start=10)
    assert site_stock(store, OTHER_SITE).films_in_stock == -1
    assert [(v.invariant, v.subject) for v in verify_store(store).violations] == [
        ("film_conservation", OTHER_SITE)]
    ledger.add_records(make_records("c1", 4, site=OTHER_SITE, start=100), NOW)
    site = {sp.site_code: sp for sp in plan(gather(store, "c1", NOW, spoil_allowance=0)).sites}
    # 4 new records and the spoiled one
    assert (site[OTHER_SITE].ribbons_need, site[OTHER_SITE].films_need) == (5, 5)


def test_a_card_whose_printer_is_unknown_is_charged_both(inv, store, ledger):
    inv.receive(SITE, "blank", 10, NOW)
    inv.receive(SITE, "film", 5, NOW)
    # An agent whose Hello named no model (an older agent): its printer's kind is unknown.
    ledger.hello("agent-old", SITE, [("p1", b"", 100.0)], [], "test", 0.0, NOW)
    _feed(ledger, "agent-old", SITE, [AttemptState.PRINTED])
    # A card reported without its printer's id is charged as on the agent's printers.
    _hello(ledger, "agent-a", SITE, "Evolis Primacy")
    _feed(ledger, "agent-a", SITE, [AttemptState.PRINTED], start=10, printer_id="")
    assert site_stock(store, SITE).films_in_stock == 4


def test_stock_that_came_only_by_transfer_counts_everywhere(inv, store, ledger):
    inv.receive(SITE, "ribbon", 10, NOW)
    inv.receive(SITE, "film", 10, NOW)
    inv.transfer(SITE, OTHER_SITE, "ribbon", 10, NOW)
    inv.transfer(SITE, OTHER_SITE, "film", 10, NOW)
    here, there = site_stock(store, SITE), site_stock(store, OTHER_SITE)
    assert (there.ribbons_received, there.ribbons_in_stock) == (10, 10)
    assert (there.films_received, there.films_in_stock) == (10, 10)
    assert (here.ribbons_received, here.ribbons_in_stock) == (10, 0)
    ledger.add_records(make_records("c1", 3, site=OTHER_SITE), NOW)
    site = {sp.site_code: sp for sp in plan(gather(store, "c1", NOW, spoil_allowance=0)).sites}
    assert (site[OTHER_SITE].ribbons_have, site[OTHER_SITE].films_have) == (10, 10)
    # Used beyond what the transfer brought: a violation, as for a receipt.
    _hello(ledger, "agent-b", OTHER_SITE, "Evolis Avansia")
    inv.receive(OTHER_SITE, "blank", 20, NOW)
    _feed(ledger, "agent-b", OTHER_SITE, [AttemptState.PRINTED] * 11, start=200)
    assert {v.invariant for v in verify_store(store).violations} == {
        "ribbon_conservation", "film_conservation"}
