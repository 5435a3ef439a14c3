"""Two controller servers on one PostgreSQL database, agents spread over both, coordinating
only through the database: no record leased twice, every record printed exactly once."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from cetak.api.v1 import agent_pb2, agent_pb2_grpc, common_pb2
from cetak.controller.ledger import LeasePolicy, Ledger
from cetak.controller.model import Campaign
from cetak.controller.server import create_server
from cetak.controller.store.postgres import PostgresStore
from cetak.controller.verify import verify_store
from tests.controller.conftest import OTHER_SITE, SITE, make_records, receive_blanks

pytestmark = pytest.mark.postgres


async def _agent(port: int, agent_id: str, site: str, leased: list[str],
                 remaining: dict[str, int], done: dict[str, asyncio.Event],
                 spoil_first: bool) -> None:
    """An instant printer: PRINTING then PRINTED on each lease (the first one spoiled, so
    records are requeued and NOTIFY/regrant paths run too); stops when its site is done."""
    import grpc

    out: asyncio.Queue = asyncio.Queue()
    out.put_nowait(agent_pb2.AgentMessage(hello=agent_pb2.Hello(
        agent_id=agent_id, site_code=site,
        printers=[common_pb2.PrinterInfo(printer_id="p1", cards_per_hour=600)])))

    async def requests():
        while (m := await out.get()) is not None:
            yield m

    def send_event(lease, state, reason=""):
        out.put_nowait(agent_pb2.AgentMessage(event=agent_pb2.JobEvent(
            event_id=uuid.uuid4().hex, lease_id=lease.lease_id, epoch=lease.epoch,
            record_id=lease.record_id, state=state, attempt_id=uuid.uuid4().hex,
            printer_id="p1", reason=reason)))

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = agent_pb2_grpc.AgentServiceStub(channel).Connect(requests())
        pending: dict[str, str] = {}   # PRINTED event id -> record id
        spoil = spoil_first
        reader = asyncio.create_task(_read(call, out, send_event, pending, spoil, leased,
                                           remaining, done, site))
        finished = asyncio.create_task(done[site].wait())
        await asyncio.wait([reader, finished], return_when=asyncio.FIRST_COMPLETED)
        finished.cancel()
        if reader.done():
            reader.result()  # an assertion in the reader fails the test here
        reader.cancel()
        out.put_nowait(None)
        call.cancel()


async def _read(call, out, send_event, pending, spoil, leased, remaining, done, site):
    import grpc

    while True:
        m = await call.read()
        assert m is not grpc.aio.EOF, "controller ended the stream"
        kind = m.WhichOneof("body")
        if kind == "welcome":
            out.put_nowait(agent_pb2.AgentMessage(credit=agent_pb2.Credit(slots=3)))
        elif kind == "lease":
            lease = m.lease
            leased.append(lease.record_id)
            send_event(lease, common_pb2.PRINTING)
            if spoil:
                spoil = False
                send_event(lease, common_pb2.SPOILED, "jam")
                out.put_nowait(agent_pb2.AgentMessage(credit=agent_pb2.Credit(slots=3)))
                continue
            event = agent_pb2.JobEvent(
                event_id=uuid.uuid4().hex, lease_id=lease.lease_id, epoch=lease.epoch,
                record_id=lease.record_id, state=common_pb2.PRINTED, printer_id="p1")
            pending[event.event_id] = lease.record_id
            out.put_nowait(agent_pb2.AgentMessage(event=event))
        elif kind == "ack":
            for a in m.ack.events:
                if pending.pop(a.event_id, None) is not None:
                    assert a.status == agent_pb2.APPLIED
                    remaining[site] -= 1
                    if remaining[site] == 0:
                        done[site].set()
            out.put_nowait(agent_pb2.AgentMessage(credit=agent_pb2.Credit(slots=3)))


def test_two_replicas_print_every_record_once(pg_schemas):
    url = pg_schemas.new()
    per_site = 30
    setup = PostgresStore(url)
    ledger = Ledger(setup)
    ledger.create_campaign(Campaign("c1", "replicas", created_ms=1))
    ledger.add_records(make_records("c1", per_site)
                       + make_records("c1", per_site, site=OTHER_SITE), 1)
    receive_blanks(ledger, SITE, per_site + 5)
    receive_blanks(ledger, OTHER_SITE, per_site + 5)

    async def run() -> list[str]:
        policy = LeasePolicy(lease_ms=600_000, skew_margin_ms=1_000)
        servers = [create_server("127.0.0.1:0", url, policy=policy, controller_id=f"r{i}")
                   for i in range(2)]
        for s in servers:
            await s.start()
        leased: list[str] = []
        remaining = {SITE: per_site, OTHER_SITE: per_site}
        done = {SITE: asyncio.Event(), OTHER_SITE: asyncio.Event()}
        try:
            # Four agents per site, alternating between the replicas.
            agents = [_agent(servers[k % 2].port, f"a{k}", site, leased, remaining, done,
                             spoil_first=(k < 2))
                      for k, site in enumerate([SITE, OTHER_SITE] * 4)]
            async with asyncio.timeout(120):
                await asyncio.gather(*agents)
        finally:
            for s in servers:
                await s.stop(grace=0.5)
        return leased

    leased = asyncio.run(run())
    try:
        with setup.transaction():
            assert setup.printed_attempt_counts() == []
            assert setup.inconsistent_records() == []
            counts = {(site, state): n for site, state, n in setup.record_counts("c1")}
            assert counts == {(SITE, "printed"): per_site, (OTHER_SITE, "printed"): per_site}
            attempts = [a for rid in {*leased} for a in setup.attempts_of_record(rid)]
        # A record is leased again only after its spoiled attempt: never two live leases.
        assert len(leased) == len(attempts)
        spoiled = sum(1 for a in attempts if a.state == "spoiled")
        assert spoiled == 2 and len(leased) == 2 * per_site + spoiled
        assert verify_store(setup).ok
    finally:
        setup.close()
