"""One worker per printer: the next card is prepared while the current one prints.

Each worker has two coroutines:
- a *producer* that takes the next lease, decrypts its record and renders + encodes it in the
  shared thread pool (the native core releases the GIL), then hands it over through a one-card
  buffer. A semaphore lets it take the next lease as soon as the consumer starts a card, so
  exactly one card is prepared ahead: the printer never waits for its host, and a printer does
  not hoard leases that another printer could print.
- a *consumer* that, per card: checks the lease may still start (controller clock, expiry minus
  skew margin), journals the attempt (held -> started), calls the driver in the printer's own
  thread (on_fed journals PRINTING from that thread before the driver goes on), journals the
  outcome and wakes the sender.

Stopping (SIGTERM) only stops the consumer between cards; a card in progress always runs to its
outcome, because an unfinished attempt would have to be reported UNKNOWN.

A card left in the printer (the agent was killed after the feed; someone else's job) makes the
printer refuse every next card as busy. So the consumer asks the printer at start, and after a
refused card, whether a card is inside that no attempt of this run drives; if so it feeds
nothing (`card_left`, which the console shows with what to do) until the operator has said the
card is out (`card_removed`, the console's Continue) and the printer reports it empty.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from cetak.agent.backend import CardOutcome, PreparedCard, PrinterBackend, attempt_state
from cetak.agent.clock import ControllerClock
from cetak.agent.errors import JournalError
from cetak.agent.journal import Journal, LeaseInfo
from cetak.agent.leases import LeaseQueue
from cetak.agent.metrics import AgentMetrics
from cetak.api.v1 import agent_pb2, common_pb2

log = logging.getLogger(__name__)

CARD_LEFT_ERROR = "card left in the printer"  # PrinterStatus.error while the feed is held


def make_event(lease: LeaseInfo, attempt_id: str, state: int, printer_id: str, *,
               reason: str = "", blank_serial: str = "", at_ms: int) -> agent_pb2.JobEvent:
    return agent_pb2.JobEvent(
        event_id=str(uuid.uuid4()), lease_id=lease.lease_id, epoch=lease.epoch,
        record_id=lease.record_id, attempt_id=attempt_id, state=state, reason=reason,
        printer_id=printer_id, blank_serial=blank_serial, occurred_at_ms=at_ms,
        campaign_id=lease.campaign_id)


@dataclass
class PrinterStats:
    """Counters of one printer, for utilisation figures and metrics."""

    cards_started: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    busy_s: float = 0.0            # time inside print_card
    waiting_for_card_s: float = 0.0  # time the printer was idle waiting for a prepared card
    prepare_s: float = 0.0         # time spent rendering + encoding (in the pool)


@dataclass
class _Ready:
    lease: LeaseInfo
    card: PreparedCard | None
    error: BaseException | None


class PrinterWorker:
    def __init__(self, backend: PrinterBackend, *, journal: Journal, clock: ControllerClock,
                 queue: LeaseQueue, prepare_pool: Executor, wake: Callable[[], None],
                 retry_s: float = 5.0, metrics: AgentMetrics | None = None,
                 on_status: Callable[[common_pb2.PrinterStatus], None] | None = None,
                 status_every_s: float = 10.0) -> None:
        self.backend = backend
        self._on_status = on_status
        self._status_every_s = status_every_s
        self.metrics = metrics or AgentMetrics()
        self.printer_id = backend.printer_id
        self.stats = PrinterStats()
        self._journal = journal
        self._clock = clock
        self._queue = queue
        self._prepare_pool = prepare_pool
        self._wake = wake  # thread-safe: tells the sender there is something to send
        self._retry_s = retry_s
        self._print_thread = ThreadPoolExecutor(max_workers=1,
                                                thread_name_prefix=f"print-{self.printer_id}")
        self._ready: asyncio.Queue[_Ready] = asyncio.Queue(maxsize=1)
        self._ahead = asyncio.Semaphore(1)
        self._stop = asyncio.Event()
        self.printing: str | None = None  # lease id of the card in progress
        # The operator's pause (console): the card in progress finishes, no next card starts.
        self.paused = False
        self._unpaused = asyncio.Event()
        self._unpaused.set()
        self._kick = asyncio.Event()  # the operator fixed the printer: retry without waiting
        self.card_left = False       # a card no attempt of this run drives is in the printer
        self._card_removed = False   # the operator said it is out (since card_left was set)
        # Latest outcomes (ids only: no personal data) for the console, which offers to mark a
        # printed card spoiled or to resolve an unknown outcome.
        self.recent: deque[agent_pb2.JobEvent] = deque(maxlen=20)

    def stop(self) -> None:
        """Take no new card; the card in progress (if any) finishes."""
        self._stop.set()

    def pause(self) -> None:
        """Operator: start no new card until resume() (call on the event loop)."""
        self.paused = True
        self._unpaused.clear()

    def resume(self) -> None:
        """Operator: print again, and at once if the printer was waiting after a refusal
        (call on the event loop)."""
        self.paused = False
        self._unpaused.set()
        self.retry_now()

    def retry_now(self) -> None:
        """Operator: the printer is fixed; end the wait after a refused card (event loop)."""
        self._kick.set()

    def card_removed(self) -> None:
        """Operator: the card left in the printer is out; printing resumes once the printer
        reports no card inside (call on the event loop)."""
        if self.card_left:
            self._card_removed = True
        self._kick.set()

    async def run(self) -> None:
        producer = asyncio.create_task(self._produce(), name=f"prepare-{self.printer_id}")
        poller = asyncio.create_task(self._poll_status(), name=f"status-{self.printer_id}")
        try:
            await self._consume()
        finally:
            producer.cancel()
            poller.cancel()
            await asyncio.gather(producer, poller, return_exceptions=True)
            self._print_thread.shutdown(wait=True)

    # --- status -----------------------------------------------------------------------------

    async def _poll_status(self) -> None:
        """Ask an idle printer for its state now and then (a busy one reports through the
        driver's own polling), so errors and consumables reach the controller and metrics."""
        loop = asyncio.get_running_loop()
        while True:
            if self.printing is None:
                await loop.run_in_executor(self._print_thread, self._report_status, True)
            await self._sleep_unless_stopped(self._status_every_s)
            if self._stop.is_set():
                return

    def _report_status(self, query: bool) -> None:
        status_of = getattr(self.backend, "status", None)
        if status_of is None:
            return
        try:
            status = status_of(query=query)
        except Exception as exc:  # status is advisory: never let it stop printing
            log.debug("status of %s: %s", self.printer_id, type(exc).__name__)
            return
        if status is None:
            return
        if self.card_left:
            # The printer says busy; the controller and the metrics should see what the
            # console shows: a printer that needs a person.
            status.state = common_pb2.ERROR
            status.error = CARD_LEFT_ERROR
        self.metrics.printer_state(self.printer_id, status.state, status.consumables)
        if self._on_status is not None:
            self._on_status(status)

    # --- producer ---------------------------------------------------------------------------

    async def _produce(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._ahead.acquire()
            lease = await self._queue.take()
            if not self._clock.may_start(lease.expires_at_ms):
                self._give_up(lease)
                self._ahead.release()
                continue
            started = time.monotonic()
            try:
                card = await loop.run_in_executor(self._prepare_pool, self._prepare, lease)
                ready = _Ready(lease, card, None)
            except Exception as exc:  # any render/encode failure fails this card only
                ready = _Ready(lease, None, exc)
            self.stats.prepare_s += time.monotonic() - started
            if ready.card is not None:
                self.metrics.card_prepared(self.printer_id, time.monotonic() - started)
            await self._ready.put(ready)

    def _prepare(self, lease: LeaseInfo) -> PreparedCard:
        record = self._journal.load_record(lease.lease_id)
        return self.backend.prepare(record)

    # --- consumer ---------------------------------------------------------------------------

    async def _consume(self) -> None:
        await self._hold_while_card_left()
        while not self._stop.is_set():
            idle_since = time.monotonic()
            ready = await self._next_ready()
            self.stats.waiting_for_card_s += time.monotonic() - idle_since
            if ready is None:
                return
            if self.paused:
                await self._until(self._unpaused)
                if self._stop.is_set():
                    return  # the prepared lease stays held (returned on shutdown)
            self._ahead.release()  # the producer may now prepare the following card
            failed = await self._print_one(ready)
            if failed and not self._stop.is_set():
                if await self._hold_while_card_left():
                    continue  # the operator took the card out: go on at once
                # The printer refused a card without touching a blank (offline, no blanks):
                # pause so the window is not burnt as failures while someone fixes it.
                self._kick.clear()
                await self._until(self._kick, self._retry_s)

    async def _hold_while_card_left(self) -> bool:
        """Feed nothing while a card nobody drives is in the printer, until the operator has
        said it is out and the printer agrees; True if there was such a card."""
        loop = asyncio.get_running_loop()
        held = False
        while not self._stop.is_set():
            inside = await loop.run_in_executor(self._print_thread, self._card_inside)
            if not inside and (not self.card_left or self._card_removed):
                if self.card_left:
                    log.info("printer %s: the card left inside was removed; printing resumes",
                             self.printer_id)
                self.card_left = self._card_removed = False
                if held:
                    self._report_status(query=False)
                return held
            if inside and not self.card_left:
                log.warning("printer %s: a card is left in the printer; feeding nothing until "
                            "the operator removes it and presses Continue", self.printer_id)
                self.card_left = True
                self._report_status(query=False)
            held = True
            self._kick.clear()
            await self._until(self._kick, self._retry_s)
        return held

    def _card_inside(self) -> bool:
        """The printer reports a card inside (or is busy) while this worker prints nothing."""
        ask = getattr(self.backend, "card_inside", None)
        if ask is None:
            return False
        try:
            return bool(ask())
        except Exception as exc:  # a printer that cannot answer is handled when a card starts
            log.debug("card check of %s: %s", self.printer_id, type(exc).__name__)
            return False

    async def _until(self, event: asyncio.Event, seconds: float | None = None) -> None:
        """Wait for `event`, the stop, or `seconds`, whichever comes first."""
        waiters = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._stop.wait())}
        _, pending = await asyncio.wait(waiters, timeout=seconds,
                                        return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()

    async def _next_ready(self) -> _Ready | None:
        getter = asyncio.ensure_future(self._ready.get())
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if getter.done() and not self._stop.is_set():
            return getter.result()
        getter.cancel()
        # A prepared lease left unstarted stays `held` in the journal (returned on shutdown).
        return None

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _print_one(self, ready: _Ready) -> bool:
        """Print one prepared card; True when the printer failed before any card."""
        lease = ready.lease
        attempt_id = str(uuid.uuid4())
        current = self._journal.lease(lease.lease_id)
        if current is None or current.state != "held":
            log.info("lease %s was revoked before it started", lease.lease_id)
            return False
        if ready.error is not None:
            # Nothing reached the printer: the controller requeues the record. Only the type
            # is reported, since a message could quote the record's personal data.
            log.error("lease %s: preparing the card failed: %s", lease.lease_id,
                      type(ready.error).__name__)
            self._finish_unstarted(lease, attempt_id,
                                   f"render failed: {type(ready.error).__name__}")
            return False
        if not self._clock.may_start(lease.expires_at_ms):
            self._give_up(lease)
            return False
        if not self._journal.begin_attempt(lease.lease_id, attempt_id, self.printer_id,
                                           self._clock.now_ms()):
            log.info("lease %s was revoked before it started", lease.lease_id)
            return False
        self.printing = lease.lease_id
        self.stats.cards_started += 1
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        fed = _FedCallback(self, lease, attempt_id)
        card = dataclasses.replace(ready.card, attempt_id=attempt_id)
        try:
            # Not cancellable on purpose: the outcome of a started card is always journaled.
            outcome = await asyncio.shield(loop.run_in_executor(
                self._print_thread, self._call_driver, card, fed))
        finally:
            self.stats.busy_s += time.monotonic() - started
            self.printing = None
        outcome = self._checked(outcome, fed.called)
        took_job = outcome.state != common_pb2.FAILED_BEFORE_CARD  # a refused job never ran
        self.metrics.card_outcome(self.printer_id, outcome.state, outcome.reason,
                                  seconds=time.monotonic() - started if took_job else None)
        if took_job:
            self.metrics.bytes_sent(self.printer_id, len(getattr(ready.card.job, "data", b"")))
        name = common_pb2.AttemptState.Name(outcome.state)
        self.stats.outcomes[name] = self.stats.outcomes.get(name, 0) + 1
        event = make_event(lease, attempt_id, outcome.state, self.printer_id,
                           reason=outcome.reason, blank_serial=outcome.blank_serial or fed.serial,
                           at_ms=self._clock.now_ms())
        self._journal.record_event(event)
        self._report_status(query=False)
        self._wake()
        log.info("lease %s on %s: %s %s", lease.lease_id, self.printer_id, name, outcome.reason)
        self.recent.append(event)
        return outcome.state == common_pb2.FAILED_BEFORE_CARD

    def _call_driver(self, card: PreparedCard, on_fed: _FedCallback) -> CardOutcome:
        try:
            return self.backend.print_card(card, on_fed)
        except Exception as exc:
            # The driver translates printer trouble into outcomes; an exception means we do
            # not know what happened to the blank, so the record is held, never reprinted.
            log.error("printer %s: driver error %s", self.printer_id, type(exc).__name__)
            return CardOutcome(common_pb2.UNKNOWN, f"driver error: {type(exc).__name__}")

    def _checked(self, outcome: CardOutcome, fed: bool) -> CardOutcome:
        try:
            state = attempt_state(outcome.state)
        except ValueError:
            state = -1
        if state not in (common_pb2.PRINTED, common_pb2.SPOILED, common_pb2.FAILED_BEFORE_CARD,
                         common_pb2.UNKNOWN):
            return CardOutcome(common_pb2.UNKNOWN, f"driver returned state {outcome.state!r}",
                               outcome.blank_serial or "")
        if state == common_pb2.FAILED_BEFORE_CARD and fed:
            # A fed blank cannot have "failed before card": what became of it is unknown.
            return CardOutcome(common_pb2.UNKNOWN,
                               f"failed after feed: {outcome.reason}", outcome.blank_serial or "")
        return CardOutcome(state, outcome.reason or "", outcome.blank_serial or "")

    def _finish_unstarted(self, lease: LeaseInfo, attempt_id: str, reason: str) -> None:
        event = make_event(lease, attempt_id, common_pb2.FAILED_BEFORE_CARD, self.printer_id,
                           reason=reason, at_ms=self._clock.now_ms())
        try:
            self._journal.record_event(event)
        except JournalError:
            log.info("lease %s was revoked meanwhile", lease.lease_id)
            return
        self._wake()

    def _give_up(self, lease: LeaseInfo) -> None:
        """Too close to expiry to start: never print it; return it when connected."""
        if self._journal.mark_returning(lease.lease_id):
            log.warning("lease %s not started: it expires at %d (controller clock) minus a "
                        "margin of %d ms", lease.lease_id, lease.expires_at_ms,
                        self._clock.skew_margin_ms)
            self._wake()


class _FedCallback:
    """on_fed for one attempt: journals PRINTING (in the printer thread) exactly once."""

    def __init__(self, worker: PrinterWorker, lease: LeaseInfo, attempt_id: str) -> None:
        self._worker = worker
        self._lease = lease
        self._attempt_id = attempt_id
        self.called = False
        self.serial = ""

    def __call__(self, blank_serial: str = "") -> None:
        if self.called:
            return
        self.called = True
        self.serial = blank_serial or ""
        w = self._worker
        event = make_event(self._lease, self._attempt_id, common_pb2.PRINTING, w.printer_id,
                           blank_serial=self.serial, at_ms=w._clock.now_ms())
        w._journal.record_event(event)
        w._wake()

    def spooled(self, job_id: str) -> None:
        """A spooler named this attempt's job: journal its id (in the printer thread) before
        the backend asks anything more of the spooler."""
        self._worker._journal.set_spool_job(self._attempt_id, job_id)
