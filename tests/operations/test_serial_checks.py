"""Every blank fed is checked against the serials its site received (real store, and the
real CLI for `inventory show` and `campaign verify`): a serial outside the ranges, or used
twice, is an attention item naming it."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from cetak.controller.inventory import (
    Inventory,
    parse_range,
    serial_attention,
    site_stocks,
    without,
)
from cetak.controller.model import AgentEvent, AttemptState
from cetak.controller.verify import verify_store

from ..controller.conftest import make_records
from ..procs import cetak_argv
from .conftest import OTHER_SITE, SITE, run_cetak, serving_controller

NOW = 1_700_000_000_000


@pytest.fixture
def inv(ledger) -> Inventory:
    return Inventory(ledger)


def _feed(ledger, site: str, serials: list[str], start: int = 0,
          state: AttemptState = AttemptState.PRINTED) -> None:
    agent = f"agent-{site}"
    ledger.add_records(make_records("c1", len(serials), site=site, start=start), NOW)
    grants = ledger.grant(agent, site, len(serials), NOW, window=len(serials))
    assert len(grants) == len(serials)
    ledger.apply_events(agent, [AgentEvent(
        event_id=f"{agent}-e{start + i}", lease_id=g.lease_id, epoch=g.epoch,
        record_id=g.record_id, state=state, attempt_id=f"{agent}-a{start + i}",
        printer_id="p1", blank_serial=serial)
        for i, (g, serial) in enumerate(zip(grants, serials, strict=True))], NOW)


def test_fed_serials_inside_the_received_ranges_need_nobody(inv, store, ledger):
    inv.receive(SITE, "blank", 0, NOW, serial_from="KTP0001001", serial_to="KTP0001020")
    inv.transfer(SITE, OTHER_SITE, "blank", 0, NOW, serial_from="KTP0001011",
                 serial_to="KTP0001020")
    _feed(ledger, SITE, ["KTP0001001", "KTP0001002"])
    _feed(ledger, OTHER_SITE, ["KTP0001011"], start=10)
    assert serial_attention(store) == {}
    assert verify_store(store).attention == []


def test_a_serial_outside_the_ranges_or_used_twice_is_named(inv, store, ledger):
    inv.receive(SITE, "blank", 0, NOW, serial_from="KTP0001001", serial_to="KTP0001020")
    inv.receive(OTHER_SITE, "blank", 0, NOW, serial_from="KTP0002001", serial_to="KTP0002010")
    inv.spoil(SITE, "blank", 0, NOW, serial_from="KTP0001009", reason="rusak saat pengiriman")
    # the virtual printer's old numbering, a blank of the other site, one fed twice, and
    # one spoiled in transport that a printer then fed
    _feed(ledger, SITE, ["KTP00000001003", "KTP0002005", "KTP0001004", "KTP0001004",
                         "KTP0001009", "KTP0001005"])
    report = verify_store(store)
    assert report.ok, report.violations  # the counts still add up: attention, not violation
    items = serial_attention(store)[SITE]
    assert len(items) == 2, items
    assert items[0].startswith(f"2 blanks fed at site {SITE} outside the serial ranges")
    assert "KTP00000001003" in items[0] and "KTP0002005" in items[0]
    assert "KTP0001004" not in items[0]
    assert items[1].startswith(f"2 blank serials used more than once at site {SITE}")
    assert "KTP0001004, KTP0001009" in items[1]
    assert set(items) <= set(report.attention)
    # the other site's serial fed here is not the other site's problem
    assert OTHER_SITE not in serial_attention(store)
    [stock] = site_stocks(store, [SITE])
    assert stock.attention == items
    # in stock: the received range less the blanks fed or spoiled there
    assert [str(r) for r in stock.stock_ranges] == [
        "KTP0001001-KTP0001003", "KTP0001006-KTP0001008", "KTP0001010-KTP0001020"]
    assert [str(r) for r in stock.ranges] == ["KTP0001001-KTP0001020"]


def test_without_cuts_used_serials_out_of_ranges():
    r = parse_range("KTP0001", "KTP0010")
    assert [str(x) for x in without([r], ["KTP0001", "KTP0005", "KTP0005", "KTP0010",
                                          "KTP00005", "XYZ0003", "odd"])] == [
        "KTP0002-KTP0004", "KTP0006-KTP0009"]
    assert without([r], []) == [r]


def test_sites_whose_blanks_came_without_serials_are_not_range_checked(inv, store, ledger):
    inv.receive(SITE, "blank", 5, NOW)
    _feed(ledger, SITE, ["VP9100-00000001", "VP9100-00000001"])
    [item] = serial_attention(store)[SITE]  # the double use is still seen
    assert "used more than once" in item and "VP9100-00000001" in item


def test_inventory_show_and_verify_name_the_serials(tmp_path):
    from cetak.controller.ledger import Ledger
    from cetak.controller.model import Campaign
    from cetak.controller.store import SqliteStore

    db = tmp_path / "controller.db"
    store = SqliteStore(db)
    ledger = Ledger(store)
    ledger.create_campaign(Campaign("c1", "x", created_ms=1))
    Inventory(ledger).receive(SITE, "blank", 0, NOW, serial_from="KTP0001001",
                              serial_to="KTP0001020")
    _feed(ledger, SITE, ["KTP00000001003", "KTP0001004"])
    store.close()
    with serving_controller(db) as conn:
        r = subprocess.run(cetak_argv("inventory", "show", SITE, *conn), capture_output=True,
                           text=True, timeout=120, env={**os.environ, "COLUMNS": "250"})
        assert r.returncode == 0, r.stderr
        assert "attention: 1 blank fed at site" in r.stdout and "KTP00000001003" in r.stdout
        assert "KTP0001001-KTP0001003, KTP0001005-KTP0001020" in r.stdout  # serials in stock
        r = run_cetak("inventory", "show", "--json", *conn)
        [site] = json.loads(r.stdout)["sites"]
        assert len(site["attention"]) == 1 and "KTP00000001003" in site["attention"][0]
        assert [(x["serial_from"], x["serial_to"]) for x in site["stock_ranges"]] == [
            ("KTP0001001", "KTP0001003"), ("KTP0001005", "KTP0001020")]
    r = run_cetak("campaign", "verify", "--store", str(db), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert any("KTP00000001003" in a for a in json.loads(r.stdout)["attention"])
