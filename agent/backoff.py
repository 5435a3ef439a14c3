"""Reconnect delays: exponential backoff with full jitter, bounded.

Full jitter (a uniform draw between 0 and the current ceiling) spreads the reconnects of the
63 agents of a city after a controller restart instead of having them arrive in waves.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    def __init__(self, initial_s: float, max_s: float,
                 uniform: Callable[[float, float], float] | None = None) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self._uniform = uniform or random.uniform
        self._failures = 0

    def ceiling(self) -> float:
        """The upper bound of the next delay: initial * 2^failures, at most max_s."""
        return min(self.max_s, self.initial_s * (2 ** min(self._failures, 32)))

    def next_delay(self) -> float:
        delay = self._uniform(0.0, self.ceiling())
        self._failures += 1
        return delay

    def reset(self) -> None:
        """A connection succeeded: the next failure starts from the initial ceiling again."""
        self._failures = 0
