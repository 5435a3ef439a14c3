"""The agent against a fake controller over real gRPC on loopback: leasing, acks, replay after
reconnect, outages and lease expiry, restart recovery, revokes, graceful stop."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import grpc
import pytest
from agent_fakes import FakeController, FakePrinter, async_wait_until, make_lease

from cetak.agent.backoff import Backoff
from cetak.agent.clock import ControllerClock, FakeLocalTime
from cetak.agent.config import AgentConfig, parse_config
from cetak.agent.journal import Journal
from cetak.agent.pipeline import make_event
from cetak.agent.runner import Agent
from cetak.agent.sealing import Sealer
from cetak.api.v1 import common_pb2

MARGIN = 1_000
TTL = 60_000


def make_config(tmp_path: Path, port: int, **tuning: float) -> AgentConfig:
    base = {"heartbeat_s": 0.5, "silence_s": 5, "reconnect_initial_s": 0.02,
            "reconnect_max_s": 0.1, "shutdown_flush_s": 5, "connect_timeout_s": 5}
    return parse_config({
        "agent_id": "agent-1", "site_code": "32.76.01.1001",
        "controller": {"address": f"127.0.0.1:{port}", "insecure": True},
        "journal": {"path": "journal.sqlite", "key_env": "UNUSED"},
        "printers": [{"id": "p1", "transport": "virtual"}],
        "tuning": base | tuning,
    }, base_dir=tmp_path)


class Gate:
    """Blocks a fake print of chosen records until the test opens it."""

    def __init__(self, *record_ids: str) -> None:
        self.events = {r: threading.Event() for r in record_ids}
        self.reached = {r: threading.Event() for r in record_ids}

    def __call__(self, record_id: str) -> None:
        if record_id in self.events:
            self.reached[record_id].set()
            assert self.events[record_id].wait(20), f"gate {record_id} never opened"

    def open(self, record_id: str) -> None:
        self.events[record_id].set()

    async def reached_by(self, record_id: str) -> None:
        await async_wait_until(self.reached[record_id].is_set, what=f"print of {record_id}")


class Harness:
    def __init__(self, tmp_path: Path, controller: FakeController, printer: FakePrinter,
                 clock: ControllerClock | None = None, **tuning: float) -> None:
        self.tuning = tuning
        self.tmp_path = tmp_path
        self.controller = controller
        self.printer = printer
        self.clock = clock
        self.key = os.urandom(32)
        self.agent: Agent | None = None
        self.task: asyncio.Task | None = None

    def journal(self) -> Journal:
        return Journal(self.tmp_path / "journal.sqlite", Sealer(self.key))

    async def start(self) -> Agent:
        port = await self.controller.start() if self.controller.port == 0 else \
            self.controller.port
        config = make_config(self.tmp_path, port, **self.tuning)
        channel = lambda: grpc.aio.insecure_channel(config.controller.address)  # noqa: E731
        self.agent = Agent(config, self.journal(), [self.printer], channel, clock=self.clock,
                           backoff=Backoff(0.02, 0.1))
        self.task = asyncio.create_task(self.agent.run())
        return self.agent

    async def stop(self) -> int:
        assert self.agent is not None and self.task is not None
        self.agent.request_stop()
        code = await asyncio.wait_for(self.task, 20)
        await self.controller.stop()
        return code


def run(coro) -> None:
    asyncio.run(asyncio.wait_for(coro, 60))


def test_prints_leases_and_purges_after_ack(tmp_path: Path) -> None:
    async def scenario() -> None:
        now = FakeLocalTime()
        controller = FakeController([make_lease(i, now.ms + TTL) for i in range(6)], window=4)
        h = Harness(tmp_path, controller, FakePrinter())
        agent = await h.start()
        await async_wait_until(lambda: len(h.printer.printed) == 6, what="6 cards")
        await async_wait_until(lambda: agent.journal.counts()["events"] == 0, what="acks")
        assert agent.journal.counts() == {"held": 0, "started": 0, "done": 0, "returning": 0,
                                          "events": 0}
        assert await h.stop() == 0
        hello = controller.hellos[0]
        assert (hello.agent_id, hello.site_code, hello.window_hours) == \
            ("agent-1", "32.76.01.1001", 4.0)
        assert [p.printer_id for p in hello.printers] == ["p1"]
        for i in range(6):
            assert controller.states(f"lease-{i}") == [common_pb2.PRINTING, common_pb2.PRINTED]
        assert controller.returned == []

    run(scenario())


@pytest.mark.parametrize("batches", [False, True])
def test_replays_unacked_events_after_reconnect(tmp_path: Path, batches: bool) -> None:
    async def scenario() -> None:
        now = FakeLocalTime()
        controller = FakeController([make_lease(i, now.ms + TTL) for i in range(2)],
                                    window=2, ack=False, batches=batches)
        h = Harness(tmp_path, controller, FakePrinter())
        agent = await h.start()
        await async_wait_until(lambda: len(controller.events) == 4, what="4 events")
        first = [e.event_id for e in controller.events]
        assert agent.journal.pending_event_count() == 4  # kept until acknowledged
        controller.go_dark()
        await async_wait_until(lambda: not agent.connected, what="disconnect")
        controller.ack = True
        controller.come_back()
        await async_wait_until(lambda: agent.journal.pending_event_count() == 0, what="replay")
        replayed = [e.event_id for e in controller.events[4:]]
        assert replayed == first  # every unacked event again, in journal order
        assert agent.connections >= 2
        assert sorted(controller.hellos[-1].held_lease_ids) == ["lease-0", "lease-1"]
        assert agent.journal.lease("lease-0") is None  # purged once acknowledged
        assert await h.stop() == 0
        assert h.printer.printed == ["rec-0", "rec-1"]  # replay never reprints
        # With a controller that reads batches, the replay of four events is one message,
        # and the two leases granted at once came as one.
        assert (controller.event_batches >= 1) == batches
        assert controller.lease_batches == (1 if batches else 0)

    run(scenario())


def test_outage_prints_until_expiry_minus_margin_then_returns_leases(tmp_path: Path) -> None:
    async def scenario() -> None:
        now = FakeLocalTime()
        leases = [make_lease(0, now.ms + TTL), make_lease(1, now.ms + TTL),
                  make_lease(2, now.ms + TTL // 2), make_lease(3, now.ms + TTL)]
        controller = FakeController(leases, window=4, skew_margin_ms=MARGIN,
                                    server_time_ms=now)
        gate = Gate("rec-0", "rec-1")
        h = Harness(tmp_path, controller, FakePrinter(before_print=gate),
                    clock=ControllerClock(now))
        agent = await h.start()
        await gate.reached_by("rec-0")
        await async_wait_until(lambda: agent.journal.outstanding_count() == 4, what="window")
        controller.go_dark()
        await async_wait_until(lambda: not agent.connected, what="disconnect")
        gate.open("rec-0")
        # Still printing while the controller is unreachable: lease 1 starts in time.
        await gate.reached_by("rec-1")
        assert not agent.connected
        # Time passes beyond every remaining lease's expiry minus the margin.
        now.advance(TTL - MARGIN)
        gate.open("rec-1")
        await async_wait_until(lambda: len(agent.journal.leases("returning")) == 2,
                               what="expired leases set aside")
        assert h.printer.printed == ["rec-0", "rec-1"]
        assert not agent.journal.open_attempts()
        controller.come_back()
        await async_wait_until(lambda: sorted(controller.returned) == ["lease-2", "lease-3"],
                               what="lease returns")
        await async_wait_until(lambda: agent.journal.pending_event_count() == 0, what="acks")
        assert controller.states("lease-1") == [common_pb2.PRINTING, common_pb2.PRINTED]
        assert controller.states("lease-2") == controller.states("lease-3") == []
        assert "lease-2" not in controller.hellos[-1].held_lease_ids
        assert await h.stop() == 0
        assert h.printer.printed == ["rec-0", "rec-1"]

    run(scenario())


def test_restart_reports_unknown_for_interrupted_attempt(tmp_path: Path) -> None:
    async def scenario() -> None:
        now = FakeLocalTime()
        controller = FakeController([], window=4, server_time_ms=now)
        h = Harness(tmp_path, controller, FakePrinter(), clock=ControllerClock(now))
        j = h.journal()  # what a crashed earlier run left behind
        for i in (7, 8):
            j.add_lease(make_lease(i, now.ms + TTL))
        assert j.begin_attempt("lease-7", "att-7", "p1", now.ms)
        j.record_event(make_event(j.lease("lease-7"), "att-7", common_pb2.PRINTING, "p1",
                                  blank_serial="B-7", at_ms=now.ms))
        j.close()
        agent = await h.start()
        await async_wait_until(lambda: h.printer.printed == ["rec-8"], what="held lease printed")
        await async_wait_until(lambda: agent.journal.pending_event_count() == 0, what="acks")
        assert await h.stop() == 0
        assert controller.states("lease-7") == [common_pb2.PRINTING, common_pb2.UNKNOWN]
        unknown = controller.events[[e.lease_id for e in controller.events].index("lease-7") + 1]
        assert (unknown.attempt_id, unknown.blank_serial) == ("att-7", "B-7")
        assert "rec-7" not in h.printer.printed and "rec-7" not in h.printer.prepared
        assert sorted(controller.hellos[0].held_lease_ids) == ["lease-7", "lease-8"]

    run(scenario())


def test_revoked_leases_are_dropped_unstarted(tmp_path: Path) -> None:
    async def scenario() -> None:
        now = FakeLocalTime()
        controller = FakeController([], window=4, server_time_ms=now)
        controller.revoke_on_hello = ["lease-5", "lease-4"]
        gate = Gate("rec-4")
        h = Harness(tmp_path, controller, FakePrinter(before_print=gate),
                    clock=ControllerClock(now))
        j = h.journal()
        for i in (4, 5, 6):
            j.add_lease(make_lease(i, now.ms + TTL))
        j.close()
        agent = await h.start()
        await gate.reached_by("rec-4")  # lease 4 started before the controller answered
        await async_wait_until(lambda: agent.journal.lease("lease-5") is None, what="revoke")
        gate.open("rec-4")
        await async_wait_until(lambda: h.printer.printed == ["rec-4", "rec-6"], what="prints")
        await async_wait_until(lambda: agent.journal.pending_event_count() == 0, what="acks")
        assert await h.stop() == 0
        assert controller.states("lease-4")[-1] == common_pb2.PRINTED  # started: reported

    run(scenario())


def test_stop_finishes_card_and_returns_unstarted_leases(tmp_path: Path) -> None:
    async def scenario() -> None:
        now = FakeLocalTime()
        controller = FakeController([make_lease(i, now.ms + TTL) for i in range(4)], window=4)
        gate = Gate("rec-0")
        h = Harness(tmp_path, controller, FakePrinter(before_print=gate))
        agent = await h.start()
        await gate.reached_by("rec-0")
        await async_wait_until(lambda: agent.journal.outstanding_count() == 4, what="window")
        agent.request_stop()
        await asyncio.sleep(0.05)
        gate.open("rec-0")
        assert await asyncio.wait_for(h.task, 20) == 0
        await controller.stop()
        assert h.printer.printed == ["rec-0"]
        assert controller.states("lease-0") == [common_pb2.PRINTING, common_pb2.PRINTED]
        assert sorted(controller.returned) == ["lease-1", "lease-2", "lease-3"]
        j = h.journal()
        assert j.counts() == {"held": 0, "started": 0, "done": 0, "returning": 0, "events": 0}
        j.close()

    run(scenario())


def test_stop_while_disconnected_keeps_leases_for_next_start(tmp_path: Path) -> None:
    async def scenario() -> None:
        now = FakeLocalTime()
        controller = FakeController([make_lease(i, now.ms + TTL) for i in range(3)], window=3)
        gate = Gate("rec-0")
        h = Harness(tmp_path, controller, FakePrinter(before_print=gate), shutdown_flush_s=0.2)
        h_agent = await h.start()
        await gate.reached_by("rec-0")
        await async_wait_until(lambda: h_agent.journal.outstanding_count() == 3, what="window")
        controller.go_dark()
        await async_wait_until(lambda: not h_agent.connected, what="disconnect")
        h_agent.request_stop()
        gate.open("rec-0")
        assert await asyncio.wait_for(h.task, 20) == 0
        await controller.stop()
        j = h.journal()
        assert sorted(x.lease_id for x in j.leases("held")) == ["lease-1", "lease-2"]
        assert [common_pb2.AttemptState.Name(e.state) for _, e in j.pending_events()] == \
            ["PRINTING", "PRINTED"]  # sent on the next start
        j.close()

    run(scenario())
