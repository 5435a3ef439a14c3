"""The in-memory queue of held leases waiting for a printer, in arrival order.

The journal is the truth (a lease is printable only while it is `held` there); this queue only
decides which printer takes which lease next. A lease taken by a worker but never started stays
`held` in the journal, so shutdown and restarts see it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from cetak.agent.journal import LeaseInfo


def credit_wanted(window: int, printers: int, outstanding: int) -> int:
    """The leases an agent asks for (its Credit): up to the controller's latest window
    (Welcome, then every WindowUpdate as blanks arrive or rates change), which caps every
    grant. At least one card printing plus one prepared per printer, for a controller that
    sends no WindowUpdate (older ones). Pure: the session and the simulator (cetak.simulate)
    both ask it."""
    return max(0, max(window, 2 * printers) - outstanding)


class LeaseQueue:
    def __init__(self) -> None:
        self._items: OrderedDict[str, LeaseInfo] = OrderedDict()
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, lease: LeaseInfo) -> None:
        self._items[lease.lease_id] = lease
        self._changed.set()

    def remove(self, lease_id: str) -> bool:
        return self._items.pop(lease_id, None) is not None

    def ids(self) -> list[str]:
        return list(self._items)

    async def take(self) -> LeaseInfo:
        """The oldest lease, waiting for one if the queue is empty (cancel to stop waiting)."""
        while not self._items:
            self._changed.clear()
            await self._changed.wait()
        return self._items.popitem(last=False)[1]
