"""One AgentService.Connect stream: Hello/Welcome, then a reader and a writer until it breaks.

The writer sends, each time it is woken (or a heartbeat is due), in this order: lease returns,
unsent journaled events (journal order; a new session starts from the first unacknowledged
one, which is the replay; all that is pending in one EventBatch when the controller reads
them), credit, heartbeat. Everything it sends is read from the journal, so
a message lost with a broken stream is simply sent again by the next session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import grpc

from cetak.agent.leases import credit_wanted
from cetak.api.v1 import agent_pb2

if TYPE_CHECKING:
    from cetak.agent.runner import Agent

log = logging.getLogger(__name__)


class SessionEnded(Exception):
    """The stream ended (controller closed it, went silent, or answered wrongly)."""


class Session:
    def __init__(self, agent: Agent, call: grpc.aio.StreamStreamCall) -> None:
        self.agent = agent
        self.call = call
        self.window = 0
        self._sent_seq = 0          # events up to this seq were sent on this stream
        self._sent_action_seq = 0   # operator actions likewise (their own journal table)
        self._credit_view = 0       # leases the controller may still send us unasked
        self._closing = False
        self._last_heartbeat = 0.0
        self._batches = False       # the controller reads EventBatch (its Welcome said so)

    async def open(self) -> agent_pb2.Welcome:
        a = self.agent
        await self.call.write(agent_pb2.AgentMessage(hello=a.hello()))
        reply = await asyncio.wait_for(self.call.read(), timeout=a.tuning.connect_timeout_s)
        if reply is grpc.aio.EOF or not reply.HasField("welcome"):
            raise SessionEnded("controller did not answer Hello with Welcome")
        welcome = reply.welcome
        a.on_welcome(welcome, a.clock.local_ms())
        self.window = max(0, welcome.window)
        self._batches = welcome.batches
        return welcome

    async def run(self) -> None:
        reader = asyncio.create_task(self._read_loop(), name="session-read")
        writer = asyncio.create_task(self._write_loop(), name="session-write")
        try:
            done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if writer in done and writer.exception() is None:
                # We half-closed (shutdown): let the controller finish reading and close.
                await asyncio.wait_for(reader, timeout=self.agent.tuning.shutdown_flush_s)
            for task in done:
                task.result()
        finally:
            for task in (reader, writer):
                task.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)

    def close(self) -> None:
        """Half-close after the writer has sent what is pending (shutdown)."""
        self._closing = True
        self.agent.wake()

    # --- reading ----------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        a = self.agent
        while True:
            try:
                msg = await asyncio.wait_for(self.call.read(), timeout=a.tuning.silence_s)
            except TimeoutError as exc:
                raise SessionEnded(f"controller silent for {a.tuning.silence_s:g} s") from exc
            if msg is grpc.aio.EOF:
                if self._closing:
                    return
                raise SessionEnded("controller closed the stream")
            kind = msg.WhichOneof("body")
            if kind in ("lease", "leases"):
                for lease in [msg.lease] if kind == "lease" else msg.leases.leases:
                    if a.on_lease(lease):
                        self._credit_view = max(0, self._credit_view - 1)
            elif kind == "ack":
                a.on_ack(msg.ack)
            elif kind == "lease_revoke":
                a.on_revoke(msg.lease_revoke)
            elif kind == "window_update":
                window = max(0, msg.window_update.window)
                if window != self.window:
                    log.info("controller window now %d (was %d)", window, self.window)
                self.window = window  # the writer's next credit follows it
            elif kind == "heartbeat":
                pass  # any message proves the stream alive
            elif kind == "welcome":
                log.warning("controller sent a second Welcome; ignored")
            a.wake()

    # --- writing ----------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        a = self.agent
        while True:
            a.wake_event.clear()
            await self._send_returns()
            await self._send_events()
            await self._send_actions()
            await self._send_credit()
            await self._send_statuses()
            await self._send_heartbeat_if_due()
            if self._closing and not a.journal.leases("returning"):
                await self.call.done_writing()
                return
            due = self._last_heartbeat + a.tuning.heartbeat_s - time.monotonic()
            try:
                await asyncio.wait_for(a.wake_event.wait(), timeout=max(0.0, due))
            except TimeoutError:
                pass

    async def _send_returns(self) -> None:
        a = self.agent
        leases = a.journal.leases("returning")
        if not leases:
            return
        ids = [lease.lease_id for lease in leases]
        reason = "agent shutting down" if a.stopping else "expired before it could start"
        await self.call.write(agent_pb2.AgentMessage(
            lease_return=agent_pb2.LeaseReturn(lease_ids=ids, reason=reason)))
        a.journal.returned(ids)
        log.info("returned %d lease(s): %s", len(ids), reason)

    async def _send_events(self) -> None:
        a = self.agent
        while True:
            batch = a.journal.pending_events(after_seq=self._sent_seq)
            if not batch:
                return
            if self._batches and len(batch) > 1:
                await self.call.write(agent_pb2.AgentMessage(events=agent_pb2.EventBatch(
                    events=[event for _, event in batch])))
                self._sent_seq = batch[-1][0]
                continue
            for seq, event in batch:
                await self.call.write(agent_pb2.AgentMessage(event=event))
                self._sent_seq = seq

    async def _send_actions(self) -> None:
        a = self.agent
        while True:
            batch = a.journal.pending_actions(after_seq=self._sent_action_seq)
            if not batch:
                return
            for seq, action in batch:
                await self.call.write(agent_pb2.AgentMessage(operator_action=action))
                self._sent_action_seq = seq

    async def _send_credit(self) -> None:
        a = self.agent
        if a.stopping:
            return
        wanted = credit_wanted(self.window, len(a.backends), a.journal.outstanding_count())
        # Credit replaces the controller's count, so only ask when we want more than it
        # will send anyway; a race only costs a redundant message.
        if wanted > self._credit_view:
            await self.call.write(agent_pb2.AgentMessage(credit=agent_pb2.Credit(slots=wanted)))
            self._credit_view = wanted

    async def _send_statuses(self) -> None:
        for status in self.agent.take_unsent_statuses():
            await self.call.write(agent_pb2.AgentMessage(printer_status=status))

    async def _send_heartbeat_if_due(self) -> None:
        a = self.agent
        if time.monotonic() - self._last_heartbeat >= a.tuning.heartbeat_s:
            await self.call.write(agent_pb2.AgentMessage(
                heartbeat=agent_pb2.Heartbeat(time_ms=a.clock.now_ms())))
            self._last_heartbeat = time.monotonic()
