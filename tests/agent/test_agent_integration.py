"""The agent end to end in one process: the real controller (create_server, SQLite store), the
production printer backend (renderer, Evolis dialect, native core, driver) and an in-process
virtual printer with its contactless station."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest

from cetak.agent.config import parse_config
from cetak.agent.daemon import channel_factory, open_journal
from cetak.agent.printer_backend import build_backends
from cetak.agent.runner import Agent
from cetak.api.v1 import common_pb2

controller_server = pytest.importorskip("cetak.controller.server")
virtual = pytest.importorskip("cetak.printers.virtual.registry")


def card_records(n: int) -> list[common_pb2.CardRecord]:
    from cetak.prr.cardrecord import to_card_record
    from cetak.prr.regions import load_regions
    from cetak.prr.synthetic import generate_records

    regions = load_regions()
    out = []
    for i, rec in enumerate(generate_records(n, seed=7)):
        record = to_card_record(rec, regions, record_id=f"c1-int-{i}")
        record.issue_date = "2026-11-27"
        out.append(record)
    return out


@pytest.mark.parametrize("tls", [False, True], ids=["plaintext", "mutual-tls"])
def test_agent_prints_controller_work_on_a_virtual_printer(tmp_path: Path, tls: bool,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from cetak.card.chip import generate_signer, verify_chip_data
    from cetak.controller.ledger import LeasePolicy
    from cetak.controller.model import Campaign, InventoryMovement, NewRecord
    from cetak.printers.virtual.device import VirtualPrinter

    records = card_records(3)
    site = records[0].kelurahan_kode
    key_path, cert_path = generate_signer(tmp_path / "signer", "test document signer")
    printer = VirtualPrinter("evolis", blanks=10, time_scale=2000, out_dir=tmp_path / "cards")
    virtual.register("vp-agent-test", printer)
    monkeypatch.setenv("CETAK_TEST_KEY", base64.b64encode(os.urandom(32)).decode())

    controller_tls: dict = {"insecure": True}
    credentials = None
    if tls:
        from cetak.security.pki import init_pki, issue_agent
        from cetak.security.tls import server_credentials

        pki = tmp_path / "pki"
        init_pki(pki)
        issue_agent(pki, site, "agent-int")
        credentials = server_credentials(pki)
        controller_tls = {"ca": str(pki / "ca.pem"), "cert": str(pki / "agent-agent-int.pem"),
                          "key": str(pki / "agent-agent-int.key")}

    async def scenario() -> None:
        controller = controller_server.create_server(
            "127.0.0.1:0", str(tmp_path / "controller.db"), server_credentials=credentials,
            policy=LeasePolicy(lease_ms=600_000, skew_margin_ms=1_000))
        ledger = controller.ledger
        ledger.create_campaign(Campaign("c1", "test", created_ms=1))
        ledger.add_records([NewRecord(record_id=r.record_id, campaign_id="c1", nik=r.nik,
                                      site_code=site, kategori="BARU", alasan="",
                                      payload=r.SerializeToString()) for r in records], 1)
        ledger.record_inventory(InventoryMovement("m-1", site, "blank", "receive", 10, at_ms=1))
        ledger.record_inventory(InventoryMovement("m-2", site, "ribbon", "receive", 3, at_ms=1))
        ledger.record_inventory(InventoryMovement("m-3", site, "film", "receive", 2, at_ms=1))
        await controller.start()
        config = parse_config({
            "agent_id": "agent-int", "site_code": site,
            "controller": {"address": f"127.0.0.1:{controller.port}", **controller_tls},
            "journal": {"path": "journal.sqlite", "key_env": "CETAK_TEST_KEY"},
            "signer": {"key": str(key_path), "cert": str(cert_path)},
            "printers": [{"id": "p1", "transport": "virtual", "address": "vp-agent-test",
                          "contactless": "virtual"}],
            "tuning": {"heartbeat_s": 0.5, "reconnect_initial_s": 0.05,
                       "reconnect_max_s": 0.2},
        }, base_dir=tmp_path)
        backends = build_backends(config)
        assert backends[0].info().model == "Evolis Primacy"  # from the 1284 device id
        journal = open_journal(config.journal)
        agent = Agent(config, journal, backends, channel_factory(config.controller))
        task = asyncio.create_task(agent.run())
        try:
            async with asyncio.timeout(60):
                while True:
                    views = [controller.ledger.store.get_record(r.record_id) for r in records]
                    if all(v is not None and v.state == "printed" for v in views) and \
                            journal.pending_event_count() == 0:
                        break
                    await asyncio.sleep(0.05)
                # The printer's state and consumables reach the controller.
                while True:
                    rows = controller.ledger.store.printers(site)
                    status = rows[0]["status"] if rows else None
                    if status and common_pb2.PrinterStatus.FromString(
                            status).consumables.blanks_in_hopper == 7:
                        break
                    await asyncio.sleep(0.05)
            # The Evolis Primacy is direct-to-card: a ribbon print per card and no film.
            from cetak.controller.inventory import site_stock
            from cetak.controller.verify import verify_store

            stock = site_stock(controller.ledger.store, site)
            assert (stock.ribbons_in_stock, stock.films_in_stock) == (0, 2)
            assert verify_store(controller.ledger.store).ok
        finally:
            agent.request_stop()
            code = await asyncio.wait_for(task, 30)
            await controller.stop()
        assert code == 0

    try:
        asyncio.run(scenario())
    finally:
        virtual.unregister("vp-agent-test")
    snap = printer.snapshot()
    assert snap["counters"]["printed"] == 3 and snap["counters"]["fed"] == 3
    chips = sorted((tmp_path / "cards").rglob("*.chip"))
    assert len(chips) == 3  # each card's chip written at the station, signed
    for chip in chips:
        assert verify_chip_data(chip.read_bytes(), cert_path.read_bytes()).ok


def test_controller_outage_and_restart_lose_and_duplicate_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The controller stops while the agent holds leases: printing goes on, results are
    replayed to the restarted controller (same store, same port), every record prints once."""
    from cetak.controller.ledger import LeasePolicy
    from cetak.controller.model import Campaign, InventoryMovement, NewRecord
    from cetak.printers.virtual.device import VirtualPrinter

    records = card_records(6)
    site = records[0].kelurahan_kode
    # Slow enough (about 0.2 s a card) that the outage falls in the middle of the work.
    printer = VirtualPrinter("evolis", blanks=20, time_scale=100)
    virtual.register("vp-outage-test", printer)
    monkeypatch.setenv("CETAK_TEST_KEY", base64.b64encode(os.urandom(32)).decode())
    store = str(tmp_path / "controller.db")
    policy = LeasePolicy(lease_ms=600_000, skew_margin_ms=1_000)

    async def wait(predicate, what: str) -> None:
        async with asyncio.timeout(60):
            while not predicate():
                await asyncio.sleep(0.02)

    async def scenario() -> None:
        controller = controller_server.create_server("127.0.0.1:0", store, policy=policy)
        ledger = controller.ledger
        ledger.create_campaign(Campaign("c1", "test", created_ms=1))
        ledger.add_records([NewRecord(record_id=r.record_id, campaign_id="c1", nik=r.nik,
                                      site_code=site, kategori="BARU", alasan="",
                                      payload=r.SerializeToString()) for r in records], 1)
        ledger.record_inventory(InventoryMovement("m-1", site, "blank", "receive", 20, at_ms=1))
        await controller.start()
        port = controller.port
        config = parse_config({
            "agent_id": "agent-out", "site_code": site,
            "controller": {"address": f"127.0.0.1:{port}", "insecure": True},
            "journal": {"path": "journal.sqlite", "key_env": "CETAK_TEST_KEY"},
            "printers": [{"id": "p1", "transport": "virtual", "address": "vp-outage-test"}],
            "tuning": {"heartbeat_s": 0.5, "silence_s": 2, "reconnect_initial_s": 0.05,
                       "reconnect_max_s": 0.2},
        }, base_dir=tmp_path)
        journal = open_journal(config.journal)
        agent = Agent(config, journal, build_backends(config), channel_factory(config.controller))
        task = asyncio.create_task(agent.run())
        try:
            await wait(lambda: printer.snapshot()["counters"]["fed"] >= 1, "first card")
            held = journal.outstanding_count()
            await controller.stop()
            await wait(lambda: not agent.connected, "disconnect")
            printed_at_outage = printer.snapshot()["counters"]["printed"]
            await wait(lambda: printer.snapshot()["counters"]["printed"] > printed_at_outage,
                       "a card printed during the outage")
            assert held >= 2
            controller = controller_server.create_server(f"127.0.0.1:{port}", store,
                                                         policy=policy)
            await controller.start()
            await wait(lambda: all(
                (v := controller.ledger.store.get_record(r.record_id)) is not None
                and v.state == "printed" for r in records) and journal.pending_event_count() == 0,
                "every record printed and acknowledged")
        finally:
            agent.request_stop()
            code = await asyncio.wait_for(task, 30)
            await controller.stop()
        assert code == 0
        assert agent.connections >= 2

    try:
        asyncio.run(scenario())
    finally:
        virtual.unregister("vp-outage-test")
    counters = printer.snapshot()["counters"]
    assert counters["printed"] == 6 and counters["fed"] == 6  # no card printed twice
