"""The controller's /metrics, scraped live from `cetak controller serve --metrics-port`.

One controller process (module scope) is driven through the admin API and a hand-made agent
stream: records imported from synthetic PRR data, leases, every kind of outcome, a flagged
report, a malformed event, a printer in error with a worn ribbon. Then the scrape must pass
`promtool check metrics`, follow the naming rules, and carry no NIK or name anywhere.
"""

from __future__ import annotations

import asyncio
import csv
import time
import uuid

import grpc
import pytest

from cetak.api.v1 import admin_pb2, admin_pb2_grpc, agent_pb2, agent_pb2_grpc, common_pb2
from cetak.procs import free_port
from cetak.prr.synthetic import write_prr

from ..procs import Proc, cetak_argv, wait_for_file
from .conftest import lint, promtool, samples, scrape, types, value

SITE = "32.76.01.1006"
CAMPAIGN = "pemilu"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A running controller with activity: (metrics text, PRR rows, metrics port)."""
    tmp = tmp_path_factory.mktemp("controller")
    port_file = tmp / "port"
    metrics_port = free_port()
    server = Proc(cetak_argv("controller", "serve", "--insecure", "--listen", "127.0.0.1:0",
                             "--store", f"sqlite://{tmp / 'c.db'}", "--port-file",
                             str(port_file), "--metrics-port", str(metrics_port)),
                  tmp / "controller.log")
    try:
        port = int(wait_for_file(port_file, server))
        rows = _prepare(tmp, port)
        text = asyncio.run(_drive_agent(port, rows, metrics_port))
        yield text, rows, metrics_port
    finally:
        server.stop()


def _prepare(tmp, port: int) -> list[dict]:
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


async def _drive_agent(port: int, rows: list[dict], metrics_port: int) -> str:
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


def test_live_scrape_passes_promtool_check_metrics(live):
    text, _, _ = live
    result = promtool("check", "metrics", stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr


def test_live_scrape_has_enough_cetak_samples(live):
    text, _, _ = live
    assert sum(1 for name, _, _ in samples(text) if name.startswith("cetak_")) >= 20


def test_names_units_and_labels(live):
    text, _, _ = live
    assert lint(text) == []
    kinds = types(text)
    assert kinds["cetak_cards_printed_total"] == "counter"
    assert kinds["cetak_store_call_duration_seconds"] == "histogram"


def test_no_personal_data_in_any_label_value(live):
    text, rows, _ = live
    personal = {r[k] for r in rows for k in ("nik", "nama", "alamat", "tempat_lahir")
                if r.get(k)}
    assert personal
    for name, labels, _ in samples(text):
        for label, v in labels.items():
            assert v not in personal, f"{name}{{{label}}} carries personal data"
            assert not any(p in v for p in personal if len(p) >= 6), f"{name}{{{label}}}"
    assert not any(r["nik"] in text for r in rows)


def test_values_follow_the_activity(live):
    text, _, _ = live
    assert value(text, "cetak_cards_printed_total", campaign=CAMPAIGN, site=SITE) == 1
    assert value(text, "cetak_cards_spoiled_total", reason="card_jam") == 1
    assert value(text, "cetak_cards_spoiled_total", reason="other") == 1
    assert value(text, "cetak_attempts_failed_before_card_total", reason="feeder_empty") == 1
    assert value(text, "cetak_attempts_unknown", site=SITE) == 1
    assert value(text, "cetak_records", site=SITE) == 8
    assert value(text, "cetak_blanks", site=SITE, state="received") == 20
    assert value(text, "cetak_inventory_received_total", site=SITE, item="ribbon") == 2
    assert value(text, "cetak_flagged_reports", reason="stale_epoch") == 1
    assert value(text, "cetak_agent_events_total", status="applied") == 6
    assert value(text, "cetak_agent_events_total", status="flagged") == 1
    assert value(text, "cetak_agent_events_total", status="malformed") == 1
    assert value(text, "cetak_leases_granted_total", site=SITE) == 5
    assert value(text, "cetak_agent_connected", site=SITE) == 1
    assert value(text, "cetak_printer_state", printer="p1", state="error") == 1
    assert value(text, "cetak_printer_state", printer="p1") == 1  # exactly one state is set
    assert value(text, "cetak_printer_ribbon_remaining_ratio", printer="p1") == 20 / 250
    assert value(text, "cetak_campaign_deadline_timestamp_seconds", campaign=CAMPAIGN) > 0
    assert value(text, "cetak_grpc_server_handled_total", method="GetStatus", code="OK") == 1
    assert value(text, "cetak_grpc_server_handled_total", method="GetStatus",
                 code="FAILED_PRECONDITION") == 1


def test_agent_gone_shows_disconnected(live):
    _, _, port = live
    text = scrape(port)  # the driver closed its stream after its scrape
    deadline = time.monotonic() + 20
    while value(text, "cetak_agent_connected", site=SITE) != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        text = scrape(port)
    assert value(text, "cetak_agent_connected", site=SITE) == 0
    assert value(text, "cetak_agent_last_seen_timestamp_seconds", site=SITE) > 0
