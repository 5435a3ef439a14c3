"""Admin request rate limits: token buckets per caller; a refused call changes nothing."""

from __future__ import annotations

import asyncio

import grpc

from cetak.api.v1 import admin_pb2, admin_pb2_grpc
from cetak.controller.ratelimit import RateLimiter, TokenBucket
from cetak.controller.server import create_server


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_bucket_refills_at_its_rate_up_to_its_burst():
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3.0, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.t = 0.5
    assert bucket.take() and not bucket.take()
    clock.t = 100.0
    assert sum(bucket.take() for _ in range(10)) == 3


def test_callers_have_separate_buckets():
    limiter = RateLimiter(rate=1.0, burst=1.0, clock=FakeClock())
    assert limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")


def test_flooding_admin_caller_is_refused_and_nothing_happens(tmp_path):
    async def scenario():
        controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"))
        controller.admin.limiter = RateLimiter(rate=0.001, burst=2.0)
        await controller.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}") as channel:
                stub = admin_pb2_grpc.AdminServiceStub(channel)
                for _ in range(2):
                    await stub.ListCampaigns(admin_pb2.ListCampaignsRequest(), timeout=5)
                try:
                    await stub.CreateCampaign(admin_pb2.CreateCampaignRequest(
                        campaign=admin_pb2.Campaign(campaign_id="flood")), timeout=5)
                    raise AssertionError("the third call within the burst was accepted")
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                    assert "too many requests" in exc.details()
            assert controller.ledger.store.get_campaign("flood") is None
        finally:
            await controller.stop()

    asyncio.run(scenario())


def test_oversized_message_is_refused_before_it_reaches_the_servicer(tmp_path):
    from cetak.controller.server import MAX_MESSAGE_BYTES

    async def scenario():
        controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"))
        await controller.start()
        try:
            options = [("grpc.max_send_message_length", 4 * MAX_MESSAGE_BYTES)]
            async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}",
                                                 options=options) as channel:
                stub = admin_pb2_grpc.AdminServiceStub(channel)

                async def chunks():
                    yield admin_pb2.ImportChunk(header=admin_pb2.ImportHeader(
                        campaign_id="c", format="csv"))
                    yield admin_pb2.ImportChunk(data=b"x" * (MAX_MESSAGE_BYTES + 1))

                try:
                    await stub.ImportRecords(chunks(), timeout=30)
                    raise AssertionError("an oversized message was accepted")
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        finally:
            await controller.stop()

    asyncio.run(scenario())
