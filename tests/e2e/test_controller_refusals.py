"""Every refusal of the security model, shown against the real controller over loopback TLS:
plaintext, no client certificate, wrong site, wrong role, tampered audit entry, stale epoch."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import uuid

import grpc
import pytest

from cetak.api.v1 import admin_pb2, admin_pb2_grpc, agent_pb2, common_pb2
from cetak.controller.ledger import LeasePolicy
from cetak.controller.model import Campaign
from cetak.controller.server import create_server
from cetak.procs import cetak_argv
from cetak.security.pki import init_pki, issue_agent, issue_auditor, issue_operator
from cetak.security.tls import client_channel_credentials, client_files, secure_channel

from ..controller.conftest import OTHER_SITE, SITE, make_records, receive_blanks
from ..controller.test_agent_stream import FakeAgent


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    init_pki(folder)
    issue_agent(folder, SITE, "agent-a")
    issue_operator(folder, SITE, "op-a")
    issue_auditor(folder, "audit-1")
    return folder


def _serve(tmp_path, pki):
    from cetak.security.tls import server_credentials

    controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"),
                               server_credentials=server_credentials(pki),
                               policy=LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
    controller.ledger.create_campaign(Campaign("c1", "pemilu", created_ms=1))
    controller.ledger.add_records(make_records("c1", 4), 1)
    receive_blanks(controller.ledger, SITE, 4)
    return controller


def _admin_stub(port: int, pki, identity: str):
    credentials, override = client_channel_credentials(pki, identity)
    channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials,
                                      options=[("grpc.ssl_target_name_override", override)])
    return channel, admin_pb2_grpc.AdminServiceStub(channel)


def _run(tmp_path, pki, scenario):
    async def main():
        controller = _serve(tmp_path, pki)
        await controller.start()
        try:
            await scenario(controller)
        finally:
            await controller.stop()

    asyncio.run(main())


async def _code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def test_plaintext_and_missing_client_certificate_are_refused(tmp_path, pki):
    async def scenario(controller):
        request = admin_pb2.ListCampaignsRequest()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}") as plain:
            stub = admin_pb2_grpc.AdminServiceStub(plain)
            assert await _code_of(stub.ListCampaigns(request, timeout=5)) == \
                grpc.StatusCode.UNAVAILABLE
        no_cert = grpc.ssl_channel_credentials(root_certificates=(pki / "ca.pem").read_bytes())
        async with grpc.aio.secure_channel(
                f"127.0.0.1:{controller.port}", no_cert,
                options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            assert await _code_of(stub.ListCampaigns(request, timeout=5)) == \
                grpc.StatusCode.UNAVAILABLE
        channel, stub = _admin_stub(controller.port, pki, "admin")
        async with channel:
            assert await _code_of(stub.ListCampaigns(request, timeout=5)) == grpc.StatusCode.OK

    _run(tmp_path, pki, scenario)


def test_agent_of_another_site_is_refused_and_gets_nothing(tmp_path, pki):
    async def scenario(controller):
        ca, cert, key = client_files(pki, "agent-agent-a")
        # The certificate says SITE; the agent claims OTHER_SITE.
        agent = FakeAgent(controller.port, agent_id="agent-a", site=OTHER_SITE,
                          channel=secure_channel(f"127.0.0.1:{controller.port}", ca, cert, key))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await agent.expect("welcome")
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        await agent.close()
        # Its own site works, and it only ever sees its own site's records.
        agent = FakeAgent(controller.port, agent_id="agent-a", site=SITE,
                          channel=secure_channel(f"127.0.0.1:{controller.port}", ca, cert, key))
        await agent.expect("welcome")
        agent.send(credit=agent_pb2.Credit(slots=10))
        leases = await agent.expect("lease", 4)
        assert {lease.record.kelurahan_kode for lease in leases} == {SITE}
        await agent.close()

    _run(tmp_path, pki, scenario)


def test_roles_auditor_reads_operator_own_site_admin_only_for_admin_methods(tmp_path, pki):
    async def scenario(controller):
        create = admin_pb2.CreateCampaignRequest(campaign=admin_pb2.Campaign(campaign_id="x"))
        status = admin_pb2.StatusRequest(campaign_id="c1")
        channel, auditor = _admin_stub(controller.port, pki, "auditor-audit-1")
        async with channel:
            assert await _code_of(auditor.CreateCampaign(create, timeout=5)) == \
                grpc.StatusCode.PERMISSION_DENIED
            assert await _code_of(auditor.GetStatus(status, timeout=5)) == grpc.StatusCode.OK
            assert await _code_of(auditor.UpsertSite(admin_pb2.Site(site_code=SITE),
                                                     timeout=5)) == \
                grpc.StatusCode.PERMISSION_DENIED
            assert await _code_of(auditor.ListSites(admin_pb2.ListSitesRequest(),
                                                    timeout=5)) == grpc.StatusCode.OK
        channel, admin = _admin_stub(controller.port, pki, "admin")
        async with channel:
            assert await _code_of(admin.UpsertSite(admin_pb2.Site(site_code=SITE),
                                                   timeout=5)) == grpc.StatusCode.OK
        channel, operator = _admin_stub(controller.port, pki, "operator-op-a")
        async with channel:
            other = admin_pb2.InventoryMovement(site_code=OTHER_SITE, item="blank",
                                                kind="receive", quantity=5)
            own = admin_pb2.InventoryMovement(site_code=SITE, item="blank", kind="receive",
                                              quantity=5)
            assert await _code_of(operator.RecordInventory(other, timeout=5)) == \
                grpc.StatusCode.PERMISSION_DENIED
            assert await _code_of(operator.CreateCampaign(create, timeout=5)) == \
                grpc.StatusCode.PERMISSION_DENIED
            assert await _code_of(operator.RecordInventory(own, timeout=5)) == \
                grpc.StatusCode.OK
            # Its own site's calendar is the Dinas' to set, not the operator's.
            assert await _code_of(operator.UpsertSite(admin_pb2.Site(site_code=SITE),
                                                      timeout=5)) == \
                grpc.StatusCode.PERMISSION_DENIED
        ca, cert, key = client_files(pki, "agent-agent-a")
        async with secure_channel(f"127.0.0.1:{controller.port}", ca, cert, key) as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            assert await _code_of(stub.ListCampaigns(admin_pb2.ListCampaignsRequest(),
                                                     timeout=5)) == \
                grpc.StatusCode.PERMISSION_DENIED
        await asyncio.sleep(0.2)  # audit entries are written by the store worker

    _run(tmp_path, pki, scenario)
    rows = sqlite3.connect(tmp_path / "c.db").execute(
        "SELECT actor, action, allowed FROM audit_log").fetchall()
    denied = {(actor.split(":")[0], allowed) for actor, _action, allowed in rows if not allowed}
    assert {("auditor", 0), ("operator", 0), ("agent", 0)} <= denied
    asked = [(actor.split(":")[0], allowed) for actor, action, allowed in rows
             if action == "site.upsert"]
    assert asked == [("auditor", 0), ("admin", 1), ("operator", 0)]
    changed = [(actor, action) for actor, action, _ in rows if action in ("site.add", "site.set")]
    assert changed == [("admin:admin", "site.add")]   # the refused calls changed nothing


def test_stale_epoch_report_is_flagged_not_applied(tmp_path, pki):
    async def scenario(controller):
        ca, cert, key = client_files(pki, "agent-agent-a")
        agent = FakeAgent(controller.port, agent_id="agent-a",
                          channel=secure_channel(f"127.0.0.1:{controller.port}", ca, cert, key))
        await agent.expect("welcome")
        agent.send(credit=agent_pb2.Credit(slots=1))
        (lease,) = await agent.expect("lease")
        agent.send(event=agent_pb2.JobEvent(
            event_id=uuid.uuid4().hex, lease_id=lease.lease_id, epoch=lease.epoch - 1,
            record_id=lease.record_id, state=common_pb2.PRINTED))
        (ack,) = await agent.expect("ack")
        assert ack.events[0].status == agent_pb2.FLAGGED
        assert "stale_epoch" in ack.events[0].detail
        view = controller.ledger.store.get_record(lease.record_id)
        assert view.state == "leased"
        await agent.close()

    _run(tmp_path, pki, scenario)


def test_tampered_audit_entry_fails_verification(tmp_path, pki):
    async def scenario(controller):
        channel, admin = _admin_stub(controller.port, pki, "admin")
        async with channel:
            await admin.GetStatus(admin_pb2.StatusRequest(campaign_id="c1"), timeout=5)

    _run(tmp_path, pki, scenario)
    db = tmp_path / "c.db"
    verify = cetak_argv("audit", "verify", "--store", str(db))
    assert subprocess.run(verify, capture_output=True, timeout=60).returncode == 0
    conn = sqlite3.connect(db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND "
                                "tbl_name='audit_log'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE audit_log SET actor='admin:someone-else' WHERE seq=2")
    conn.commit()
    conn.close()
    r = subprocess.run(verify, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr


def test_revoked_certificates_are_refused_and_cut_off_without_a_restart(tmp_path):
    from cetak.security.revocation import Revocations, revoke
    from cetak.security.tls import server_credentials

    folder = tmp_path / "pki"
    init_pki(folder)
    issue_agent(folder, SITE, "agent-a")
    issue_operator(folder, SITE, "op-a")

    async def main():
        controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"),
                                   server_credentials=server_credentials(folder),
                                   revocations=Revocations(folder, recheck_s=0.1),
                                   policy=LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
        controller.ledger.create_campaign(Campaign("c1", "pemilu", created_ms=1))
        await controller.start()
        ca, cert, key = client_files(folder, "agent-agent-a")
        target = f"127.0.0.1:{controller.port}"
        try:
            agent = FakeAgent(controller.port, agent_id="agent-a",
                              channel=secure_channel(target, ca, cert, key))
            await agent.expect("welcome")
            channel, operator = _admin_stub(controller.port, folder, "operator-op-a")
            inventory = admin_pb2.InventoryRequest(site_code=SITE)
            assert await _code_of(operator.GetInventory(inventory, timeout=5)) == \
                grpc.StatusCode.OK

            revoke(folder, folder / "agent-agent-a.pem")  # the site's PC was stolen
            revoke(folder, folder / "operator-op-a.pem", "affiliation_changed")
            # The connected agent is cut off; it cannot come back; the operator is refused.
            async with asyncio.timeout(10):
                while (m := await agent.call.read()) is not grpc.aio.EOF:
                    assert m.WhichOneof("body") != "lease"
            await agent.close()
            again = FakeAgent(controller.port, agent_id="agent-a",
                              channel=secure_channel(target, ca, cert, key))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await again.expect("welcome")
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "revoked" in refused.value.details()
            await again.close()
            assert await _code_of(operator.GetInventory(inventory, timeout=5)) == \
                grpc.StatusCode.PERMISSION_DENIED
            await channel.close()
        finally:
            await controller.stop()

    asyncio.run(main())
    reasons = [r for (r,) in sqlite3.connect(tmp_path / "c.db").execute(
        "SELECT detail FROM audit_log WHERE allowed=0")]
    assert sum("certificate revoked" in r for r in reasons) >= 2
