"""The controller's clock as seen from the agent: lease expiries are on the controller clock.

After each Welcome the agent keeps `offset = server_time_ms - local receive time` (the transit
time only makes the agent's estimate earlier than the truth by the one-way delay, which the
controller's skew margin covers). The offset and the margin are also journaled, so an agent that
restarts during an outage still compares expiries on the controller's clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ControllerClock:
    """Converts local wall time to controller time; `local_ms` is injectable for tests."""

    def __init__(self, local_ms: Callable[[], int] | None = None, offset_ms: int = 0,
                 skew_margin_ms: int = 0) -> None:
        self._local_ms = local_ms or (lambda: time.time_ns() // 1_000_000)
        self.offset_ms = offset_ms
        self.skew_margin_ms = skew_margin_ms

    def local_ms(self) -> int:
        return self._local_ms()

    def now_ms(self) -> int:
        """Best estimate of the controller's clock now."""
        return self._local_ms() + self.offset_ms

    def sync(self, server_time_ms: int, skew_margin_ms: int, received_local_ms: int) -> None:
        """Adopt the clock and margin of a Welcome received at local time `received_local_ms`."""
        self.offset_ms = server_time_ms - received_local_ms
        self.skew_margin_ms = skew_margin_ms

    def may_start(self, expires_at_ms: int) -> bool:
        """True while a card of a lease expiring at `expires_at_ms` may still be started."""
        return self.now_ms() < expires_at_ms - self.skew_margin_ms


class FakeLocalTime:
    """A settable local clock for tests and drills (milliseconds)."""

    def __init__(self, start_ms: int | None = None) -> None:
        # Starts at the real time so that it agrees with components on the real clock.
        self.ms = time.time_ns() // 1_000_000 if start_ms is None else start_ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms
