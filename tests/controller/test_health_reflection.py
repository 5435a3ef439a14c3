"""The controller serves grpc.health.v1 and server reflection."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from cetak.controller.server import create_server


def test_health_and_reflection(tmp_path):
    async def scenario():
        controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"))
        await controller.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}") as channel:
                health = health_pb2_grpc.HealthStub(channel)
                for service in ("", "cetak.api.v1.AgentService", "cetak.api.v1.AdminService"):
                    r = await health.Check(health_pb2.HealthCheckRequest(service=service),
                                           timeout=5)
                    assert r.status == health_pb2.HealthCheckResponse.SERVING
                stub = reflection_pb2_grpc.ServerReflectionStub(channel)

                async def ask():
                    yield reflection_pb2.ServerReflectionRequest(list_services="")

                async for reply in stub.ServerReflectionInfo(ask(), timeout=5):
                    names = {s.name for s in reply.list_services_response.service}
                    break
            assert {"cetak.api.v1.AgentService", "cetak.api.v1.AdminService",
                    "grpc.health.v1.Health"} <= names
        finally:
            await controller.stop()

    asyncio.run(scenario())
