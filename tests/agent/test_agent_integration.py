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


def test_agent_connected_before_the_delivery_holds_the_whole_window_through_an_outage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20: the agent connects while its site has no blanks (Welcome's window is 0), then
    the blanks are received through the admin API as `cetak inventory receive` does. The
    agent's lease window must follow the controller's new window, so that it holds every
    queued record before the centre goes away, and prints them all during the outage. (It
    used to keep asking for the floor of 2 per printer from that first Welcome.)"""
    import grpc

    from cetak.api.v1 import admin_pb2, admin_pb2_grpc
    from cetak.controller.ledger import LeasePolicy
    from cetak.controller.model import Campaign, NewRecord
    from cetak.printers.virtual.device import VirtualPrinter

    records = card_records(5)
    site = records[0].kelurahan_kode
    printer = VirtualPrinter("evolis", blanks=20, time_scale=2000)
    virtual.register("vp-window-test", printer)
    monkeypatch.setenv("CETAK_TEST_KEY", base64.b64encode(os.urandom(32)).decode())
    store = str(tmp_path / "controller.db")
    policy = LeasePolicy(lease_ms=600_000, skew_margin_ms=1_000)

    async def wait(predicate, what: str, seconds: float = 60) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not predicate():
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(f"not within {seconds:g} s: {what}") from None

    async def scenario() -> None:
        controller = controller_server.create_server("127.0.0.1:0", store, policy=policy)
        ledger = controller.ledger
        ledger.create_campaign(Campaign("c1", "test", created_ms=1))
        ledger.add_records([NewRecord(record_id=r.record_id, campaign_id="c1", nik=r.nik,
                                      site_code=site, kategori="BARU", alasan="",
                                      payload=r.SerializeToString()) for r in records], 1)
        await controller.start()  # the site has no blanks yet
        port = controller.port
        config = parse_config({
            "agent_id": "agent-window", "site_code": site,
            "controller": {"address": f"127.0.0.1:{port}", "insecure": True},
            "journal": {"path": "journal.sqlite", "key_env": "CETAK_TEST_KEY"},
            "printers": [{"id": "p1", "transport": "virtual", "address": "vp-window-test"}],
            "window_hours": 4,  # 150 cards an hour: far more than the 5 queued
            "tuning": {"heartbeat_s": 0.5, "silence_s": 2, "reconnect_initial_s": 0.05,
                       "reconnect_max_s": 0.2},
        }, base_dir=tmp_path)
        journal = open_journal(config.journal)
        agent = Agent(config, journal, build_backends(config), channel_factory(config.controller))
        task = asyncio.create_task(agent.run())
        try:
            await wait(lambda: agent.connected, "the agent connects")
            assert journal.outstanding_count() == 0  # nothing to lease without blanks
            # The operator holds the printer, so that nothing prints before the outage and
            # the leases the agent holds are exactly what it was given.
            for worker in agent.workers:
                worker.pause()
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                await admin_pb2_grpc.AdminServiceStub(channel).RecordInventory(
                    admin_pb2.InventoryMovement(site_code=site, item="blank", kind="receive",
                                                quantity=20, reference="DO-1"), timeout=30)
            await wait(lambda: journal.outstanding_count() == len(records),
                       "the agent holds every queued record after the delivery", seconds=30)
            await controller.stop()  # the centre goes away
            await wait(lambda: not agent.connected, "disconnect")
            for worker in agent.workers:
                worker.resume()
            await wait(lambda: printer.snapshot()["counters"]["printed"] == len(records),
                       "every queued record printed during the outage")
            assert not agent.connected
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

    try:
        asyncio.run(scenario())
    finally:
        virtual.unregister("vp-window-test")
    counters = printer.snapshot()["counters"]
    assert counters["printed"] == 5 and counters["fed"] == 5  # no card printed twice


def test_a_card_left_in_the_printer_stops_the_feed_until_the_operator_removes_it(
        tmp_path: Path) -> None:
    """The production backend on an in-process virtual printer: a card someone left in the
    printer makes it refuse the next card as busy once; then the worker feeds nothing (its
    leases stay held) until the operator's Continue and an empty printer, and prints again."""
    from concurrent.futures import ThreadPoolExecutor

    from cetak.agent.clock import ControllerClock
    from cetak.agent.journal import Journal
    from cetak.agent.leases import LeaseQueue
    from cetak.agent.pipeline import CARD_LEFT_ERROR, PrinterWorker
    from cetak.agent.sealing import Sealer
    from cetak.api.v1 import agent_pb2
    from cetak.printers.virtual.device import VirtualPrinter

    records = card_records(3)
    printer = VirtualPrinter("evolis", blanks=10, time_scale=2000)
    virtual.register("vp-card-left", printer)
    config = parse_config({
        "agent_id": "agent-left", "site_code": records[0].kelurahan_kode,
        "controller": {"address": "127.0.0.1:1", "insecure": True},
        "journal": {"path": "journal.sqlite", "key_env": "CETAK_TEST_KEY"},
        "printers": [{"id": "p1", "transport": "virtual", "address": "vp-card-left"}],
    }, base_dir=tmp_path)
    (backend,) = build_backends(config)
    journal = Journal(tmp_path / "journal.sqlite", Sealer(os.urandom(32)))
    clock = ControllerClock()
    queue = LeaseQueue()
    pool = ThreadPoolExecutor(1)
    statuses: list[common_pb2.PrinterStatus] = []

    def add(i: int) -> None:
        journal.add_lease(agent_pb2.Lease(
            lease_id=f"L{i}", campaign_id="c1", record_id=records[i].record_id, epoch=1,
            expires_at_ms=clock.now_ms() + 600_000, record=records[i]))
        queue.put(journal.lease(f"L{i}"))

    def outcome(i: int) -> str:
        for _, event in journal.pending_events():
            if event.lease_id == f"L{i}" and event.state != common_pb2.PRINTING:
                return f"{common_pb2.AttemptState.Name(event.state)} {event.reason}".strip()
        return ""

    async def until(check, what: str) -> None:
        async with asyncio.timeout(30):
            while not check():
                await asyncio.sleep(0.02)

    async def scenario() -> None:
        worker = PrinterWorker(backend, journal=journal, clock=clock, queue=queue,
                               prepare_pool=pool, wake=lambda: None, retry_s=0.1,
                               on_status=statuses.append)
        task = asyncio.create_task(worker.run())
        try:
            add(0)
            await until(lambda: outcome(0), "the first card")
            assert outcome(0) == "PRINTED"
            assert printer.mechanism.feed()  # another host's card, left in the path
            add(1)
            add(2)
            await until(lambda: worker.card_left, "the card-left hold")
            assert outcome(1) == "FAILED_BEFORE_CARD printer busy"  # refused once, no blank
            for _ in range(10):  # many re-checks later: still nothing fed
                await asyncio.sleep(0.1)
                assert journal.lease("L2").state == "held" and worker.card_left
            assert printer.snapshot()["counters"]["fed"] == 2
            # The controller and the metrics are told the printer needs a person.
            assert any(st.state == common_pb2.ERROR and st.error == CARD_LEFT_ERROR
                       for st in statuses)
            worker.card_removed()  # Continue pressed too early: the card is still inside
            for _ in range(5):
                await asyncio.sleep(0.1)
                assert journal.lease("L2").state == "held" and worker.card_left
            printer.clear()  # the operator takes the card out
            await until(lambda: outcome(2), "printing after the card was removed")
            assert outcome(2) == "PRINTED" and not worker.card_left
        finally:
            worker.stop()
            await asyncio.wait_for(task, 30)

    try:
        asyncio.run(scenario())
    finally:
        virtual.unregister("vp-card-left")
        pool.shutdown()
        journal.close()
        backend.close()
    snap = printer.snapshot()["counters"]
    assert snap == {"fed": 3, "printed": 2, "rejected": 1}
