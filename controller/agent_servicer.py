"""AgentService: one bidirectional stream per agent. Translates messages, calls the ledger.

Per stream: a reader task turns agent messages into ledger calls (through the StoreWorker,
which group-commits across streams) and a writer drains an outgoing queue. Credit the ledger
cannot satisfy now (no queued work, no blanks) is remembered and retried on a timer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import grpc

from cetak.api.v1 import agent_pb2, agent_pb2_grpc
from cetak.security.errors import PermissionDenied

from . import serde
from .ledger import Ledger, LedgerError
from .metrics import ControllerMetrics
from .model import AckStatus, AgentEvent, EventResult, LeaseGrant
from .store.worker import StoreWorker

if TYPE_CHECKING:
    from cetak.security.identity import Identity
    from cetak.security.revocation import Revocations

log = logging.getLogger(__name__)

AgentAuthorizer = Callable[[grpc.aio.ServicerContext, agent_pb2.Hello], "Identity | None"]

# Messages read ahead of the one being handled, per stream (a run of them is one store call).
INBOX_LIMIT = 1024
# A LeaseBatch's leases add up to at most this (the message cap is 8 MiB: controller/server.py).
LEASE_BATCH_BYTES = 4 * 1024 * 1024


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class AgentSession:
    agent_id: str
    site_code: str
    window: int
    window_hours: float
    credit: int = 0
    told_window: int = 0  # the window the agent was last given (Welcome, WindowUpdate)
    outgoing: asyncio.Queue = field(default_factory=asyncio.Queue)
    cert_serial: int = 0  # the agent's certificate (0: plaintext), watched for revocation
    batches: bool = False  # the agent reads LeaseBatch (its Hello said so)


class AgentServicer(agent_pb2_grpc.AgentServiceServicer):
    def __init__(self, ledger: Ledger, worker: StoreWorker, *, controller_id: str = "controller",
                 authorize: AgentAuthorizer | None = None, regrant_interval_s: float = 0.5,
                 heartbeat_s: float = 5.0, hooks: object | None = None,
                 metrics: ControllerMetrics | None = None,
                 revocations: Revocations | None = None) -> None:
        self.ledger = ledger
        self.worker = worker
        self.controller_id = controller_id
        self.authorize = authorize
        self.regrant_interval_s = regrant_interval_s
        self.heartbeat_s = heartbeat_s
        self.sessions: dict[str, AgentSession] = {}
        self.hooks = hooks
        self.metrics = metrics or ControllerMetrics()
        self.revocations = revocations
        self._stop_listening: Callable[[], None] | None = None

    async def Connect(
        self, request_iterator: AsyncIterator[agent_pb2.AgentMessage],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[agent_pb2.ControllerMessage]:
        messages = request_iterator.__aiter__()
        try:
            first = await messages.__anext__()
        except StopAsyncIteration:
            first = None
        if first is None or not first.HasField("hello"):
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "first message must be hello")
        hello = first.hello
        if not hello.agent_id or not hello.site_code:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "hello: agent_id and site_code are required")
        identity = None
        if self.authorize is not None:
            try:
                identity = self.authorize(context, hello)
            except PermissionDenied as exc:
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, exc.reason)
        self._listen_for_queued_work()
        session = await self._open(hello)
        session.cert_serial = identity.serial if identity is not None else 0
        previous = self.sessions.get(hello.agent_id)
        self.sessions[hello.agent_id] = session
        if previous is not None:
            previous.outgoing.put_nowait(None)  # the newer stream wins; end the old one
        reader = asyncio.create_task(self._read(session, messages))
        ticker = asyncio.create_task(self._tick(session))
        try:
            while True:
                message = await session.outgoing.get()
                if message is None:
                    break
                yield message
        finally:
            reader.cancel()
            ticker.cancel()
            if self.sessions.get(session.agent_id) is session:
                del self.sessions[session.agent_id]
                await self.worker.call(self.ledger.disconnected, session.agent_id, now_ms())

    async def _open(self, hello: agent_pb2.Hello) -> AgentSession:
        printers = [serde.printer_report(p) for p in hello.printers]
        with self.metrics.time_store("hello"):
            result = await self.worker.call(
                self.ledger.hello, hello.agent_id, hello.site_code, printers,
                list(hello.held_lease_ids), hello.software_version, hello.window_hours,
                now_ms())
        self.metrics.session_opened(hello.site_code)
        session = AgentSession(agent_id=hello.agent_id, site_code=hello.site_code,
                               window=result.window, window_hours=hello.window_hours,
                               told_window=result.window, batches=hello.batches)
        policy = self.ledger.policy
        session.outgoing.put_nowait(agent_pb2.ControllerMessage(welcome=agent_pb2.Welcome(
            server_time_ms=now_ms(), skew_margin_ms=policy.skew_margin_ms,
            lease_duration_ms=policy.lease_ms, window=result.window,
            controller_id=self.controller_id, batches=True)))
        if result.revoke:
            session.outgoing.put_nowait(agent_pb2.ControllerMessage(
                lease_revoke=agent_pb2.LeaseRevoke(lease_ids=result.revoke,
                                                   reason="not active at the controller")))
        self._send_leases(session, result.resend)
        return session

    async def _read(self, session: AgentSession,
                    request_iterator: AsyncIterator[agent_pb2.AgentMessage]) -> None:
        """Messages are taken off the stream as they come and handled in order; whatever
        queued up while the previous store call ran is handled together: a run of events and
        credit becomes one store call (one savepoint, one ack), not one per message."""
        inbox: list[agent_pb2.AgentMessage | None] = []
        arrived = asyncio.Event()
        room = asyncio.Event()

        async def feed() -> None:
            try:
                async for message in request_iterator:
                    inbox.append(message)
                    arrived.set()
                    if len(inbox) >= INBOX_LIMIT:  # a flooding agent waits, memory stays bounded
                        room.clear()
                        await room.wait()
            finally:
                inbox.append(None)
                arrived.set()

        feeder = asyncio.create_task(feed())
        try:
            ended = False
            while not ended:
                await arrived.wait()
                arrived.clear()
                batch = inbox[:]
                inbox.clear()
                room.set()
                if batch and batch[-1] is None:
                    ended = True
                    batch.pop()
                await self._handle_batch(session, batch)  # type: ignore[arg-type]
            await feeder  # raises what ended the stream, if it broke
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken stream ends the session; the agent reconnects
            self.metrics.stream_error(exc)
            log.info("agent %s stream ended with an error", session.agent_id, exc_info=True)
        finally:
            feeder.cancel()
            session.outgoing.put_nowait(None)

    async def _handle_batch(self, session: AgentSession,
                            messages: list[agent_pb2.AgentMessage]) -> None:
        i = 0
        while i < len(messages):
            # A run of events, credit and heartbeats: the events in their order, then one
            # grant for the latest credit (credit is absolute, so the latest is the one).
            events: list[agent_pb2.JobEvent] = []
            credit: int | None = None
            while i < len(messages):
                message = messages[i]
                kind = message.WhichOneof("body")
                if kind == "event":
                    events.append(message.event)
                elif kind == "events":
                    events.extend(message.events.events)
                elif kind == "credit":
                    credit = max(0, message.credit.slots)
                elif kind == "heartbeat":
                    await self._handle(session, message)
                else:
                    break
                i += 1
            if credit is not None:
                session.credit = credit
            if events:
                await self._events(session, events)
            elif credit is not None:
                await self._grant(session)
            if i < len(messages):
                await self._handle(session, messages[i])  # in order with the runs around it
                i += 1

    async def _handle(self, session: AgentSession, message: agent_pb2.AgentMessage) -> None:
        kind = message.WhichOneof("body")
        if kind in ("event", "events"):
            await self._events(session, [message.event] if kind == "event"
                               else list(message.events.events))
        elif kind == "credit":
            session.credit = max(0, message.credit.slots)
            await self._grant(session)
        elif kind == "lease_return":
            await self.worker.call(self.ledger.return_leases, session.agent_id,
                                   list(message.lease_return.lease_ids), now_ms())
        elif kind == "printer_status":
            status = message.printer_status
            await self.worker.call(self.ledger.printer_status, session.agent_id,
                                   status.printer_id, status.SerializeToString(), now_ms())
        elif kind == "heartbeat":
            session.outgoing.put_nowait(agent_pb2.ControllerMessage(
                heartbeat=agent_pb2.Heartbeat(time_ms=now_ms())))
        elif kind == "operator_action":
            action = message.operator_action
            log.info("operator action %s on printer %s at agent %s", action.action,
                     action.printer_id, session.agent_id)
            # Acked only once audited, so the agent keeps replaying it until it is on record.
            fresh = await self.worker.call(_audit_operator_action, self.ledger, session, action,
                                           now_ms())
            session.outgoing.put_nowait(agent_pb2.ControllerMessage(ack=agent_pb2.Ack(events=[
                agent_pb2.EventAck(event_id=action.action_id,
                                   status=agent_pb2.APPLIED if fresh else agent_pb2.DUPLICATE)])))
        elif kind == "hello":
            log.warning("agent %s sent a second hello; ignored", session.agent_id)

    async def _events(self, session: AgentSession, events: list[agent_pb2.JobEvent]) -> None:
        domain = []
        rejected: list[EventResult] = []
        for e in events:
            try:
                domain.append(serde.event_from_pb(e))
            except serde.BadMessage as exc:
                # Acknowledged as flagged so the agent stops resending what can never apply.
                rejected.append(EventResult(e.event_id, AckStatus.FLAGGED, f"malformed: {exc}"))
                self.metrics.event("malformed", "invalid")
                log.warning("agent %s sent a malformed event: %s", session.agent_id, exc)
        if rejected:
            session.outgoing.put_nowait(serde.ack_to_pb(rejected))
        if not domain:
            await self._grant(session)
            return
        # One store call applies the events and, as a finished lease frees a window slot,
        # tops the agent up at once.
        with self.metrics.time_store("apply_events"):
            results, grants = await self.worker.call(
                _apply_and_grant, self.ledger, session.agent_id, domain, session.site_code,
                session.credit, session.window, now_ms())
        # One labelled increment per (status, state) of the batch, not one per event.
        for (status, state), n in Counter(
                (str(r.status), str(e.state)) for e, r in zip(domain, results, strict=False)
        ).items():
            self.metrics.event(status, state, n)
        if results:
            session.outgoing.put_nowait(serde.ack_to_pb(results))
        self._send_grants(session, grants)

    async def _grant(self, session: AgentSession) -> None:
        if session.credit <= 0:
            return
        try:
            with self.metrics.time_store("grant"):
                grants = await self.worker.call(self.ledger.grant, session.agent_id,
                                                session.site_code, session.credit, now_ms(),
                                                session.window)
        except LedgerError as exc:
            log.warning("cannot lease to agent %s: %s", session.agent_id, exc)
            return
        self._send_grants(session, grants)

    def _send_grants(self, session: AgentSession, grants: list[LeaseGrant]) -> None:
        session.credit -= len(grants)
        self.metrics.granted(session.site_code, len(grants))
        self._send_leases(session, grants)

    @staticmethod
    def _send_leases(session: AgentSession, grants: list[LeaseGrant]) -> None:
        leases = [serde.lease_pb(g) for g in grants]
        if not (session.batches and len(leases) > 1):
            for lease in leases:
                session.outgoing.put_nowait(agent_pb2.ControllerMessage(lease=lease))
            return
        # Leases carry photos (up to 2 MB each): a batch stays well under the message cap.
        batch: list[agent_pb2.Lease] = []
        size = 0
        for lease in leases:
            n = lease.ByteSize()
            if batch and size + n > LEASE_BATCH_BYTES:
                session.outgoing.put_nowait(agent_pb2.ControllerMessage(
                    leases=agent_pb2.LeaseBatch(leases=batch)))
                batch, size = [], 0
            batch.append(lease)
            size += n
        session.outgoing.put_nowait(agent_pb2.ControllerMessage(
            leases=agent_pb2.LeaseBatch(leases=batch)))

    # -- queued work announced by the store (PostgreSQL: other replicas) ---------------------

    def _listen_for_queued_work(self) -> None:
        """Once, on the first stream: if the store can announce queued work (PostgresStore
        NOTIFY), grant at once to sessions of that site holding credit. The regrant timer stays
        the backstop. The store stops the listener when it is closed (Controller.stop)."""
        listen = getattr(self.ledger.store, "listen", None)
        if listen is None or self._stop_listening is not None:
            return
        loop = asyncio.get_running_loop()

        def on_queued(site_code: str) -> None:  # the store's listener thread
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._queued_at, site_code)

        self._stop_listening = listen(on_queued)

    def _queued_at(self, site_code: str) -> None:
        for session in list(self.sessions.values()):
            if session.site_code == site_code and session.credit > 0:
                asyncio.create_task(self._grant(session))

    async def _tick(self, session: AgentSession) -> None:
        last_window = 0.0
        while True:
            await asyncio.sleep(self.regrant_interval_s)
            if (self.revocations is not None and session.cert_serial
                    and self.revocations.is_revoked(session.cert_serial)):
                # Revoked while connected: end the stream; its reconnection is refused.
                log.warning("agent %s: certificate revoked, stream closed", session.agent_id)
                session.outgoing.put_nowait(None)
                return
            if time.monotonic() - last_window > 5.0:
                # Blanks arrive and rates change: the window follows them.
                session.window = await self.worker.call(
                    self.ledger.window_for, session.agent_id, session.site_code,
                    session.window_hours)
                last_window = time.monotonic()
                self._tell_window(session)
            await self._grant(session)

    @staticmethod
    def _tell_window(session: AgentSession) -> None:
        """Send the agent its window when it changed. The agent asks for credit up to the
        window it was told, and a grant never exceeds what it asks: without this, an agent
        that connected before its site's blanks arrived (Welcome's window 0) would go on
        asking for its floor only, and hold far less than its outage window promises."""
        if session.window == session.told_window:
            return
        session.outgoing.put_nowait(agent_pb2.ControllerMessage(
            window_update=agent_pb2.WindowUpdate(window=session.window)))
        session.told_window = session.window


def _apply_and_grant(ledger: Ledger, agent_id: str, events: list[AgentEvent], site_code: str,
                     credit: int, window: int, now: int,
                     ) -> tuple[list[EventResult], list[LeaseGrant]]:
    """Store worker thread: apply an agent's events, then lease into the slots they freed.
    Each ledger call is its own savepoint: a refused grant leaves the applied events."""
    results = ledger.apply_events(agent_id, events, now)
    grants: list[LeaseGrant] = []
    if credit > 0:
        try:
            grants = ledger.grant(agent_id, site_code, credit, now, window)
        except LedgerError as exc:
            log.warning("cannot lease to agent %s: %s", agent_id, exc)
    return results, grants


def _audit_operator_action(ledger: Ledger, session: AgentSession,
                           action: agent_pb2.OperatorAction, now: int) -> bool:
    """An operator's action at a site's console, as its own audit entry (store worker thread),
    once: an action the agent sends again (its ack was lost) is known by its id, like a job
    event, and not audited twice. False for such a repeat."""
    store = ledger.store
    key = f"operator:{action.action_id}"  # apart from job event ids in applied_events
    with store.transaction():
        if store.event_status(session.agent_id, key) is not None:
            return False
        ledger.audit(f"agent:{session.agent_id}", f"operator.{action.action[:40]}",
                     action_id=action.action_id, site_code=session.site_code,
                     printer_id=action.printer_id, detail=action.detail[:2000],
                     occurred_at_ms=action.occurred_at_ms)
        store.record_event(session.agent_id, key, "APPLIED", "", now)
    return True
