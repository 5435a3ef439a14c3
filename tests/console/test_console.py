"""The console inside a running agent (one process): real controller, production printer
backend, in-process virtual printer. Actions taken while the controller is down are journaled
and reach its audit log once it is up; a jam shows its instruction and Continue clears it."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest

from cetak.agent.config import parse_config
from cetak.agent.console.console import Console, mask_name
from cetak.agent.console.server import serve_console
from cetak.agent.daemon import channel_factory, open_journal
from cetak.agent.printer_backend import build_backends
from cetak.agent.runner import Agent
from cetak.api.v1 import common_pb2
from cetak.procs import free_port

from .helpers import audit_actions, card_records, http, page_token

controller_server = pytest.importorskip("cetak.controller.server")
registry = pytest.importorskip("cetak.printers.virtual.registry")


async def until(check, what: str, timeout: float = 60.0):
    """Poll `check` (run in a thread: it may do HTTP against our own loop) until truthy."""
    async with asyncio.timeout(timeout):
        while True:
            value = await asyncio.to_thread(check)
            if value:
                return value
            await asyncio.sleep(0.05)
    raise AssertionError(what)  # pragma: no cover - timeout raises first


def test_console_actions_reach_the_audit_log_and_a_jam_is_cleared(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cetak.controller.ledger import LeasePolicy
    from cetak.controller.model import Campaign, InventoryMovement, NewRecord
    from cetak.printers.virtual.device import VirtualPrinter

    records = card_records(3)
    site = records[0].kelurahan_kode
    printer = VirtualPrinter("evolis", blanks=20, time_scale=2000, out_dir=tmp_path / "cards")
    registry.register("vp-console-test", printer)
    monkeypatch.setenv("CETAK_TEST_KEY", base64.b64encode(os.urandom(32)).decode())
    port = free_port()
    db = tmp_path / "controller.db"

    async def scenario() -> None:
        config = parse_config({
            "agent_id": "agent-con", "site_code": site, "console_address": "127.0.0.1:0",
            "controller": {"address": f"127.0.0.1:{port}", "insecure": True},
            "journal": {"path": "journal.sqlite", "key_env": "CETAK_TEST_KEY"},
            "printers": [{"id": "p1", "transport": "virtual", "address": "vp-console-test"}],
            "tuning": {"heartbeat_s": 0.5, "reconnect_initial_s": 0.05,
                       "reconnect_max_s": 0.2, "printer_retry_s": 0.2},
        }, base_dir=tmp_path)
        journal = open_journal(config.journal)
        agent = Agent(config, journal, build_backends(config), channel_factory(config.controller))
        task = asyncio.create_task(agent.run())
        console = serve_console(Console(agent, default_lang="id"), "127.0.0.1:0")
        base = console.url
        controller = None
        try:
            await until(lambda: agent.workers, "workers started")
            status, html = await asyncio.to_thread(http, base)
            assert status == 200 and 'lang="id"' in html
            token = page_token(html)

            # Controller down: the console says so and the action waits in the journal.
            status, state = await asyncio.to_thread(http, base + "api/state")
            assert status == 200 and state["connected"] is False
            assert state["banner"].startswith("Server pusat tidak terhubung")
            assert state["printers"][0]["id"] == "p1" and state["names_shown"] is True
            status, answer = await asyncio.to_thread(
                http, base + "api/action", {"action": "pause", "printer_id": "p1"}, token=token)
            assert status == 200, answer
            assert journal.pending_action_count() == 1

            # Refusals: no token, a foreign Host (DNS rebinding), bad input.
            status, _ = await asyncio.to_thread(
                http, base + "api/action", {"action": "pause", "printer_id": "p1"})
            assert status == 403
            status, _ = await asyncio.to_thread(
                http, base + "api/state", headers={"Host": "evil.example:80"})
            assert status == 421
            status, answer = await asyncio.to_thread(
                http, base + "api/action?lang=en",
                {"action": "blanks_loaded", "printer_id": "p1", "count": 0}, token=token)
            assert status == 422 and "whole number" in answer["error"]

            # The controller comes up: the queued action is replayed, audited, acked.
            controller = controller_server.create_server(
                f"127.0.0.1:{port}", str(db),
                policy=LeasePolicy(lease_ms=600_000, skew_margin_ms=1_000))
            ledger = controller.ledger
            ledger.create_campaign(Campaign("c1", "test", created_ms=1))
            ledger.add_records([NewRecord(record_id=r.record_id, campaign_id="c1", nik=r.nik,
                                          site_code=site, kategori="BARU", alasan="",
                                          payload=r.SerializeToString()) for r in records], 1)
            ledger.record_inventory(InventoryMovement("m-1", site, "blank", "receive", 20,
                                                      at_ms=1))
            await controller.start()
            await until(lambda: journal.pending_action_count() == 0, "pause acked")
            assert [a for a, _ in audit_actions(db) if a.startswith("operator.")] == [
                "operator.pause"]
            # Paused: leases arrive, one card is prepared, nothing is fed.
            await until(lambda: journal.leases("held"), "leases held")
            assert printer.snapshot()["counters"]["fed"] == 0
            status, state = await asyncio.to_thread(http, base + "api/state")
            assert state["connected"] is True and state["printers"][0]["paused"] is True
            assert state["queue"]["count"] >= 1 and state["queue"]["shown"][0]["name"]

            # A jam: the page's state carries the instruction; Continue clears it.
            printer.inject_fault("jam_after_feed")
            status, _ = await asyncio.to_thread(
                http, base + "api/action", {"action": "resume", "printer_id": "p1"},
                token=token)
            assert status == 200

            def jam_shown():
                _, s = http(base + "api/state")
                alerts = s["printers"][0]["alerts"]
                return [a for a in alerts if a.get("condition") == "card_jam"]

            alert = (await until(jam_shown, "jam alert"))[0]
            assert alert["text"] == "Kartu macet: buka penutup, keluarkan kartu, tekan Lanjut"
            status, _ = await asyncio.to_thread(
                http, base + "api/action", {"action": "jam_cleared", "printer_id": "p1"},
                token=token)
            assert status == 200

            def all_printed():
                views = [ledger.store.get_record(r.record_id) for r in records]
                return all(v is not None and v.state == "printed" for v in views)

            await until(all_printed, "all printed after the jam")

            # Mark a printed card spoiled (a reason code is required).
            worker = agent.workers[0]
            printed = next(e for e in reversed(worker.recent)
                           if e.state == common_pb2.PRINTED)
            status, _ = await asyncio.to_thread(
                http, base + "api/action", {"action": "card_spoiled", "printer_id": "p1",
                                            "attempt_id": printed.attempt_id}, token=token)
            assert status == 422
            status, _ = await asyncio.to_thread(
                http, base + "api/action", {"action": "card_spoiled", "printer_id": "p1",
                                            "attempt_id": printed.attempt_id,
                                            "reason": "smudged"}, token=token)
            assert status == 200
            status, _ = await asyncio.to_thread(
                http, base + "api/action", {"action": "card_spoiled", "printer_id": "p1",
                                            "attempt_id": printed.attempt_id,
                                            "reason": "smudged"}, token=token)
            assert status == 422  # already reported
            await until(lambda: journal.pending_action_count() == 0, "actions acked")
            entries = [(a, d) for a, d in audit_actions(db) if a.startswith("operator.")]
            assert [a for a, _ in entries] == ["operator.pause", "operator.resume",
                                               "operator.jam_cleared", "operator.card_spoiled"]
            assert entries[2][1]["detail"] == '{"condition":"card_jam"}'
            assert '"reason":"smudged"' in entries[3][1]["detail"]
            assert entries[3][1]["printer_id"] == "p1"
        finally:
            console.stop()
            agent.request_stop()
            code = await asyncio.wait_for(task, 30)
            if controller is not None:
                await controller.stop()
        assert code == 0

    try:
        asyncio.run(scenario())
    finally:
        registry.unregister("vp-console-test")


def test_names_are_masked_to_initials() -> None:
    assert mask_name("Siti Rahayu") == "S*** R***"
    assert mask_name("Muhammad Rizky Pratama") == "M*** R*** P***"
    assert mask_name("  ") == "***"


def test_a_revoked_agent_certificate_is_shown_as_such_not_as_an_outage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutual TLS against the real controller with its revocation list: the agent's
    certificate is revoked while it is connected; the console names that, not an outage."""
    from cetak.controller.ledger import LeasePolicy
    from cetak.controller.model import Campaign
    from cetak.printers.virtual.device import VirtualPrinter
    from cetak.security.pki import init_pki, issue_agent
    from cetak.security.revocation import Revocations, revoke
    from cetak.security.tls import server_credentials

    site = card_records(1)[0].kelurahan_kode
    pki = tmp_path / "pki"
    init_pki(pki)
    issue_agent(pki, site, "agent-rev")
    registry.register("vp-revoked-test", VirtualPrinter("evolis", blanks=5, time_scale=2000))
    monkeypatch.setenv("CETAK_TEST_KEY", base64.b64encode(os.urandom(32)).decode())

    async def scenario() -> None:
        controller = controller_server.create_server(
            "127.0.0.1:0", str(tmp_path / "controller.db"),
            server_credentials=server_credentials(pki),
            revocations=Revocations(pki, recheck_s=0.1),
            policy=LeasePolicy(lease_ms=600_000, skew_margin_ms=1_000))
        controller.ledger.create_campaign(Campaign("c1", "test", created_ms=1))
        await controller.start()
        config = parse_config({
            "agent_id": "agent-rev", "site_code": site,
            "controller": {"address": f"127.0.0.1:{controller.port}",
                           "ca": str(pki / "ca.pem"), "cert": str(pki / "agent-agent-rev.pem"),
                           "key": str(pki / "agent-agent-rev.key")},
            "journal": {"path": "journal.sqlite", "key_env": "CETAK_TEST_KEY"},
            "printers": [{"id": "p1", "transport": "virtual", "address": "vp-revoked-test"}],
            "tuning": {"heartbeat_s": 0.5, "reconnect_initial_s": 0.05,
                       "reconnect_max_s": 0.2},
        }, base_dir=tmp_path)
        agent = Agent(config, open_journal(config.journal), build_backends(config),
                      channel_factory(config.controller))
        task = asyncio.create_task(agent.run())
        console = serve_console(Console(agent, default_lang="id"), "127.0.0.1:0")
        state_url = console.url + "api/state"
        try:
            def connected():
                return (s := http(state_url)[1]) and s.get("connected") and s

            state = await until(connected, "connected")
            assert state["refused"] is None and state["banner"] == "Terhubung ke server pusat"

            revoke(pki, pki / "agent-agent-rev.pem")  # the site's PC was stolen

            def refused():
                s = http(state_url)[1]
                return s if s.get("refused") else None

            state = await until(refused, "the refusal on the console")
            assert state["refused"] == "revoked" and state["connected"] is False
            assert state["banner"].startswith("Sertifikat agen dicabut — hubungi Dinas")
            assert "tidak terhubung" not in state["banner"]
            _, english = await asyncio.to_thread(http, state_url + "?lang=en")
            assert english["banner"].startswith("Agent certificate revoked — contact the Dinas")
        finally:
            console.stop()
            agent.request_stop()
            code = await asyncio.wait_for(task, 30)
            await controller.stop()
        assert code == 0

    try:
        asyncio.run(scenario())
    finally:
        registry.unregister("vp-revoked-test")
