"""Mutual TLS over loopback with a real grpc.aio server."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

from cetak.security import Action, AuditLog, Identity, MemoryAuditSink, Role, TlsConfigError
from cetak.security.guard import admin_authorizer, agent_authorizer, authorize
from cetak.security.identity import identity_from_grpc_context
from cetak.security.tls import (
    add_port,
    client_channel_credentials,
    client_files,
    open_channel,
    secure_channel,
)

from .conftest import SITE, Pkis

SERVICE = "cetak.test.Probe"


class Probe:
    """A servicer that reports who called and guards one admin and one agent method."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self.seen: list[Identity | None] = []

    async def who(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        identity = identity_from_grpc_context(context)
        self.seen.append(identity)
        if identity is None:
            return b"null"
        return json.dumps([identity.name, identity.role.value, identity.site_code]).encode()

    async def admin(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await authorize(context, Action.CAMPAIGN_CREATE, audit=self.audit)
        return b"created"

    async def lease(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        # The request names the job's site, as a lease's CardRecord would.
        await authorize(context, Action.LEASE_RECEIVE, request.decode(), audit=self.audit,
                        audit_allowed=False)
        return b"leased"

    async def admin_rpc(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        # request: "Method site_code", the way AdminServicer calls its authorizer
        method, _, site = request.decode().partition(" ")
        identity = await admin_authorizer(self.audit)(context, method, site)
        return identity.actor.encode()

    async def hello(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        agent_id, site = json.loads(request)
        hello = SimpleNamespace(agent_id=agent_id, site_code=site)
        return agent_authorizer(self.audit)(context, hello).actor.encode()

    def handler(self) -> grpc.GenericRpcHandler:
        methods: dict[str, Callable[..., Awaitable[bytes]]] = {
            "Who": self.who, "Admin": self.admin, "Lease": self.lease,
            "AdminRpc": self.admin_rpc, "Hello": self.hello}
        return grpc.method_handlers_generic_handler(
            SERVICE, {name: grpc.unary_unary_rpc_method_handler(fn)
                      for name, fn in methods.items()})


@asynccontextmanager
async def serving(pki_dir: Path | None, *, insecure: bool = False
                  ) -> AsyncIterator[tuple[int, Probe]]:
    probe = Probe(AuditLog(MemoryAuditSink()))
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([probe.handler()])
    port = add_port(server, "127.0.0.1:0", pki_dir, insecure=insecure)
    await server.start()
    try:
        yield port, probe
    finally:
        await server.stop(None)


async def call(channel: grpc.aio.Channel, method: str, request: bytes = b"") -> bytes:
    return await channel.unary_unary(f"/{SERVICE}/{method}")(request, timeout=5)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def client(pki_dir: Path, stem: str, port: int) -> grpc.aio.Channel:
    return secure_channel(f"127.0.0.1:{port}", *client_files(pki_dir, stem))


def expect_refused(channel_factory: Callable[[int], grpc.aio.Channel], pkis: Pkis) -> None:
    async def main() -> None:
        async with serving(pkis.main) as (port, probe):
            async with channel_factory(port) as channel:
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(channel, "Who")
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert probe.seen == []  # refused at the handshake, the servicer never ran
    run(main())


def test_agent_certificate_gives_identity_in_servicer(pkis: Pkis) -> None:
    async def main() -> None:
        async with serving(pkis.main) as (port, probe):
            async with client(pkis.main, "agent-lab-1", port) as channel:
                assert json.loads(await call(channel, "Who")) == ["lab-1", "agent", SITE]
            # The SAN is checked: an address the certificate lists works without override.
            ca, cert, key = client_files(pkis.main, "admin")
            async with secure_channel(f"127.0.0.1:{port}", ca, cert, key,
                                      server_name=None) as channel:
                assert json.loads(await call(channel, "Who")) == ["admin", "admin", None]
        assert probe.seen == [Identity("lab-1", Role.AGENT, SITE),
                              Identity("admin", Role.ADMIN, None)]
    run(main())


def test_client_without_certificate_refused(pkis: Pkis) -> None:
    def factory(port: int) -> grpc.aio.Channel:
        creds = grpc.ssl_channel_credentials((pkis.main / "ca.pem").read_bytes())
        return grpc.aio.secure_channel(f"127.0.0.1:{port}", creds,
                                       options=[("grpc.ssl_target_name_override",
                                                 "localhost")])
    expect_refused(factory, pkis)


def test_client_certificate_from_another_ca_refused(pkis: Pkis) -> None:
    def factory(port: int) -> grpc.aio.Channel:
        # Trusts the real CA (so only the client side is wrong) but presents a foreign cert.
        return secure_channel(f"127.0.0.1:{port}", pkis.main / "ca.pem",
                              pkis.foreign / "agent-lab-1.pem", pkis.foreign / "agent-lab-1.key")
    expect_refused(factory, pkis)


def test_plaintext_client_refused(pkis: Pkis) -> None:
    expect_refused(lambda port: grpc.aio.insecure_channel(f"127.0.0.1:{port}"), pkis)


def test_signing_and_server_certificates_cannot_authenticate_clients(pkis: Pkis) -> None:
    # Their EKUs (documentSigning, serverAuth) are not clientAuth: the handshake refuses them.
    for stem in ("document-signer", "controller"):
        expect_refused(lambda port, s=stem: client(pkis.main, s, port), pkis)


def test_client_refuses_a_controller_from_another_pki(pkis: Pkis) -> None:
    async def main() -> None:
        async with serving(pkis.foreign) as (port, probe):
            async with client(pkis.main, "admin", port) as channel:
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(channel, "Who")
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert probe.seen == []
    run(main())


def test_auditor_denied_admin_action_and_both_decisions_audited(pkis: Pkis) -> None:
    async def main() -> None:
        async with serving(pkis.main) as (port, probe):
            async with client(pkis.main, "auditor-bpk", port) as channel:
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(channel, "Admin")
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "auditor:bpk may not campaign.create" in (caught.value.details() or "")
            async with client(pkis.main, "admin", port) as channel:
                assert await call(channel, "Admin") == b"created"
            entries = list(probe.audit.sink.iter_entries())
        assert [(e.actor, e.action, e.allowed) for e in entries] == [
            ("auditor:bpk", "campaign.create", False), ("admin:admin", "campaign.create", True)]
        assert probe.audit.verify() == []
    run(main())


def test_agent_gets_only_jobs_of_its_own_site(pkis: Pkis) -> None:
    async def main() -> None:
        async with serving(pkis.main) as (port, probe):
            async with client(pkis.main, "agent-lab-1", port) as channel:
                assert await call(channel, "Lease", SITE.encode()) == b"leased"
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(channel, "Lease", b"32.76.02.2001")
                assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
            async with client(pkis.main, "operator-siti", port) as channel:
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(channel, "Lease", SITE.encode())
                assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
            # Allowed leases are not audited here (audit_allowed=False); refusals always are.
            assert [e.allowed for e in probe.audit.sink.iter_entries()] == [False, False]
    run(main())


def test_plaintext_only_when_asked_and_then_with_a_warning(
        pkis: Pkis, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        with pytest.raises(TlsConfigError):
            add_port(grpc.aio.server(), "127.0.0.1:0", None)
        with pytest.raises(TlsConfigError):
            open_channel("127.0.0.1:1")
        with caplog.at_level(logging.WARNING, logger="cetak.security.tls"):
            async with serving(None, insecure=True) as (port, probe):
                async with open_channel(f"127.0.0.1:{port}", insecure=True) as channel:
                    assert await call(channel, "Who") == b"null"
                    with pytest.raises(grpc.aio.AioRpcError) as caught:
                        await call(channel, "Admin")
                    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("WITHOUT TLS" in w and "serving" in w for w in warnings)
        assert any("WITHOUT TLS" in w and "connecting" in w for w in warnings)
    run(main())


def test_controller_authorizers(pkis: Pkis) -> None:
    async def outcome(channel: grpc.aio.Channel, method: str, request: bytes) -> str:
        try:
            return (await call(channel, method, request)).decode()
        except grpc.aio.AioRpcError as exc:
            return exc.code().name

    async def main() -> None:
        async with serving(pkis.main) as (port, probe):
            async with client(pkis.main, "agent-lab-1", port) as channel:
                hello = json.dumps(["lab-1", SITE]).encode()
                assert await outcome(channel, "Hello", hello) == f"agent:lab-1@{SITE}"
                for agent_id, site in (("lab-2", SITE), ("lab-1", "32.76.02.2001")):
                    bad = json.dumps([agent_id, site]).encode()
                    assert await outcome(channel, "Hello", bad) == "PERMISSION_DENIED"
                assert await outcome(channel, "AdminRpc", b"ListSites ") == "PERMISSION_DENIED"
            async with client(pkis.main, "admin", port) as channel:
                assert await outcome(channel, "Hello", hello) == "PERMISSION_DENIED"
                assert await outcome(channel, "AdminRpc", b"ReleaseAgent ") == "admin:admin"
                assert await outcome(channel, "AdminRpc", b"DropAll ") == "PERMISSION_DENIED"
            async with client(pkis.main, "operator-siti", port) as channel:
                ok = f"ListPrinters {SITE}".encode()
                assert await outcome(channel, "AdminRpc", ok) == f"operator:siti@{SITE}"
                other = b"ListPrinters 32.76.02.2001"
                assert await outcome(channel, "AdminRpc", other) == "PERMISSION_DENIED"
                assert await outcome(channel, "AdminRpc", b"ListPrinters ") == "PERMISSION_DENIED"
                assert await outcome(channel, "AdminRpc", b"MoveRecords ") == "PERMISSION_DENIED"
            decisions = [(e.actor, e.action, e.allowed) for e in probe.audit.sink.iter_entries()]
        assert decisions == [
            (f"agent:lab-1@{SITE}", "agent.connect", True),
            (f"agent:lab-1@{SITE}", "agent.connect", False),
            (f"agent:lab-1@{SITE}", "agent.connect", False),
            (f"agent:lab-1@{SITE}", "campaign.read", False),
            ("admin:admin", "agent.connect", False),
            ("admin:admin", "agent.release", True),
            ("admin:admin", "rpc.DropAll", False),
            (f"operator:siti@{SITE}", "site.read", True),
            (f"operator:siti@{SITE}", "site.read", False),
            (f"operator:siti@{SITE}", "site.read", False),
            (f"operator:siti@{SITE}", "records.move", False),
        ]
        assert probe.audit.verify() == []
    run(main())


def test_sync_client_credentials_for_the_admin_cli(pkis: Pkis) -> None:
    def sync_call(port: int) -> bytes:
        credentials, override = client_channel_credentials(pkis.main, "auditor-bpk")
        with grpc.secure_channel(f"127.0.0.1:{port}", credentials,
                                 options=[("grpc.ssl_target_name_override", override)]) as ch:
            return ch.unary_unary(f"/{SERVICE}/Who")(b"", timeout=5)

    async def main() -> None:
        async with serving(pkis.main) as (port, _):
            reply = await asyncio.to_thread(sync_call, port)
        assert json.loads(reply) == ["bpk", "auditor", None]
    run(main())
