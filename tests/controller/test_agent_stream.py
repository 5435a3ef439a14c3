"""AgentService over real gRPC on loopback: hello, credit, leases, events, acks, resync."""

from __future__ import annotations

import asyncio
import uuid

import grpc

from cetak.api.v1 import agent_pb2, agent_pb2_grpc, common_pb2
from cetak.controller.ledger import LeasePolicy
from cetak.controller.model import Campaign
from cetak.controller.server import create_server

from .conftest import SITE, make_records, receive_blanks


async def _start(tmp_path):
    controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"),
                               policy=LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
    led = controller.ledger
    led.create_campaign(Campaign("c1", "demo", created_ms=1))
    led.add_records(make_records("c1", 6), 1)
    receive_blanks(led, SITE, 6)
    await controller.start()
    return controller


class FakeAgent:
    """Drives one stream by hand: a queue of outgoing messages, a reader of replies."""

    def __init__(self, port: int, agent_id: str = "a1", held=(), channel=None,
                 site: str = SITE, batches: bool = False):
        self.channel = channel or grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        self.out: asyncio.Queue = asyncio.Queue()
        self.out.put_nowait(agent_pb2.AgentMessage(hello=agent_pb2.Hello(
            agent_id=agent_id, site_code=site, held_lease_ids=list(held), batches=batches,
            printers=[common_pb2.PrinterInfo(printer_id="p1", cards_per_hour=120)])))
        self.call = agent_pb2_grpc.AgentServiceStub(self.channel).Connect(self._requests())

    async def _requests(self):
        while True:
            m = await self.out.get()
            if m is None:
                return
            yield m

    def send(self, **kwargs) -> None:
        self.out.put_nowait(agent_pb2.AgentMessage(**kwargs))

    async def expect(self, kind: str, n: int = 1, timeout: float = 10.0) -> list:
        got = []
        async with asyncio.timeout(timeout):
            while len(got) < n:
                m = await self.call.read()
                if m.WhichOneof("body") == kind:
                    got.append(getattr(m, kind))
        return got

    async def close(self) -> None:
        self.out.put_nowait(None)
        self.call.cancel()
        await self.channel.close()


def event(lease, state) -> agent_pb2.JobEvent:
    return agent_pb2.JobEvent(event_id=uuid.uuid4().hex, lease_id=lease.lease_id,
                              epoch=lease.epoch, record_id=lease.record_id, state=state,
                              attempt_id="att-" + lease.lease_id, printer_id="p1")


def test_stream_cycle(tmp_path):
    async def run():
        controller = await _start(tmp_path)
        try:
            agent = FakeAgent(controller.port)
            (welcome,) = await agent.expect("welcome")
            assert welcome.window >= 2 and welcome.skew_margin_ms == 1_000
            agent.send(credit=agent_pb2.Credit(slots=2))
            leases = await agent.expect("lease", 2)
            assert all(lease.record.nik for lease in leases)
            assert all(lease.expires_at_ms > welcome.server_time_ms for lease in leases)
            e1 = event(leases[0], common_pb2.PRINTING)
            e2 = event(leases[0], common_pb2.PRINTED)
            agent.send(event=e1)
            agent.send(event=e2)
            agent.send(event=e2)  # a replay
            acks = []
            while len(acks) < 3:
                (ack,) = await agent.expect("ack")
                acks += list(ack.events)
            assert [a.status for a in acks] == [agent_pb2.APPLIED, agent_pb2.APPLIED,
                                                agent_pb2.DUPLICATE]
            await agent.close()

            # Reconnect holding the finished lease and a stranger: both are revoked, and the
            # second lease, which the agent lacks, is sent again with its epoch.
            again = FakeAgent(controller.port, held=[leases[0].lease_id, "stranger"])
            await again.expect("welcome")
            (revoke,) = await again.expect("lease_revoke")
            assert sorted(revoke.lease_ids) == sorted([leases[0].lease_id, "stranger"])
            (resent,) = await again.expect("lease")
            assert resent.lease_id == leases[1].lease_id and resent.epoch == leases[1].epoch
            await again.close()
        finally:
            await controller.stop()

    asyncio.run(run())


def test_first_message_must_be_hello(tmp_path):
    async def run():
        controller = await _start(tmp_path)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}") as channel:
                async def requests():
                    yield agent_pb2.AgentMessage(credit=agent_pb2.Credit(slots=1))

                call = agent_pb2_grpc.AgentServiceStub(channel).Connect(requests())
                try:
                    await call.read()
                    raise AssertionError("the controller accepted a stream without hello")
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.FAILED_PRECONDITION
        finally:
            await controller.stop()

    asyncio.run(run())


def test_operator_action_sent_again_is_audited_once(tmp_path):
    """An agent whose ack was lost sends the action again: acked DUPLICATE, one audit entry."""
    async def run():
        controller = await _start(tmp_path)
        try:
            agent = FakeAgent(controller.port)
            await agent.expect("welcome")
            action = agent_pb2.OperatorAction(action_id="act-1", action="jam_cleared",
                                              printer_id="p1", occurred_at_ms=5)
            agent.send(operator_action=action)
            agent.send(operator_action=action)
            acks = []
            while len(acks) < 2:
                (ack,) = await agent.expect("ack")
                acks += list(ack.events)
            assert [(a.event_id, a.status) for a in acks] == [
                ("act-1", agent_pb2.APPLIED), ("act-1", agent_pb2.DUPLICATE)]
            await agent.close()
            entries = controller.ledger.store.connection.execute(
                "SELECT COUNT(*) FROM audit_log WHERE action='operator.jam_cleared'").fetchone()
            assert entries == (1,)
        finally:
            await controller.stop()

    asyncio.run(run())


def test_batches_of_leases_and_events(tmp_path):
    """An agent whose Hello says batches gets leases granted together in one LeaseBatch and
    may send its events in one EventBatch: same acks, same order, as one by one."""
    async def run():
        controller = await _start(tmp_path)
        try:
            agent = FakeAgent(controller.port, batches=True)
            (welcome,) = await agent.expect("welcome")
            assert welcome.batches  # this controller reads EventBatch
            agent.send(credit=agent_pb2.Credit(slots=3))
            (batch,) = await agent.expect("leases")
            leases = list(batch.leases)
            assert len(leases) == 3 and all(lease.record.nik for lease in leases)
            events = [event(lease, state) for lease in leases
                      for state in (common_pb2.PRINTING, common_pb2.PRINTED)]
            agent.send(events=agent_pb2.EventBatch(events=events))
            agent.send(events=agent_pb2.EventBatch(events=events[-2:]))  # a replay
            acks = []
            while len(acks) < 8:
                (ack,) = await agent.expect("ack")
                acks += list(ack.events)
            assert [a.event_id for a in acks] == [e.event_id for e in events + events[-2:]]
            assert [a.status for a in acks] == [agent_pb2.APPLIED] * 6 + \
                [agent_pb2.DUPLICATE] * 2
            await agent.close()
            printed = [v for v in (controller.ledger.store.get_record(lease.record_id)
                                   for lease in leases) if v.state == "printed"]
            assert len(printed) == 3
        finally:
            await controller.stop()

    asyncio.run(run())


def test_lease_batches_stay_under_the_size_bound(tmp_path, monkeypatch):
    """Leases carry photos: a grant is split over several LeaseBatch messages by size."""
    from cetak.controller import agent_servicer

    monkeypatch.setattr(agent_servicer, "LEASE_BATCH_BYTES", 1)  # one lease per message

    async def run():
        controller = await _start(tmp_path)
        try:
            agent = FakeAgent(controller.port, batches=True)
            await agent.expect("welcome")
            agent.send(credit=agent_pb2.Credit(slots=3))
            batches = await agent.expect("leases", 3)
            assert [len(b.leases) for b in batches] == [1, 1, 1]
            assert len({b.leases[0].lease_id for b in batches}) == 3
            await agent.close()
        finally:
            await controller.stop()

    asyncio.run(run())


def test_window_update_follows_blanks_delivered_after_connect(tmp_path):
    """The agent connected while its site had no blanks (Welcome's window 0); once they are
    received, the controller tells it the new window, and grants that much credit."""
    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    async def run():
        controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"),
                                   policy=LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
        led = controller.ledger
        led.create_campaign(Campaign("c1", "demo", created_ms=1))
        led.add_records(make_records("c1", 6), 1)
        await controller.start()
        try:
            agent = FakeAgent(controller.port)
            (welcome,) = await agent.expect("welcome")
            assert welcome.window == 0
            async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}") as channel:
                await admin_pb2_grpc.AdminServiceStub(channel).RecordInventory(
                    admin_pb2.InventoryMovement(site_code=SITE, item="blank", kind="receive",
                                                quantity=6, reference="DO-1"), timeout=10)
            # 120 cards an hour for the default 4 hours, capped by the 6 blanks.
            (update,) = await agent.expect("window_update", timeout=30)
            assert update.window == 6
            agent.send(credit=agent_pb2.Credit(slots=update.window))
            leases = await agent.expect("lease", 6)
            assert len({lease.record_id for lease in leases}) == 6
            await agent.close()
        finally:
            await controller.stop()

    asyncio.run(run())
