"""Printer workers: pipelining, outcomes journaled, expiry checked when a card would start."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from agent_fakes import NAME, FakePrinter, async_wait_until, make_lease

from cetak.agent.backend import CardOutcome
from cetak.agent.clock import ControllerClock, FakeLocalTime
from cetak.agent.journal import Journal
from cetak.agent.leases import LeaseQueue
from cetak.agent.pipeline import PrinterWorker
from cetak.agent.sealing import Sealer
from cetak.api.v1 import common_pb2

MARGIN = 1_000


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.journal = Journal(tmp_path / "journal.sqlite", Sealer(os.urandom(32)))
        self.time = FakeLocalTime()
        self.clock = ControllerClock(self.time, skew_margin_ms=MARGIN)
        self.queue = LeaseQueue()
        self.pool = ThreadPoolExecutor(2)
        self.wakes = 0

    def add(self, i: int, ttl_ms: int = 60_000) -> None:
        self.journal.add_lease(make_lease(i, expires_at_ms=self.time.ms + ttl_ms))
        self.queue.put(self.journal.lease(f"lease-{i}"))

    def wake(self) -> None:
        self.wakes += 1

    def events(self) -> list[tuple[str, str]]:
        return [(e.lease_id, common_pb2.AttemptState.Name(e.state))
                for _, e in self.journal.pending_events()]

    async def run(self, printer: FakePrinter, until, *, retry_s: float = 5.0) -> PrinterWorker:
        worker = PrinterWorker(printer, journal=self.journal, clock=self.clock, queue=self.queue,
                               prepare_pool=self.pool, wake=self.wake, retry_s=retry_s)
        task = asyncio.create_task(worker.run())
        try:
            await async_wait_until(until, what="the worker")
        finally:
            worker.stop()
            await asyncio.wait_for(task, 10)
        return worker

    def close(self) -> None:
        self.pool.shutdown()
        self.journal.close()


@pytest.fixture
def rig(tmp_path: Path):
    r = Rig(tmp_path)
    yield r
    r.close()


def test_next_card_is_prepared_while_current_prints(rig: Rig) -> None:
    for i in range(3):
        rig.add(i)
    seen_during_print: dict[str, list[str]] = {}

    def before_print(record_id: str) -> None:
        # Block this card's print until the following card has been prepared; without
        # pipelining that never happens and the wait times out.
        nxt = f"rec-{int(record_id[4:]) + 1}"
        if nxt != "rec-3":
            ok = threading.Event()
            for _ in range(500):
                if nxt in printer.prepared:
                    ok.set()
                    break
                ok.wait(0.01)
            seen_during_print[record_id] = list(printer.prepared)

    printer = FakePrinter(before_print=before_print)
    worker = asyncio.run(rig.run(printer, lambda: len(printer.printed) == 3))
    assert printer.printed == ["rec-0", "rec-1", "rec-2"]
    assert "rec-1" in seen_during_print["rec-0"]
    assert "rec-2" in seen_during_print["rec-1"]
    assert rig.events() == [(f"lease-{i}", s) for i in range(3) for s in ("PRINTING", "PRINTED")]
    assert worker.stats.cards_started == 3 and worker.stats.outcomes == {"PRINTED": 3}
    assert worker.stats.busy_s > 0
    assert rig.journal.outstanding_count() == 0


def test_render_failure_fails_before_card_without_personal_data_in_logs(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.add(0)
    rig.add(1)
    printer = FakePrinter(fail_prepare={"rec-0"})
    with caplog.at_level(logging.DEBUG):
        asyncio.run(rig.run(printer, lambda: printer.printed == ["rec-1"]))
    assert rig.events()[0] == ("lease-0", "FAILED_BEFORE_CARD")
    assert rig.journal.pending_events()[0][1].reason == "render failed: ValueError"
    assert rig.journal.lease("lease-0").state == "done"
    assert NAME not in caplog.text and "rec-0" not in printer.printed


def test_driver_exception_is_unknown(rig: Rig) -> None:
    rig.add(0)

    def explode(record_id: str) -> None:
        raise OSError("usb gone")

    printer = FakePrinter(after_fed=explode)
    asyncio.run(rig.run(printer, lambda: rig.journal.lease("lease-0").state == "done"))
    assert rig.events() == [("lease-0", "PRINTING"), ("lease-0", "UNKNOWN")]


def test_failed_before_card_after_feed_becomes_unknown(rig: Rig) -> None:
    rig.add(0)
    printer = FakePrinter(outcome=common_pb2.FAILED_BEFORE_CARD)
    asyncio.run(rig.run(printer, lambda: rig.journal.lease("lease-0").state == "done"))
    assert rig.events() == [("lease-0", "PRINTING"), ("lease-0", "UNKNOWN")]


def test_driver_failure_pauses_the_printer(rig: Rig) -> None:
    rig.add(0)
    rig.add(1)

    class Offline(FakePrinter):
        def print_card(self, card, on_fed):
            self.printed.append(card.job.decode())
            return CardOutcome(common_pb2.FAILED_BEFORE_CARD, "printer offline")

    printer = Offline()
    # With a long retry pause, the second lease is not burnt while the printer is offline.
    asyncio.run(rig.run(printer, lambda: rig.journal.lease("lease-0").state == "done",
                        retry_s=600))
    assert printer.printed == ["rec-0"]
    assert rig.journal.lease("lease-1").state == "held"


def test_lease_past_expiry_minus_margin_is_never_started(rig: Rig) -> None:
    rig.add(0, ttl_ms=60_000)
    rig.add(1, ttl_ms=30_000)
    rig.add(2, ttl_ms=MARGIN)   # already inside the margin: not even prepared
    rig.add(3, ttl_ms=120_000)

    def before_print(record_id: str) -> None:
        if record_id == "rec-0":
            # While card 0 prints, time passes beyond lease 1's expiry minus the margin;
            # lease 1 is already prepared (pipelining) but must not start.
            for _ in range(500):
                if "rec-1" in printer.prepared:
                    break
                threading.Event().wait(0.01)
            rig.time.advance(30_000 - MARGIN)

    printer = FakePrinter(before_print=before_print)
    asyncio.run(rig.run(printer, lambda: printer.printed == ["rec-0", "rec-3"]))
    assert "rec-1" in printer.prepared and "rec-2" not in printer.prepared
    assert {x.lease_id for x in rig.journal.leases("returning")} == {"lease-1", "lease-2"}
    assert not rig.journal.open_attempts()
    assert {lease for lease, _ in rig.events()} == {"lease-0", "lease-3"}


def test_revoked_lease_is_not_started(rig: Rig) -> None:
    rig.add(0)
    rig.add(1)
    rig.add(2)

    def before_print(record_id: str) -> None:
        if record_id == "rec-0":
            assert rig.journal.drop_lease("lease-1")

    printer = FakePrinter(before_print=before_print)
    asyncio.run(rig.run(printer, lambda: printer.printed == ["rec-0", "rec-2"]))
    assert rig.journal.lease("lease-1") is None
