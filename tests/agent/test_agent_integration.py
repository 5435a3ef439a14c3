"""The agent end to end in one process: the real controller (create_server, SQLite store), the
production printer backend (renderer, Evolis dialect, native core, driver) and an in-process
virtual printer with its contactless station."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import grpc
import pytest

from cetak.agent.config import parse_config
from cetak.agent.daemon import open_journal
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


def test_agent_prints_controller_work_on_a_virtual_printer(tmp_path: Path,
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

    async def scenario() -> None:
        controller = controller_server.create_server(
            "127.0.0.1:0", str(tmp_path / "controller.db"),
            policy=LeasePolicy(lease_ms=600_000, skew_margin_ms=1_000))
        ledger = controller.ledger
        ledger.create_campaign(Campaign("c1", "test", created_ms=1))
        ledger.add_records([NewRecord(record_id=r.record_id, campaign_id="c1", nik=r.nik,
                                      site_code=site, kategori="BARU", alasan="",
                                      payload=r.SerializeToString()) for r in records], 1)
        ledger.record_inventory(InventoryMovement("m-1", site, "blank", "receive", 10, at_ms=1))
        await controller.start()
        config = parse_config({
            "agent_id": "agent-int", "site_code": site,
            "controller": {"address": f"127.0.0.1:{controller.port}", "insecure": True},
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
        agent = Agent(config, journal, backends,
                      lambda: grpc.aio.insecure_channel(config.controller.address))
        task = asyncio.create_task(agent.run())
        try:
            async with asyncio.timeout(60):
                while True:
                    views = [controller.ledger.store.get_record(r.record_id) for r in records]
                    if all(v is not None and v.state == "printed" for v in views) and \
                            journal.pending_event_count() == 0:
                        break
                    await asyncio.sleep(0.05)
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
