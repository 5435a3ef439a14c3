"""Console actions and state without sockets: a fake agent around a real journal."""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import pytest

from cetak.agent.console.console import ActionError, Console
from cetak.agent.journal import Journal
from cetak.agent.pipeline import PrinterStats
from cetak.agent.sealing import Sealer
from cetak.api.v1 import agent_pb2, common_pb2


def _event(attempt: str, state: int, record: str = "r-1") -> agent_pb2.JobEvent:
    return agent_pb2.JobEvent(event_id=f"e-{attempt}", lease_id=f"l-{attempt}", attempt_id=attempt,
                              record_id=record, state=state, blank_serial=f"B{attempt}",
                              campaign_id="c1", printer_id="p1")


@pytest.fixture
def agent(tmp_path: Path):
    journal = Journal(tmp_path / "j.db", Sealer(os.urandom(32)))
    worker = SimpleNamespace(printer_id="p1", recent=deque(maxlen=20), paused=False,
                             printing=None, stats=PrinterStats(), calls=[])
    worker.pause = lambda: worker.calls.append("pause")
    worker.resume = lambda: worker.calls.append("resume")
    worker.retry_now = lambda: worker.calls.append("retry_now")
    backend = SimpleNamespace(printer_id="p1", info=lambda: common_pb2.PrinterInfo(
        printer_id="p1", model="Evolis Primacy", transport="usb"))
    fake = SimpleNamespace(journal=journal, backends=[backend], workers=[worker],
                           connected=False, stopping=False,
                           config=SimpleNamespace(agent_id="a1", site_code="32.76.01.1006"),
                           clock=SimpleNamespace(now_ms=lambda: 1234), woken=[])
    fake.wake = lambda: fake.woken.append(1)
    fake.call_in_loop = lambda fn: fn()
    yield fake
    journal.close()


def _journaled(agent) -> list[tuple[str, dict]]:
    return [(a.action, json.loads(a.detail)) for _, a in agent.journal.pending_actions()]


def _journal_unknown(agent, attempt: str, record: str, reason: str = "") -> agent_pb2.JobEvent:
    """An UNKNOWN outcome journaled as the pipeline does: a lease, its attempt, the event."""
    lease = agent_pb2.Lease(lease_id=f"l-{attempt}", campaign_id="c1", record_id=record,
                            epoch=1, expires_at_ms=10**13,
                            record=common_pb2.CardRecord(record_id=record))
    assert agent.journal.add_lease(lease)
    assert agent.journal.begin_attempt(lease.lease_id, attempt, "p1", 1)
    event = _event(attempt, common_pb2.UNKNOWN, record)
    event.reason = reason
    agent.journal.record_event(event)
    return event


def test_unknown_outcome_is_an_alert_until_resolved(agent) -> None:
    agent.workers[0].recent.append(_journal_unknown(agent, "a1", "r-9"))
    console = Console(agent)
    state = console.state("id", show_names=True)
    alerts = state["printers"][0]["alerts"]
    assert any("Hasil kartu r-9 tidak diketahui" in a["text"] for a in alerts)
    unknown = next(a for a in alerts if a.get("kind") == "unknown")
    assert unknown["attempt_id"] == "a1"
    assert [c["label"] for c in unknown["choices"]] == ["Tercetak", "Tidak tercetak"]
    assert state["banner"].startswith("Server pusat tidak terhubung")
    with pytest.raises(ActionError) as refused:
        console.act({"action": "unknown_resolved", "printer_id": "p1", "attempt_id": "a1",
                     "result": "maybe"})
    assert refused.value.code == "bad_request"
    console.act({"action": "unknown_resolved", "printer_id": "p1", "attempt_id": "a1",
                 "result": "not_printed"})
    assert _journaled(agent) == [("unknown_resolved", {
        "attempt_id": "a1", "blank_serial": "Ba1", "campaign_id": "c1", "lease_id": "l-a1",
        "record_id": "r-9", "result": "not_printed"})]
    assert agent.woken
    state = console.state("en", show_names=True)
    assert not state["printers"][0]["alerts"]
    assert state["printers"][0]["recent"][0]["reported"] is True
    with pytest.raises(ActionError) as again:
        console.act({"action": "unknown_resolved", "printer_id": "p1", "attempt_id": "a1",
                     "result": "printed"})
    assert again.value.code == "already_reported"


def test_an_unknown_outcome_survives_restarts_and_acks_until_answered(agent, tmp_path) -> None:
    """An attempt a restart interrupted is asked about even though no worker lists it among
    its latest cards, after the controller acked the event, and after the journal reopens."""
    _journal_unknown(agent, "a7", "r-7", "agent stopped during the attempt, after feed")
    agent.journal.ack(["e-a7"])
    assert agent.journal.pending_event_count() == 0
    key = agent.journal._sealer  # reopen the same file, as the next start would
    agent.journal.close()
    agent.journal = Journal(tmp_path / "j.db", key)
    console = Console(agent)
    alerts = console.state("id", show_names=True)["printers"][0]["alerts"]
    assert [a["text"] for a in alerts if a.get("kind") == "unknown"] == [
        "Agen berhenti saat kartu r-7 sedang dicetak (blangko Ba7): periksa kartunya, lalu "
        "tekan Tercetak atau Tidak tercetak"]
    english = console.state("en", show_names=True)["printers"][0]["alerts"]
    assert english[0]["text"].startswith("The agent stopped while card r-7 was printing")
    console.act({"action": "unknown_resolved", "printer_id": "p1", "attempt_id": "a7",
                 "result": "printed"})
    assert _journaled(agent)[-1] == ("unknown_resolved", {
        "attempt_id": "a7", "blank_serial": "Ba7", "campaign_id": "c1", "lease_id": "l-a7",
        "record_id": "r-7", "result": "printed"})
    assert agent.journal.unresolved() == []
    # A fresh console (the agent restarted once more) asks nothing and refuses a second answer.
    again = Console(agent)
    assert not again.state("id", show_names=True)["printers"][0]["alerts"]
    with pytest.raises(ActionError) as refused:
        again.act({"action": "unknown_resolved", "printer_id": "p1", "attempt_id": "a7",
                   "result": "not_printed"})
    assert refused.value.code == "unknown_card"


def test_an_unknown_outcome_of_a_printer_since_removed_is_still_asked(agent) -> None:
    lease = agent_pb2.Lease(lease_id="l-old", campaign_id="c1", record_id="r-old", epoch=1,
                            expires_at_ms=10**13, record=common_pb2.CardRecord(record_id="r-old"))
    assert agent.journal.add_lease(lease)
    assert agent.journal.begin_attempt("l-old", "a-old", "p-gone", 1)
    event = _event("old", common_pb2.UNKNOWN, "r-old")
    event.attempt_id, event.lease_id, event.printer_id = "a-old", "l-old", "p-gone"
    agent.journal.record_event(event)
    console = Console(agent)
    (alert,) = console.state("id", show_names=True)["printers"][0]["alerts"]
    assert alert["attempt_id"] == "a-old" and alert["printer_id"] == "p-gone"
    console.act({"action": "unknown_resolved", "printer_id": "p1", "attempt_id": "a-old",
                 "result": "printed"})
    (_, action), = agent.journal.pending_actions()
    assert action.printer_id == "p-gone" and agent.journal.unresolved() == []


def test_card_left_in_the_printer_is_an_alert_whose_continue_confirms(agent) -> None:
    worker = agent.workers[0]
    worker.card_left = True
    worker.card_removed = lambda: worker.calls.append("card_removed")
    console = Console(agent)
    printer = console.state("id", show_names=True)["printers"][0]
    assert printer["state"] == "error" and printer["state_text"] == "Perlu tindakan"
    assert [(a["condition"], a["text"]) for a in printer["alerts"]] == [
        ("card_left", "Kartu tertinggal di printer: buka penutup, keluarkan kartu, tekan Lanjut")]
    english = console.state("en", show_names=True)["printers"][0]["alerts"][0]["text"]
    assert english == "Card left in the printer: open the cover, remove the card, press Continue"
    console.act({"action": "jam_cleared", "printer_id": "p1"})
    assert worker.calls == ["card_removed", "retry_now"]
    assert _journaled(agent) == [("jam_cleared", {"condition": "card_left"})]


def test_a_revoked_certificate_is_not_shown_as_an_outage(agent) -> None:
    agent.refused = "revoked"
    state = Console(agent).state("id", show_names=True)
    assert state["refused"] == "revoked"
    assert state["banner"].startswith("Sertifikat agen dicabut — hubungi Dinas")
    assert "tidak terhubung" not in state["banner"]
    agent.refused = "refused"
    assert Console(agent).state("en", show_names=True)["banner"].startswith(
        "The central server refuses this agent's certificate — contact the Dinas office")
    agent.connected, agent.refused = True, None
    assert Console(agent).state("id", show_names=True)["refused"] is None


def test_actions_validate_and_journal_ids_counts_and_codes_only(agent) -> None:
    agent.workers[0].recent.append(_event("a2", common_pb2.PRINTED))
    console = Console(agent)
    for request, code in (
            ({"action": "explode", "printer_id": "p1"}, "unknown_action"),
            ({"action": "pause", "printer_id": "p9"}, "unknown_printer"),
            ({"action": "blanks_loaded", "printer_id": "p1", "count": "ten"}, "bad_count"),
            ({"action": "blanks_loaded", "printer_id": "p1", "count": 5,
              "serial_from": "<script>"}, "bad_serial"),
            ({"action": "card_spoiled", "printer_id": "p1", "attempt_id": "a2",
              "reason": "Siti was angry"}, "bad_reason"),
            ({"action": "card_spoiled", "printer_id": "p1", "attempt_id": "zz",
              "reason": "smudged"}, "unknown_card"),
            ({"action": "unknown_resolved", "printer_id": "p1", "attempt_id": "a2",
              "result": "printed"}, "not_unknown")):
        with pytest.raises(ActionError) as refused:
            console.act(request)
        assert refused.value.code == code, request
    console.act({"action": "pause", "printer_id": "p1"})
    console.act({"action": "blanks_loaded", "printer_id": "p1", "count": "100",
                 "serial_from": "KTP0001001", "serial_to": "KTP0001100"})
    console.act({"action": "jam_cleared", "printer_id": "p1"})
    console.act({"action": "resume", "printer_id": "p1"})
    assert agent.workers[0].calls == ["pause", "retry_now", "retry_now", "resume"]
    assert _journaled(agent) == [
        ("pause", {}),
        ("blanks_loaded", {"count": 100, "serial_from": "KTP0001001",
                           "serial_to": "KTP0001100"}),
        ("jam_cleared", {"condition": ""}),
        ("resume", {})]
    # Acknowledged by the controller: gone from the journal.
    ids = [a.action_id for _, a in agent.journal.pending_actions()]
    assert agent.journal.ack(ids) == 4 and agent.journal.pending_action_count() == 0


def test_names_only_for_the_local_viewer(agent) -> None:
    lease = agent_pb2.Lease(lease_id="L1", campaign_id="c1", record_id="r-1", epoch=1,
                            expires_at_ms=10**13,
                            record=common_pb2.CardRecord(record_id="r-1", nama="SITI RAHAYU"))
    assert agent.journal.add_lease(lease)
    console = Console(agent)
    assert console.state("id", show_names=True)["queue"]["shown"][0]["name"] == "SITI RAHAYU"
    masked = console.state("id", show_names=False)
    assert masked["queue"]["shown"][0]["name"] == "S*** R***"
    assert masked["names_shown"] is False
    assert masked["remaining"] == 1
    assert "1 kartu tersisa" in masked["banner"]
