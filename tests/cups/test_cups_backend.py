"""The agent's CUPS backend against real servers: a private cupsd with a raw queue to cetak's
virtual Magicard printer (a card goes agent -> CUPS -> socket backend -> virtual printer and is
counted there), and ippeveprinter for job states and printer errors."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from pathlib import Path

import grpc
import pytest

from cetak.agent.config import parse_config
from cetak.agent.cups_backend import build_cups_backend
from cetak.agent.journal import Journal
from cetak.agent.printer_backend import build_backends
from cetak.agent.runner import Agent
from cetak.agent.sealing import Sealer
from cetak.api.v1 import agent_pb2, common_pb2
from cetak.printers.cups import ipp
from cetak.procs import ManagedProcess, cetak_argv, free_port

from ..agent.agent_fakes import FakeController, async_wait_until

SITE = "32.76.01.1001"


def card_records(n: int, prefix: str = "c") -> list[common_pb2.CardRecord]:
    from cetak.prr.cardrecord import to_card_record
    from cetak.prr.regions import load_regions
    from cetak.prr.synthetic import generate_records

    regions = load_regions()
    out = []
    for i, rec in enumerate(generate_records(n, seed=7)):
        record = to_card_record(rec, regions, record_id=f"{prefix}-{i}")
        record.issue_date = "2026-12-04"
        out.append(record)
    return out


def leases(records: list[common_pb2.CardRecord]) -> list[agent_pb2.Lease]:
    expires = int(time.time() * 1000) + 600_000
    return [agent_pb2.Lease(lease_id=f"lease-{r.record_id}", campaign_id="camp-1",
                            record_id=r.record_id, epoch=1, expires_at_ms=expires, record=r)
            for r in records]


class VirtualMagicard:
    """`cetak printer emulate --dialect magicard` as a process; `produced()` reads its log of
    cards physically produced."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port(span=2)
        self.out = tmp_path / "virtual-out"
        self.proc = ManagedProcess(cetak_argv(
            "printer", "emulate", "--dialect", "magicard", "--json", "--time-scale", "1000",
            "--listen", f"tcp://127.0.0.1:{self.port}", "--out", str(self.out)),
            tmp_path / "emulate.log", name="emulate")
        deadline = time.monotonic() + 30
        while '"listen"' not in self.proc.output():
            assert self.proc.alive(), self.proc.output()
            assert time.monotonic() < deadline, "the virtual printer did not start"
            time.sleep(0.05)

    @property
    def device_uri(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def wait_produced(self, n: int, timeout: float = 30.0) -> list[dict]:
        """The log once it has n cards. CUPS calls a raw job completed once the socket backend
        delivered the bytes; the printer finishes the card a moment later."""
        deadline = time.monotonic() + timeout
        while len(self.produced()) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # and no more than n arrive
        return self.produced()

    def produced(self) -> list[dict]:
        path = self.out / "produced.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def magicard(tmp_path: Path):
    printer = VirtualMagicard(tmp_path)
    try:
        yield printer
    finally:
        printer.proc.stop()


def agent_config(tmp_path: Path, port: int, printer: dict):
    return parse_config({
        "agent_id": "agent-1", "site_code": SITE,
        "controller": {"address": f"127.0.0.1:{port}", "insecure": True},
        "journal": {"path": "journal.sqlite", "key_env": "UNUSED"},
        "printers": [{"id": "p1", "backend": "cups", **printer}],
        "tuning": {"heartbeat_s": 0.2, "silence_s": 3, "reconnect_initial_s": 0.02,
                   "reconnect_max_s": 0.1, "shutdown_flush_s": 5, "connect_timeout_s": 5,
                   "printer_retry_s": 0.2},
        "console_address": "off",
    }, base_dir=tmp_path)


def backend_for(tmp_path: Path, **printer):
    config = agent_config(tmp_path, 1, {"poll_s": 0.05, **printer})
    return build_cups_backend(0, config.printers[0])


class Hooks:
    """The pipeline's on_fed with its spooled hook, recording the order of the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, blank_serial: str) -> None:
        self.calls.append(("fed", blank_serial))

    def spooled(self, job_id: str) -> None:
        self.calls.append(("spooled", job_id))


def prepared(backend, record: common_pb2.CardRecord, attempt_id: str):
    import dataclasses

    return dataclasses.replace(backend.prepare(record), attempt_id=attempt_id)


def check_ledger(controller: FakeController, lease_ids: list[str]) -> None:
    """Every lease has exactly one final outcome, after at most one PRINTING."""
    finals = (common_pb2.PRINTED, common_pb2.SPOILED, common_pb2.FAILED_BEFORE_CARD,
              common_pb2.UNKNOWN)
    for lease_id in lease_ids:
        states = controller.states(lease_id)
        assert sum(s in finals for s in states) == 1, (lease_id, states)
        assert states[-1] in finals and states.count(common_pb2.PRINTING) <= 1, states


# --- cupsd + the virtual Magicard -------------------------------------------------------------

def test_agent_prints_through_a_raw_cups_queue_to_the_virtual_magicard(
        tmp_path: Path, cupsd, magicard, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = cupsd.add_queue("magicard", magicard.device_uri)
    records = card_records(2)
    controller = FakeController(leases(records), window=4)

    async def scenario() -> None:
        port = await controller.start()
        config = agent_config(tmp_path, port, {"queue": uri, "mode": "raw",
                                               "dialect": "magicard", "poll_s": 0.1})
        journal = Journal(tmp_path / "journal.sqlite", Sealer(os.urandom(32)))
        agent = Agent(config, journal, build_backends(config),
                      lambda: grpc.aio.insecure_channel(config.controller.address))
        task = asyncio.create_task(agent.run())
        ids = [f"lease-{r.record_id}" for r in records]
        await async_wait_until(
            lambda: all(common_pb2.PRINTED in controller.states(i) for i in ids),
            timeout=90, what="both cards printed")
        agent.request_stop()
        assert await asyncio.wait_for(task, 30) == 0
        await controller.stop()
        check_ledger(controller, ids)
        for i in ids:
            assert controller.states(i) == [common_pb2.PRINTING, common_pb2.PRINTED]

    asyncio.run(asyncio.wait_for(scenario(), 150))
    produced = magicard.wait_produced(2)
    assert [p["outcome"] for p in produced] == ["printed", "printed"]
    assert len({p["blank_serial"] for p in produced}) == 2


def test_a_stopped_queue_fails_before_card_and_sends_nothing(tmp_path: Path, cupsd,
                                                              magicard) -> None:
    uri = cupsd.add_queue("magicard", magicard.device_uri)
    cupsd.disable("magicard", "ribbon change")
    backend = backend_for(tmp_path, queue=uri, mode="raw", dialect="magicard")
    hooks = Hooks()
    out = backend.print_card(prepared(backend, card_records(1)[0], "att-stopped"), hooks)
    assert out.state == common_pb2.FAILED_BEFORE_CARD and "queue stopped" in out.reason
    assert hooks.calls == []
    assert ipp.IppClient(uri).jobs(["job-id"], which="all") == []
    status = backend.status(query=True)
    assert status is not None and status.state == common_pb2.ERROR
    assert magicard.produced() == []
    # what the operator sees: the console's red alert, with the queue's own words below it
    from types import SimpleNamespace

    from cetak.agent.console.console import Console

    agent = SimpleNamespace(workers=[], journal=SimpleNamespace(unresolved=lambda _id=None: []))
    shown = Console(agent)._printer(backend, "id", {}, [])
    [alert] = shown["alerts"]
    assert alert["level"] == "error" and "cupsenable" in alert["text"]
    assert alert["condition"] == "queue_stopped" and "ribbon change" in alert["printer_says"]


def test_a_job_held_in_the_queue_is_withdrawn_unprinted(tmp_path: Path, cupsd,
                                                        magicard) -> None:
    uri = cupsd.add_queue("magicard", magicard.device_uri)
    backend = backend_for(tmp_path, queue=uri, mode="raw", dialect="magicard",
                          pending_timeout_s=1.0, options={"job-hold-until": "indefinite"})
    hooks = Hooks()
    out = backend.print_card(prepared(backend, card_records(1)[0], "att-held"), hooks)
    assert out.state == common_pb2.FAILED_BEFORE_CARD, out
    assert "withdrawn from the queue unprinted" in out.reason
    assert [c[0] for c in hooks.calls] == ["spooled"]  # journaled, never "fed"
    job = ipp.IppClient(uri).job_attributes(int(hooks.calls[0][1]), ["job-state"])
    assert job is not None and job["job-state"] == ipp.JOB_CANCELED
    time.sleep(0.5)  # a cancelled job must not print later
    assert magicard.produced() == []


def test_a_restarted_agent_finds_its_job_by_name_and_settles_it(
        tmp_path: Path, cupsd, magicard, monkeypatch: pytest.MonkeyPatch) -> None:
    """The earlier run journaled the attempt, submitted the job and died before journaling
    the job id: the new run finds the job by its name (the attempt id), follows it to the end
    and reports PRINTED; the card is not sent again."""
    uri = cupsd.add_queue("magicard", magicard.device_uri)
    record = card_records(1, prefix="restart")[0]
    lease = leases([record])[0]
    key = os.urandom(32)
    journal = Journal(tmp_path / "journal.sqlite", Sealer(key))
    journal.add_lease(lease)
    assert journal.begin_attempt(lease.lease_id, "att-crashed", "p1", int(time.time() * 1000))
    backend = backend_for(tmp_path, queue=uri, mode="raw", dialect="magicard")
    card = prepared(backend, record, "att-crashed")
    ipp.IppClient(uri, user="cetak").print_job("att-crashed", bytes(card.job.data),
                                               "application/vnd.cups-raw")
    journal.close()  # the crash: no job id, no outcome journaled
    controller = FakeController([], window=4)

    async def scenario() -> None:
        port = await controller.start()
        config = agent_config(tmp_path, port, {"queue": uri, "mode": "raw",
                                               "dialect": "magicard", "poll_s": 0.1})
        agent = Agent(config, Journal(tmp_path / "journal.sqlite", Sealer(key)),
                      build_backends(config),
                      lambda: grpc.aio.insecure_channel(config.controller.address))
        task = asyncio.create_task(agent.run())
        await async_wait_until(lambda: controller.states(lease.lease_id), timeout=60,
                               what="the settled outcome")
        await async_wait_until(lambda: agent.journal.pending_event_count() == 0, what="acks")
        agent.request_stop()
        assert await asyncio.wait_for(task, 30) == 0
        await controller.stop()
        check_ledger(controller, [lease.lease_id])
        assert controller.states(lease.lease_id) == [common_pb2.PRINTED]

    asyncio.run(asyncio.wait_for(scenario(), 120))
    assert len(ipp.IppClient(uri).jobs(["job-id"], which="all")) == 1  # never resubmitted
    assert [p["outcome"] for p in magicard.wait_produced(1)] == ["printed"]


# --- ippeveprinter ----------------------------------------------------------------------------

def test_ippeveprinter_completed_job_is_printed_and_journaled_in_order(tmp_path: Path,
                                                                      ippeve) -> None:
    ippeve.set_mode("ok")
    backend = backend_for(tmp_path, queue=ippeve.uri, mode="raw", dialect="evolis")
    hooks = Hooks()
    out = backend.print_card(prepared(backend, card_records(1)[0], "att-ok"), hooks)
    assert out.state == common_pb2.PRINTED, out
    kinds = [c[0] for c in hooks.calls]
    assert kinds == ["spooled", "fed"]  # the job id is journaled before anything else
    assert out.blank_serial == hooks.calls[1][1] == f"print#job{hooks.calls[0][1]}"
    assert len(ippeve.printed()) == 1


def test_an_untrusted_queue_leaves_completed_jobs_to_the_operator(tmp_path: Path,
                                                                  ippeve) -> None:
    ippeve.set_mode("ok")
    backend = backend_for(tmp_path, queue=ippeve.uri, mode="driver", trusted=False)
    out = backend.print_card(prepared(backend, card_records(1)[0], "att-untrusted"), Hooks())
    assert out.state == common_pb2.UNKNOWN and "not trusted" in out.reason
    assert len(ippeve.printed()) == 1  # it did go out: a PDF of the card


def test_a_printer_error_after_processing_began_is_spoiled_with_its_reason(
        tmp_path: Path, ippeve) -> None:
    ippeve.set_mode("jam")
    backend = backend_for(tmp_path, queue=ippeve.uri, mode="raw", dialect="evolis")
    hooks = Hooks()
    out = backend.print_card(prepared(backend, card_records(1)[0], "att-jam"), hooks)
    assert (out.state, out.reason) == (common_pb2.SPOILED, "card jam"), out
    assert [c[0] for c in hooks.calls] == ["spooled", "fed"]
    assert ippeve.printed() == []


def test_a_job_cancelled_while_printing_is_unknown(tmp_path: Path, ippeve) -> None:
    ippeve.set_mode("slow")
    backend = backend_for(tmp_path, queue=ippeve.uri, mode="raw", dialect="evolis")
    hooks = Hooks()

    def cancel_once_started() -> None:
        deadline = time.monotonic() + 30
        while not ippeve.started() and time.monotonic() < deadline:
            time.sleep(0.05)
        spooled = [c[1] for c in hooks.calls if c[0] == "spooled"]
        ipp.IppClient(ippeve.uri, user="operator").cancel_job(int(spooled[0]))

    canceller = threading.Thread(target=cancel_once_started)
    canceller.start()
    try:
        out = backend.print_card(prepared(backend, card_records(1)[0], "att-cancel"), hooks)
    finally:
        canceller.join(40)
    assert (out.state, out.reason) == (common_pb2.UNKNOWN, "job cancelled while printing"), out


def test_driver_mode_through_gutenprints_magicard_driver_to_the_virtual_magicard(
        tmp_path: Path, cupsd, magicard) -> None:
    """agent -> CUPS -> pdftopdf, gstoraster, rastertogutenprint (the real driver) -> socket ->
    the virtual Magicard, which decodes the driver's stream and prints the card."""
    from PIL import Image

    from .conftest import _unavailable

    drivers = [line.split()[0] for line in cupsd.run("/usr/sbin/lpinfo", "-m").splitlines()
               if "magicard-rio-2e" in line.lower()]
    if not drivers:
        _unavailable("Gutenprint's Magicard driver is not installed "
                     "(apt-get install printer-driver-gutenprint)")
    uri = cupsd.add_queue("rio", magicard.device_uri, ppd=drivers[0])
    backend = backend_for(tmp_path, queue=uri, mode="driver", job_timeout_s=120,
                          options={"StpBlackType": "Resin", "orientation-requested": 6})
    hooks = Hooks()
    out = backend.print_card(prepared(backend, card_records(1)[0], "att-driver"), hooks)
    assert out.state == common_pb2.PRINTED, (out, cupsd.log()[-2000:])
    assert [c[0] for c in hooks.calls] == ["spooled", "fed"]
    [card] = magicard.wait_produced(1)
    assert card["outcome"] == "printed"
    [png] = sorted(magicard.out.glob("*.front.png"))
    image = Image.open(png).convert("L")
    assert image.getextrema()[0] < 100  # the card's print is on it, not a blank page
    # ... the right way up (reverse-landscape onto Gutenprint's portrait card): the header
    # and the NIK are in the top half
    width, height = image.size
    top = image.crop((0, 0, width, height // 2)).histogram()
    bottom = image.crop((0, height // 2, width, height)).histogram()
    assert sum(top[:100]) > sum(bottom[:100])


def test_cupsd_killed_mid_job_is_unknown_and_the_requeued_job_cancelled(
        tmp_path: Path, cupsd, ippeve) -> None:
    """cupsd dies (SIGKILL) while its job is at the printer and is started again: CUPS requeues
    the job and would print it a second time. The agent holds the record (UNKNOWN) and
    cancels what CUPS requeued; it never submits the card again."""
    ippeve.set_mode("slow")
    uri = cupsd.add_queue("eve", ippeve.uri)
    backend = backend_for(tmp_path, queue=uri, mode="raw", dialect="evolis", job_timeout_s=60)
    hooks = Hooks()
    result: list = []
    printing = threading.Thread(target=lambda: result.append(backend.print_card(
        prepared(backend, card_records(1)[0], "att-killed"), hooks)))
    printing.start()
    try:
        deadline = time.monotonic() + 30
        while not ippeve.started() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ippeve.started(), "the job never reached the printer"
        cupsd.kill()
        cupsd.start()
    finally:
        printing.join(90)
    [out] = result
    assert out.state == common_pb2.UNKNOWN and "more than once" in out.reason, out
    assert [c[0] for c in hooks.calls] == ["spooled", "fed"]
    jobs = ipp.IppClient(uri).jobs(["job-id", "job-state"], which="all")
    assert len(jobs) == 1 and jobs[0]["job-state"] >= ipp.JOB_CANCELED  # one job, finished
