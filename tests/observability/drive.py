"""Activity for a live controller: a campaign through the admin API and one agent stream
that reports every kind of outcome (shared by the scrape and the Prometheus tests)."""

from __future__ import annotations

import asyncio
import csv
import time
import uuid

import grpc
import pytest

from cetak.api.v1 import admin_pb2, admin_pb2_grpc, agent_pb2, agent_pb2_grpc, common_pb2
from cetak.prr.synthetic import write_prr

from .conftest import scrape

SITE = "32.76.01.1006"
CAMPAIGN = "pemilu"


def prepare(tmp, port: int) -> list[dict]:
    from cetak.controller.campaign_cli import import_chunks
    from cetak.prr.bundle import bundle_prr

    prr = write_prr(tmp / "prr", 8, sites=[SITE], seed=11)
    with prr.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        stub.CreateCampaign(admin_pb2.CreateCampaignRequest(campaign=admin_pb2.Campaign(
            campaign_id=CAMPAIGN, name="Pemilu", deadline_ms=int((time.time() + 86400) * 1000))),
            timeout=30)
        stub.UpsertSite(admin_pb2.Site(site_code=SITE, name="Mekarjaya"), timeout=30)
        for item, n in (("blank", 20), ("ribbon", 2)):
            stub.RecordInventory(admin_pb2.InventoryMovement(
                site_code=SITE, item=item, kind="receive", quantity=n, reference="test"),
                timeout=30)
        result = stub.ImportRecords(import_chunks(CAMPAIGN, bundle_prr(prr, tmp / "up.zip"),
                                                  False), timeout=120)
        assert result.imported == 8 and result.invalid == 0
        stub.GetStatus(admin_pb2.StatusRequest(campaign_id=CAMPAIGN), timeout=30)
        with pytest.raises(grpc.RpcError):  # a refused call is counted with its code
            stub.GetStatus(admin_pb2.StatusRequest(campaign_id="nope"), timeout=30)
    return rows


async def drive_agent(port: int, rows: list[dict], metrics_port: int) -> str:
    """Drive one agent stream; returns a scrape taken while it is still connected."""
    out: asyncio.Queue = asyncio.Queue()

    async def requests():
        while (m := await out.get()) is not None:
            yield m

    def send(**kw) -> None:
        out.put_nowait(agent_pb2.AgentMessage(**kw))

    def event(lease, state, reason="", epoch=None) -> agent_pb2.JobEvent:
        return agent_pb2.JobEvent(event_id=uuid.uuid4().hex, lease_id=lease.lease_id,
                                  epoch=lease.epoch if epoch is None else epoch,
                                  record_id=lease.record_id, state=state, reason=reason,
                                  attempt_id=uuid.uuid4().hex, printer_id="p1")

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        send(hello=agent_pb2.Hello(agent_id="site-3276011006", site_code=SITE, printers=[
            common_pb2.PrinterInfo(printer_id="p1", cards_per_hour=120, dialect="evolis")]))
        call = agent_pb2_grpc.AgentServiceStub(channel).Connect(requests())

        async def expect(kind: str, n: int) -> list:
            got = []
            async with asyncio.timeout(30):
                while len(got) < n:
                    m = await call.read()
                    if m.WhichOneof("body") == kind:
                        got.append(getattr(m, kind))
            return got

        await expect("welcome", 1)
        send(credit=agent_pb2.Credit(slots=5))
        leases = await expect("lease", 5)
        # A reason quoting personal data must still end up as a bounded label.
        hostile = f"printer said {rows[0]['nik']} {rows[0]['nama']}"
        events = [event(leases[0], common_pb2.PRINTING), event(leases[0], common_pb2.PRINTED),
                  event(leases[1], common_pb2.SPOILED, "CARD JAM"),
                  event(leases[2], common_pb2.UNKNOWN, "agent stopped during the attempt"),
                  event(leases[3], common_pb2.FAILED_BEFORE_CARD, "feeder empty"),
                  event(leases[4], common_pb2.SPOILED, hostile),
                  event(leases[4], common_pb2.PRINTED, epoch=leases[4].epoch + 7)]
        for e in events:
            send(event=e)
        send(event=agent_pb2.JobEvent(event_id=uuid.uuid4().hex))  # malformed: no lease
        send(printer_status=common_pb2.PrinterStatus(
            printer_id="p1", state=common_pb2.ERROR, error="CARD JAM",
            observed_at_ms=int(time.time() * 1000),
            consumables=common_pb2.Consumables(blanks_in_hopper=3, ribbon_panels_left=20,
                                               ribbon_panels_capacity=250)))
        acked = 0
        while acked < len(events):
            (ack,) = await expect("ack", 1)
            acked += len(ack.events)
        send(heartbeat=agent_pb2.Heartbeat(time_ms=1))  # ordered after the printer status
        await expect("heartbeat", 1)
        text = await asyncio.to_thread(scrape, metrics_port)
        out.put_nowait(None)
        call.cancel()
    return text
