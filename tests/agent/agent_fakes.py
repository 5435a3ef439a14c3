"""Test doubles for the agent: a fake controller (real grpc.aio on loopback) and a fake printer.

The fake controller implements just enough of AgentService (docs/architecture.md, "Agent <->
controller protocol") to exercise the agent: Welcome, credit-limited leasing within a window,
acks for every event, lease returns, revokes, and going dark (streams aborted, new ones refused).
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

import grpc

from cetak.agent.backend import CardOutcome, PreparedCard
from cetak.api.v1 import agent_pb2, agent_pb2_grpc, common_pb2

NAME = "SITI AMINAH BINTI ABDULLAH"
NIK = "3276014101900001"


def make_record(i: int) -> common_pb2.CardRecord:
    return common_pb2.CardRecord(
        record_id=f"rec-{i}", nik=f"{NIK[:-4]}{i:04d}", nama=f"{NAME} {i:03d}",
        tempat_lahir="DEPOK", tanggal_lahir="1990-01-01", alamat="JL. MARGONDA RAYA NO. 1",
        foto=b"\xff\xd8PHOTO-" + NAME.encode() + b"\xff\xd9")


def make_lease(i: int, expires_at_ms: int, epoch: int = 1) -> agent_pb2.Lease:
    return agent_pb2.Lease(lease_id=f"lease-{i}", campaign_id="camp-1", record_id=f"rec-{i}",
                           epoch=epoch, expires_at_ms=expires_at_ms, record=make_record(i))


def write_key_file(path: Path) -> Path:
    path.write_bytes(base64.b64encode(os.urandom(32)) + b"\n")
    path.chmod(0o600)
    return path


class FakeController(agent_pb2_grpc.AgentServiceServicer):
    """Serves on 127.0.0.1:0 in the running event loop; inspect its lists from tests."""

    def __init__(self, leases: list[agent_pb2.Lease] | None = None, *, window: int = 4,
                 skew_margin_ms: int = 1000, server_time_ms: Callable[[], int] | None = None,
                 ack: bool = True, batches: bool = False) -> None:
        self.available: deque[agent_pb2.Lease] = deque(leases or [])
        self.batches = batches                # Welcome says batches; LeaseBatch when asked
        self.event_batches = 0                # EventBatch messages received
        self.lease_batches = 0                # LeaseBatch messages sent
        self.window = window
        self.skew_margin_ms = skew_margin_ms
        self.server_time_ms = server_time_ms or (lambda: time.time_ns() // 1_000_000)
        self.ack = ack                        # False: receive events but never acknowledge
        self.reachable = True
        self.hellos: list[agent_pb2.Hello] = []
        self.events: list[agent_pb2.JobEvent] = []
        self.returned: list[str] = []
        self.outstanding: dict[str, agent_pb2.Lease] = {}
        self.revoke_on_hello: list[str] = []
        self._streams: list[asyncio.Queue] = []
        self.server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        self.server = grpc.aio.server()
        agent_pb2_grpc.add_AgentServiceServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(grace=None)

    def go_dark(self) -> None:
        """Abort every open stream and refuse new ones (an outage)."""
        self.reachable = False
        for q in self._streams:
            q.put_nowait("abort")

    def come_back(self) -> None:
        self.reachable = True

    def states(self, lease_id: str) -> list[int]:
        return [e.state for e in self.events if e.lease_id == lease_id]

    async def Connect(self, request_iterator, context):  # noqa: N802 (gRPC method name)
        if not self.reachable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "controller down (test)")
        out: asyncio.Queue = asyncio.Queue()
        self._streams.append(out)
        credit = 0

        def grant() -> None:
            nonlocal credit
            granted = []
            while credit > 0 and self.available and len(self.outstanding) < self.window:
                lease = self.available.popleft()
                self.outstanding[lease.lease_id] = lease
                credit -= 1
                granted.append(lease)
            if self.batches and self.hellos[-1].batches and len(granted) > 1:
                self.lease_batches += 1
                out.put_nowait(agent_pb2.ControllerMessage(
                    leases=agent_pb2.LeaseBatch(leases=granted)))
                return
            for lease in granted:
                out.put_nowait(agent_pb2.ControllerMessage(lease=lease))

        async def read() -> None:
            nonlocal credit
            try:
                async for msg in request_iterator:
                    kind = msg.WhichOneof("body")
                    if kind == "hello":
                        self.hellos.append(msg.hello)
                        out.put_nowait(agent_pb2.ControllerMessage(welcome=agent_pb2.Welcome(
                            server_time_ms=self.server_time_ms(),
                            skew_margin_ms=self.skew_margin_ms, lease_duration_ms=60_000,
                            window=self.window, controller_id="fake",
                            batches=self.batches)))
                        if self.revoke_on_hello:
                            out.put_nowait(agent_pb2.ControllerMessage(
                                lease_revoke=agent_pb2.LeaseRevoke(
                                    lease_ids=self.revoke_on_hello, reason="test")))
                    elif kind == "credit":
                        credit = msg.credit.slots
                        grant()
                    elif kind in ("event", "events"):
                        if kind == "events":
                            self.event_batches += 1
                        for e in [msg.event] if kind == "event" else msg.events.events:
                            self.events.append(e)
                            if e.state in (common_pb2.PRINTED, common_pb2.SPOILED,
                                           common_pb2.FAILED_BEFORE_CARD, common_pb2.UNKNOWN):
                                self.outstanding.pop(e.lease_id, None)
                            if self.ack:
                                out.put_nowait(agent_pb2.ControllerMessage(ack=agent_pb2.Ack(
                                    events=[agent_pb2.EventAck(event_id=e.event_id,
                                                               status=agent_pb2.APPLIED)])))
                        grant()
                    elif kind == "lease_return":
                        for lease_id in msg.lease_return.lease_ids:
                            self.returned.append(lease_id)
                            self.outstanding.pop(lease_id, None)
                    elif kind == "heartbeat":
                        out.put_nowait(agent_pb2.ControllerMessage(
                            heartbeat=agent_pb2.Heartbeat(time_ms=self.server_time_ms())))
            finally:
                out.put_nowait("end")

        reader = asyncio.create_task(read())
        try:
            while True:
                item = await out.get()
                if item == "abort":
                    await context.abort(grpc.StatusCode.UNAVAILABLE, "controller down (test)")
                if item == "end":
                    return
                yield item
        finally:
            reader.cancel()
            self._streams.remove(out)


class ThreadedController:
    """A FakeController running in its own thread and event loop (for subprocess tests)."""

    def __init__(self, controller: FakeController) -> None:
        self.controller = controller
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeController:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.controller.start(), self.loop).result(10)
        return self.controller

    def call(self, fn: Callable[[], object]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.controller.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class FakePrinter:
    """A PrinterBackend double: records what it prepared and printed; hooks let tests block."""

    def __init__(self, printer_id: str = "p1", *, outcome: int = common_pb2.PRINTED,
                 before_print: Callable[[str], None] | None = None,
                 after_fed: Callable[[str], None] | None = None,
                 fail_prepare: set[str] | None = None) -> None:
        self.printer_id = printer_id
        self.outcome = outcome
        self.before_print = before_print
        self.after_fed = after_fed
        self.fail_prepare = fail_prepare or set()
        self.prepared: list[str] = []
        self.printed: list[str] = []
        self.closed = False
        self._lock = threading.Lock()

    def info(self) -> common_pb2.PrinterInfo:
        return common_pb2.PrinterInfo(printer_id=self.printer_id, dialect="evolis",
                                      model="fake", transport="virtual", cards_per_hour=150)

    def prepare(self, record: common_pb2.CardRecord) -> PreparedCard:
        with self._lock:
            self.prepared.append(record.record_id)
        if record.record_id in self.fail_prepare:
            raise ValueError(f"cannot render {record.nama}")  # message quotes personal data
        return PreparedCard(job=record.record_id.encode(), chip_data=None)

    def print_card(self, card: PreparedCard, on_fed: Callable[[str], None]) -> CardOutcome:
        record_id = card.job.decode()
        if self.before_print:
            self.before_print(record_id)
        serial = f"BLK-{uuid.uuid4().hex[:8]}"
        on_fed(serial)
        if self.after_fed:
            self.after_fed(record_id)
        with self._lock:
            self.printed.append(record_id)
        return CardOutcome(self.outcome, "", serial)

    def close(self) -> None:
        self.closed = True


def wait_until(predicate: Callable[[], object], timeout: float = 10.0,
               what: str = "condition") -> None:
    """Poll `predicate` (from a thread other than the one making it true)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def async_wait_until(predicate: Callable[[], object], timeout: float = 10.0,
                           what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")
