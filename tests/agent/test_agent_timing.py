"""Backoff ceilings and the controller clock (pure functions of injected time and draws)."""

from __future__ import annotations

from cetak.agent.backoff import Backoff
from cetak.agent.clock import ControllerClock, FakeLocalTime


def test_backoff_is_exponential_full_jitter_and_bounded() -> None:
    draws: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        draws.append((low, high))
        return high

    b = Backoff(0.5, 4.0, uniform=uniform)
    delays = [b.next_delay() for _ in range(6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert all(low == 0.0 for low, _ in draws)  # full jitter: anywhere from zero
    b.reset()
    assert b.next_delay() == 0.5


def test_controller_clock_offset_and_start_deadline() -> None:
    local = FakeLocalTime(1_000_000)
    clock = ControllerClock(local)
    clock.sync(server_time_ms=1_005_000, skew_margin_ms=2_000, received_local_ms=1_000_000)
    assert clock.offset_ms == 5_000 and clock.now_ms() == 1_005_000
    expires = 1_010_000
    assert clock.may_start(expires)
    local.advance(2_999)
    assert clock.may_start(expires)       # 1_007_999 < 1_008_000
    local.advance(1)
    assert not clock.may_start(expires)   # at expiry minus margin: never start
