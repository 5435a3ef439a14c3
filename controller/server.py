"""The controller process: gRPC server (AgentService, AdminService, health, reflection)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from cetak.api.v1 import admin_pb2, admin_pb2_grpc, agent_pb2, agent_pb2_grpc
from cetak.security.audit import ACTION_CONTROLLER_START, ACTION_CONTROLLER_STOP

from .admin_servicer import AdminServicer
from .agent_servicer import AgentServicer
from .audit import CONTROLLER, QueuedAudit, audit_log_for
from .ledger import LeasePolicy, Ledger
from .metrics import ControllerMetrics
from .store import open_store
from .store.worker import StoreWorker

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024 * 1024   # a lease carries a photo of at most 2 MB


@dataclass
class Controller:
    """A running controller: its server, bound port and the parts tests reach into."""

    server: grpc.aio.Server
    port: int
    ledger: Ledger
    worker: StoreWorker
    agents: AgentServicer
    admin: AdminServicer
    health: health_aio.HealthServicer
    audit: QueuedAudit
    secure: bool = True
    metrics: ControllerMetrics | None = None
    _expiry_task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.server.start()
        self.audit.record(CONTROLLER, ACTION_CONTROLLER_START,
                          detail={"port": self.port, "tls": self.secure})
        self._expiry_task = asyncio.create_task(self._expire_loop())
        for name in ("", "cetak.api.v1.AgentService", "cetak.api.v1.AdminService"):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("controller listening on port %d", self.port)

    async def stop(self, grace: float = 2.0) -> None:
        for name in ("", "cetak.api.v1.AgentService", "cetak.api.v1.AdminService"):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        if self._expiry_task is not None:
            self._expiry_task.cancel()
        for session in list(self.agents.sessions.values()):
            session.outgoing.put_nowait(None)
        await self.server.stop(grace)
        self.audit.record(CONTROLLER, ACTION_CONTROLLER_STOP, detail={"port": self.port})
        await asyncio.to_thread(self.worker.close)
        self.ledger.store.close()
        if self.metrics is not None:
            self.metrics.close()

    async def _expire_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                n = await self.worker.call(self.ledger.expire, int(time.time() * 1000))
                if n:
                    log.info("requeued %d expired leases", n)
                    if self.metrics is not None:
                        self.metrics.expired(n)
            except Exception:  # keep expiring even if one pass fails
                log.exception("lease expiry pass failed")


def create_server(address: str, store_url: str, *, policy: LeasePolicy | None = None,
                  server_credentials: grpc.ServerCredentials | None = None,
                  agent_authorizer=None, admin_authorizer=None,
                  controller_id: str = "controller", revocations=None) -> Controller:
    """Build (not start) a controller bound to `address` ("127.0.0.1:0" picks a free port).
    `revocations` (cetak.security.revocation.Revocations): certificates refused at once."""
    store = open_store(store_url)
    audit_log = audit_log_for(store)
    ledger = Ledger(store, policy, audit=audit_log)
    worker = StoreWorker(store)
    audit = QueuedAudit(worker, audit_log)
    metrics = ControllerMetrics()
    server = grpc.aio.server(interceptors=[metrics.interceptor()], options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", 20_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
        ("grpc.keepalive_permit_without_calls", 1),
    ])
    if server_credentials is not None:
        from cetak.security.guard import admin_authorizer as make_admin_authorizer
        from cetak.security.guard import agent_authorizer as make_agent_authorizer

        agent_authorizer = agent_authorizer or make_agent_authorizer(audit, revocations)
        admin_authorizer = admin_authorizer or make_admin_authorizer(audit, revocations)
    else:
        admin_authorizer = admin_authorizer or _plaintext_admin(audit)
    agents = AgentServicer(ledger, worker, controller_id=controller_id,
                           authorize=agent_authorizer, metrics=metrics,
                           revocations=revocations)
    metrics.watch_store(store.path, agents.sessions)
    admin = AdminServicer(ledger, worker, authorize=admin_authorizer,
                          agent_sessions=agents.sessions)
    agent_pb2_grpc.add_AgentServiceServicer_to_server(agents, server)
    admin_pb2_grpc.add_AdminServiceServicer_to_server(admin, server)
    health_servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((
        agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name,
        admin_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name,
        health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    if server_credentials is not None:
        port = server.add_secure_port(address, server_credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return Controller(server=server, port=port, ledger=ledger, worker=worker, agents=agents,
                      admin=admin, health=health_servicer, audit=audit,
                      secure=server_credentials is not None, metrics=metrics)


def _plaintext_admin(audit: QueuedAudit):
    """--insecure: nobody is identified, but every admin call is still written down."""

    async def record_call(context: grpc.aio.ServicerContext, method: str,
                          site_code: str = "") -> None:
        audit.record("plaintext:unidentified", f"rpc.{method}", allowed=True,
                     detail={"method": method, "site_code": site_code or None})

    return record_call
