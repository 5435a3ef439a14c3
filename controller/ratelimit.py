"""Per-caller request rate limits for the admin API (token buckets, in memory).

A misbehaving script or a curious operator must not be able to starve the store worker that
every site's agents depend on. Callers are told clearly (RESOURCE_EXHAUSTED with the limit)
and nothing they asked for happens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self.tokens = burst
        self.updated = clock()

    def take(self) -> bool:
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimiter:
    """One bucket per caller key (certificate identity, or peer address when plaintext)."""

    def __init__(self, rate: float = 50.0, burst: float = 200.0, max_callers: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.max_callers = rate, burst, max_callers
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, caller: str) -> bool:
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                if len(self._buckets) >= self.max_callers:
                    # Forget the fullest buckets: they belong to callers that went quiet.
                    self._buckets = {k: b for k, b in self._buckets.items()
                                     if b.tokens < b.burst}
                bucket = self._buckets[caller] = TokenBucket(self.rate, self.burst, self._clock)
            return bucket.take()
