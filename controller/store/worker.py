"""One thread owns the store; calls from every stream are group-committed.

SQLite has one writer. Instead of each gRPC stream committing on its own (one fsync each),
callers queue work here; the worker runs whatever is waiting inside one outer transaction,
each call in its own savepoint (a refused call rolls back alone), and commits once.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_STOP = object()


class StoreWorker:
    def __init__(self, store: Any, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="store-worker", daemon=True)
        self._thread.start()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._queue.put((loop, future, fn, args, kwargs))
        return await future

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Queue work nobody waits for (audit entries); a failure is logged."""

        def settle(ok: bool, value: Any) -> None:
            if not ok:
                log.error("queued store work failed: %s", value)

        self._queue.put((None, settle, fn, args, kwargs))

    def call_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """For code outside the event loop (CLI, tests): run and wait."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def settle(ok: bool, value: Any) -> None:
            box["ok"], box["value"] = ok, value
            done.set()

        self._queue.put((None, settle, fn, args, kwargs))
        done.wait()
        if box["ok"]:
            return box["value"]
        raise box["value"]

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._execute(batch)
                    return
                batch.append(item)
            self._execute(batch)

    def _execute(self, batch: list) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.store.transaction():
                for _loop, _future, fn, args, kwargs in batch:
                    try:
                        outcomes.append((True, fn(*args, **kwargs)))
                    except Exception as exc:  # noqa: BLE001 - delivered to the caller
                        outcomes.append((False, exc))
        except Exception as exc:  # the commit itself failed: nothing in the batch happened
            log.exception("store commit failed")
            outcomes = [(False, exc)] * len(batch)
        # One wake-up of each event loop for the whole batch, not one per call.
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for (loop, future, _fn, _a, _k), (ok, value) in zip(batch, outcomes, strict=True):
            if loop is None:
                future(ok, value)
            else:
                by_loop.setdefault(loop, []).append((future, ok, value))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_all, settled)
            except RuntimeError:  # the loop was closed meanwhile: nobody is waiting
                log.debug("store results for a closed event loop dropped")


def _settle_all(settled: list[tuple[asyncio.Future, bool, Any]]) -> None:
    for future, ok, value in settled:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
