"""Loopback TCP proxies between agents and the controller, switchable to cut the network.

One listener per agent, all forwarding to one upstream (the controller), served by an asyncio
loop in a background thread so a synchronous drill can flip them:
- `pass`: bytes flow both ways;
- `drop`: every connection is reset and new ones are closed at once (a link that fails loudly);
- `blackhole`: connections are accepted and kept, nothing is delivered either way until the
  mode returns to `pass` (a link that fails silently: only timeouts and heartbeats notice).
  Bytes already read are held, not discarded, so a stream that survives resumes intact, as TCP
  would after the network heals.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MODES = ("pass", "drop", "blackhole")
CHUNK = 65536


@dataclass
class _Listener:
    name: str
    server: asyncio.AbstractServer | None = None
    port: int = 0
    mode: str = "pass"
    flowing: asyncio.Event = field(default_factory=asyncio.Event)
    conns: set[asyncio.StreamWriter] = field(default_factory=set)
    connections: int = 0          # connections forwarded upstream, over the proxy's life
    last_downstream: float = 0.0  # time.monotonic() of the last bytes sent to the agent


class PartitionProxy:
    """`add(name)` -> local port to give the agent; `set_mode(name, mode)` from any thread."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listeners: dict[str, _Listener] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="partition-proxy",
                                        daemon=True)
        self._thread.start()

    def _call(self, coro, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def add(self, name: str) -> int:
        return self._call(self._add(name))

    def set_mode(self, name: str, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self._call(self._set_mode(self._listeners[name], mode))

    def last_downstream(self, name: str) -> float:
        """When bytes last went from the controller to this agent (time.monotonic())."""
        return self._listeners[name].last_downstream

    def connections(self, name: str) -> int:
        return self._listeners[name].connections

    def close(self) -> None:
        try:
            self._call(self._close_all())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    # -- in the proxy's loop ---------------------------------------------------------------

    async def _add(self, name: str) -> int:
        listener = _Listener(name)
        listener.flowing.set()
        listener.server = await asyncio.start_server(
            lambda r, w: self._serve(listener, r, w), "127.0.0.1", 0)
        listener.port = listener.server.sockets[0].getsockname()[1]
        self._listeners[name] = listener
        return listener.port

    async def _set_mode(self, listener: _Listener, mode: str) -> None:
        log.info("proxy %s: %s", listener.name, mode)
        listener.mode = mode
        if mode == "pass":
            listener.flowing.set()
            return
        listener.flowing.clear()
        if mode == "drop":
            for writer in list(listener.conns):
                _abort(writer)
            listener.conns.clear()

    async def _serve(self, listener: _Listener, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        if listener.mode == "drop":
            _abort(writer)
            return
        listener.conns.add(writer)
        up_writer = None
        try:
            await listener.flowing.wait()  # black-holed: accepted, but nothing goes through
            if writer.is_closing():
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                return  # the controller is down: the agent sees its connection close
            listener.conns.add(up_writer)
            listener.connections += 1
            await asyncio.gather(self._pump(listener, reader, up_writer, False),
                                 self._pump(listener, up_reader, writer, True))
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    listener.conns.discard(w)
                    _abort(w)

    async def _pump(self, listener: _Listener, src: asyncio.StreamReader,
                    dst: asyncio.StreamWriter, downstream: bool) -> None:
        try:
            while True:
                data = await src.read(CHUNK)
                if not data:
                    break
                await listener.flowing.wait()
                if dst.is_closing():
                    break
                dst.write(data)
                await dst.drain()
                if downstream:
                    listener.last_downstream = time.monotonic()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # one side ended: end the other, as a plain TCP relay would
            _abort(dst)

    async def _close_all(self) -> None:
        for listener in self._listeners.values():
            if listener.server is not None:
                listener.server.close()
            for writer in list(listener.conns):
                _abort(writer)
            listener.conns.clear()
            listener.flowing.set()  # wakes waiting pumps, which then see closed sockets


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close at once without waiting for buffered data (a reset, like a failed link)."""
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()
