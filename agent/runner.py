"""The agent: journal recovery, printer workers, the controller connection, graceful shutdown.

Connection: one stream at a time (see session.py). When it breaks the agent reconnects with
exponential backoff and full jitter; printing goes on meanwhile from the held leases, each only
while `expires_at_ms - skew_margin_ms` (controller clock) is still ahead when its card would
start. Leases that missed that moment are returned on the next connection.

Shutdown (request_stop, e.g. SIGTERM): workers take no new card and finish the one in progress,
whose outcome is journaled; then, for up to `shutdown_flush_s`, the agent sends what is
unacknowledged and, while connected, returns its unstarted leases; then it half-closes the
stream and closes the journal. Leases not returned (controller unreachable) stay in the journal
and are resumed by the next start.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import grpc

from cetak.agent.backend import PrinterBackend
from cetak.agent.backoff import Backoff
from cetak.agent.clock import ControllerClock
from cetak.agent.config import AgentConfig
from cetak.agent.journal import Journal
from cetak.agent.leases import LeaseQueue
from cetak.agent.metrics import AgentMetrics
from cetak.agent.pipeline import PrinterWorker, make_event
from cetak.agent.session import Session, SessionEnded
from cetak.api.v1 import agent_pb2, agent_pb2_grpc, common_pb2

log = logging.getLogger(__name__)

ChannelFactory = Callable[[], grpc.aio.Channel]

_META_OFFSET = "clock_offset_ms"
_META_MARGIN = "skew_margin_ms"


def software_version() -> str:
    try:
        return importlib.metadata.version("cetak")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class Agent:
    def __init__(self, config: AgentConfig, journal: Journal,
                 backends: Sequence[PrinterBackend], channel_factory: ChannelFactory, *,
                 clock: ControllerClock | None = None, backoff: Backoff | None = None,
                 metrics: AgentMetrics | None = None) -> None:
        self.config = config
        self.tuning = config.tuning
        self.journal = journal
        self.backends = list(backends)
        self.clock = clock or ControllerClock()
        self.backoff = backoff or Backoff(self.tuning.reconnect_initial_s,
                                          self.tuning.reconnect_max_s)
        self._channel_factory = channel_factory
        self.queue = LeaseQueue()
        self.workers: list[PrinterWorker] = []
        self.session: Session | None = None
        self.stopping = False
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.wake_event = asyncio.Event()
        self._stop_event = asyncio.Event()
        self.connections = 0  # successful Welcomes, for tests and logs
        # Why the controller refuses this agent ("revoked", "refused"), None once welcomed:
        # the console tells a revoked certificate apart from an outage.
        self.refused: str | None = None
        self._recovered: list[agent_pb2.JobEvent] = []
        self.statuses: dict[str, common_pb2.PrinterStatus] = {}
        self.unsent_statuses: set[str] = set()
        self._status_lock = threading.Lock()
        self.metrics = metrics or AgentMetrics(config.agent_id, config.site_code,
                                               software_version())
        self.metrics.watch(journal=journal, connected=lambda: self.connected)

    @property
    def connected(self) -> bool:
        return self.session is not None

    # --- lifecycle --------------------------------------------------------------------------

    async def run(self) -> int:
        """Run until request_stop(); returns the exit code: 0 after a clean stop, 1 when a
        printer worker failed (the agent then stops by itself)."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._recover()
        pool = ThreadPoolExecutor(max_workers=max(1, len(self.backends)),
                                  thread_name_prefix="prepare")
        self.workers = [PrinterWorker(b, journal=self.journal, clock=self.clock,
                                      queue=self.queue, prepare_pool=pool, wake=self.wake,
                                      retry_s=self.tuning.printer_retry_s,
                                      metrics=self.metrics, on_status=self.printer_status)
                        for b in self.backends]
        for event in self._recovered:  # the console lists them with the latest cards
            for w in self.workers:
                if w.printer_id == event.printer_id:
                    w.recent.append(event)
        worker_tasks = [asyncio.create_task(w.run(), name=f"printer-{w.printer_id}")
                        for w in self.workers]
        connection = asyncio.create_task(self._connection_loop(), name="connection")
        stopper = asyncio.create_task(self._stop_event.wait())
        await asyncio.wait({stopper, *worker_tasks}, return_when=asyncio.FIRST_COMPLETED)
        failed = False
        for task in worker_tasks:
            if task.done() and task.exception() is not None:
                # E.g. the journal cannot be written: stop everything rather than print cards
                # whose outcome cannot be kept. The next start reports the attempt UNKNOWN.
                log.error("printer worker failed; stopping", exc_info=task.exception())
                failed = True
        self.stopping = True
        log.info("stopping: no new cards; finishing the cards in progress")
        for w in self.workers:
            w.stop()
        await asyncio.gather(*worker_tasks, return_exceptions=True)
        stopper.cancel()
        # No render may outlive the journal; waited for off the loop, which still talks.
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
        await self._flush()
        await self._close_connection(connection)
        counts = self.journal.counts()
        self.journal.close()
        for b in self.backends:
            try:
                b.close()
            except Exception as exc:  # closing one printer must not keep others open
                log.warning("closing printer %s: %s", b.printer_id, type(exc).__name__)
        log.info("stopped; journal keeps %s", counts)
        return 1 if failed else 0

    def printer_status(self, status: common_pb2.PrinterStatus) -> None:
        """Keep a printer's latest status for the controller (thread-safe; latest wins)."""
        with self._status_lock:
            self.statuses[status.printer_id] = status
            self.unsent_statuses.add(status.printer_id)
        self.wake()

    def take_unsent_statuses(self) -> list[common_pb2.PrinterStatus]:
        with self._status_lock:
            out = [self.statuses[p] for p in sorted(self.unsent_statuses)]
            self.unsent_statuses.clear()
        return out

    def request_stop(self) -> None:
        """Begin a graceful stop (thread- and signal-safe)."""
        self._call_in_loop(self._stop_event.set)

    def wake(self) -> None:
        """Something new to send (thread-safe; printer threads call it from on_fed)."""
        self._call_in_loop(self.wake_event.set)

    def call_in_loop(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the agent's event loop, from any thread (the console's actions)."""
        self._call_in_loop(fn)

    def _call_in_loop(self, fn: Callable[[], None]) -> None:
        if self._loop is None or threading.get_ident() == self._loop_thread:
            fn()
        else:
            self._loop.call_soon_threadsafe(fn)

    def _recover(self) -> None:
        """Resume from the journal: restore the clock, settle attempts a crash interrupted,
        queue the held leases."""
        offset = self.journal.get_meta(_META_OFFSET)
        margin = self.journal.get_meta(_META_MARGIN)
        if offset is not None:
            self.clock.offset_ms = int(offset)
        if margin is not None:
            self.clock.skew_margin_ms = int(margin)
        backends = {b.printer_id: b for b in self.backends}
        for attempt in self.journal.open_attempts():
            # The outcome was never journaled: a blank may have been fed and printed. Report
            # UNKNOWN so the record is held for reconciliation; never print it again.
            state = common_pb2.UNKNOWN
            reason = ("agent stopped during the attempt, after feed" if attempt.fed
                      else "agent stopped during the attempt, feed not confirmed")
            blank = attempt.blank_serial
            settle = getattr(backends.get(attempt.printer_id), "settle", None)
            if settle is not None:
                # A spooler keeps the job: ask it (by the journaled job id, else by the
                # attempt id the job is named by) instead of guessing. Bounded by the
                # backend's own timeouts; nothing else runs yet.
                try:
                    outcome = settle(attempt.attempt_id, attempt.spool_job, attempt.fed)
                    state, reason = outcome.state, outcome.reason
                    blank = outcome.blank_serial or blank
                except Exception as exc:  # settling is best effort: UNKNOWN stays safe
                    log.error("lease %s: settling attempt %s failed: %s",
                              attempt.lease.lease_id, attempt.attempt_id, type(exc).__name__)
                if state == common_pb2.FAILED_BEFORE_CARD and attempt.fed:
                    state, reason = common_pb2.UNKNOWN, f"failed after feed: {reason}"
            event = make_event(attempt.lease, attempt.attempt_id, state,
                               attempt.printer_id, reason=reason,
                               blank_serial=blank, at_ms=self.clock.now_ms())
            self.journal.record_event(event)
            self._recovered.append(event)
            log.warning("lease %s: attempt %s interrupted by a restart: reporting %s%s",
                        attempt.lease.lease_id, attempt.attempt_id,
                        common_pb2.AttemptState.Name(state),
                        "; the operator console asks what became of the card"
                        if state == common_pb2.UNKNOWN else "")
        held = self.journal.leases("held")
        for lease in held:
            self.queue.put(lease)
        log.info("journal: %s", self.journal.counts())

    async def _flush(self) -> None:
        deadline = time.monotonic() + self.tuning.shutdown_flush_s
        while time.monotonic() < deadline:
            if self.connected:
                returned = [lease.lease_id for lease in self.journal.leases("held")
                            if self.journal.mark_returning(lease.lease_id)]
                if returned:
                    self.wake()
                if (self.journal.pending_event_count() == 0
                        and not self.journal.leases("returning")):
                    return
            await asyncio.sleep(0.05)
        log.warning("stopping with %d unacknowledged event(s) in the journal; they are sent "
                    "on the next start", self.journal.pending_event_count())

    async def _close_connection(self, connection: asyncio.Task) -> None:
        self._closing = True
        if self.session is not None:
            self.session.close()
            try:
                await asyncio.wait_for(asyncio.shield(connection),
                                       timeout=self.tuning.shutdown_flush_s)
            except Exception:  # timed out or the stream failed: cancelled below
                pass
        connection.cancel()
        await asyncio.gather(connection, return_exceptions=True)

    # --- connection -------------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        while not self._closing:
            try:
                await self._one_session()
            except (grpc.aio.AioRpcError, SessionEnded, TimeoutError, OSError) as exc:
                # A refused identity needs a person (certificate, agent_id, site_code); keep
                # retrying in case it is fixed on the controller side, but say so loudly.
                refused = isinstance(exc, grpc.aio.AioRpcError) and exc.code() in (
                    grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
                if refused:
                    self.refused = ("revoked" if "revoked" in (exc.details() or "")
                                    else "refused")
                log.log(logging.ERROR if refused else logging.WARNING, "controller stream: %s",
                        _describe(exc))
            except Exception:
                # A bug or a journal failure while talking: printing goes on from the journal
                # meanwhile, and a fresh stream replays from it.
                log.exception("controller session failed")
            if self._closing:
                return
            delay = self.backoff.next_delay()
            log.info("reconnecting in %.2f s", delay)
            await asyncio.sleep(delay)

    async def _one_session(self) -> None:
        channel = self._channel_factory()
        try:
            call = agent_pb2_grpc.AgentServiceStub(channel).Connect()
            session = Session(self, call)
            welcome = await session.open()
            self.backoff.reset()
            self.refused = None
            self.connections += 1
            self.session = session
            self.metrics.connected(True)
            log.info("connected to %s (window %d, margin %d ms, offset %d ms)",
                     welcome.controller_id or "controller", welcome.window,
                     welcome.skew_margin_ms, self.clock.offset_ms)
            try:
                await session.run()
            finally:
                self.session = None
                self.metrics.connected(False)
        finally:
            await channel.close(grace=None)

    # --- messages from the controller -------------------------------------------------------

    def hello(self) -> agent_pb2.Hello:
        held = [lease.lease_id for lease in self.journal.leases("held", "started", "done")]
        return agent_pb2.Hello(
            agent_id=self.config.agent_id, site_code=self.config.site_code,
            printers=[b.info() for b in self.backends], software_version=software_version(),
            held_lease_ids=held, window_hours=self.config.window_hours, batches=True)

    def on_welcome(self, welcome: agent_pb2.Welcome, received_local_ms: int) -> None:
        self.clock.sync(welcome.server_time_ms, welcome.skew_margin_ms, received_local_ms)
        self.journal.set_meta({_META_OFFSET: str(self.clock.offset_ms),
                               _META_MARGIN: str(self.clock.skew_margin_ms)})

    def on_lease(self, lease: agent_pb2.Lease) -> bool:
        """Journal a lease, then queue it; True if it was new."""
        if not self.journal.add_lease(lease):
            return False
        info = self.journal.lease(lease.lease_id)
        if info is None:
            return True
        if self.stopping or not self.clock.may_start(info.expires_at_ms):
            self.journal.mark_returning(info.lease_id)
        else:
            self.queue.put(info)
        return True

    def on_ack(self, ack: agent_pb2.Ack) -> None:
        for item in ack.events:
            if item.status == agent_pb2.FLAGGED:
                # Ids and the controller's reason only: never the record's personal data.
                log.warning("controller flagged event %s for review: %s", item.event_id,
                            item.detail[:200])
        self.journal.ack([item.event_id for item in ack.events])

    def on_revoke(self, revoke: agent_pb2.LeaseRevoke) -> None:
        for lease_id in revoke.lease_ids:
            if self.journal.drop_lease(lease_id):
                self.queue.remove(lease_id)
                log.info("lease %s revoked by the controller: dropped", lease_id)
            else:
                # Started (its outcome will be reported), or unknown here: nothing to drop.
                log.info("lease %s revoked by the controller but not droppable here", lease_id)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return f"{type(exc).__name__}: {exc}"
