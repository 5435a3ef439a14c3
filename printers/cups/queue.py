"""One card through one CUPS (or any IPP) queue: check, submit, follow, settle.

The spooler only knows jobs, so exactly-once is kept on the job (docs/cups.md has the table):

  * Before submitting, the queue must be idle-able: accepting jobs, not stopped, no error
    reason. Otherwise -> failed_before_card; nothing is sent.
  * One attempt is one job, named by the attempt id (job-name), so a restarted agent finds it.
    `on_submitted(job_id)` is called as soon as the server names the job, before anything
    else is asked of it; the agent journals the id there.
  * The job is followed (job-state, job-state-reasons, time-at-processing, the queue's
    printer-state-reasons). "Processing began" (time-at-processing set, or a processing
    state seen) counts as a fed blank: `on_processing()` is called once, and from then on no
    outcome may be failed_before_card.
  * Lost contact with the spooler while the job printed -> unknown (a restarted cupsd
    prints its interrupted job again), and what it requeued is cancelled.
  * completed -> printed, or unknown on a queue configured as not trusted; cancelled or
    aborted before processing -> failed_before_card; aborted after processing with a printer
    error seen -> spoiled(reason); anything else after processing began (cancelled by someone,
    aborted with no reason, the job vanished, the spooler restarted and requeued it, no result
    in time) -> unknown, and the job is cancelled where it still exists, so the spooler never
    prints it again behind the agent's back.
  * A job left waiting in the queue (queue stopped after the check, printer paused) past
    `pending_timeout` is withdrawn (Cancel-Job); once the server confirms it was cancelled
    without ever processing -> failed_before_card.

No agent or ledger types here: outcomes are (AttemptState value, reason) like the driver's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cetak.api.v1 import common_pb2
from cetak.printers.cups import ipp
from cetak.printers.status import Condition, PrinterStatus, State

log = logging.getLogger(__name__)

JOB_ATTRS = ("job-id", "job-name", "job-state", "job-state-reasons", "time-at-processing",
             "date-time-at-processing", "job-impressions-completed")
PRINTER_ATTRS = ("printer-state", "printer-state-reasons", "printer-is-accepting-jobs",
                 "printer-state-message", "marker-names", "marker-levels", "marker-types",
                 "printer-make-and-model")

# Fixed outcome reasons the console translates (agent/console/messages.py REASONS).
NOT_TRUSTED = "completed; queue not trusted: confirm"
CANCELLED_WHILE_PRINTING = "job cancelled while printing"
ABORTED_WHILE_PRINTING = "job aborted while printing"
VANISHED = "job vanished from the queue"
NO_JOB = "no job of this attempt in the queue"
QUEUE_NOT_ACCEPTING = "queue not accepting jobs"

# printer-state-reasons keywords (RFC 8011 5.4.12, PWG 5100.9) -> our conditions.
REASONS: dict[str, Condition] = {
    "media-empty": Condition.FEEDER_EMPTY,
    "media-needed": Condition.FEEDER_EMPTY,
    "input-tray-missing": Condition.FEEDER_EMPTY,
    "media-jam": Condition.CARD_JAM,
    "marker-supply-empty": Condition.RIBBON_OUT,
    "toner-empty": Condition.RIBBON_OUT,
    "marker-supply-missing": Condition.RIBBON_OUT,
    "cover-open": Condition.COVER_OPEN,
    "door-open": Condition.COVER_OPEN,
    "interlock-open": Condition.COVER_OPEN,
    "output-area-full": Condition.OUTPUT_FULL,
    "offline": Condition.OFFLINE,
    "shutdown": Condition.OFFLINE,
    "timed-out": Condition.OFFLINE,
}
# Reported in normal operation: never an error.
_BENIGN = {"none", "connecting-to-device", "cups-waiting-for-job-completed",
           "cups-remote-pending", "cups-remote-pending-held", "other", "moving-to-paused"}


@dataclass(frozen=True)
class QueueState:
    """What the queue says about itself, reduced to what the agent acts on."""

    accepting: bool
    stopped: bool
    processing: bool
    condition: Condition          # the first error reason, NONE when there is none
    reported: Condition           # the first reason even as -report/-warning (what happened)
    reasons: tuple[str, ...]      # the raw keywords, for messages and alerts
    message: str
    marker_percent: int | None    # the first marker (ribbon) level reported, 0..100

    @property
    def why_not_ready(self) -> str:
        if self.condition is not Condition.NONE:
            return self.condition.value
        if self.stopped:
            return Condition.QUEUE_STOPPED.value  # the reasons go to the status message
        if not self.accepting:
            return QUEUE_NOT_ACCEPTING
        return ""

    def to_status(self) -> PrinterStatus:
        if self.condition is Condition.OFFLINE:
            state = State.OFFLINE
        elif self.condition is not Condition.NONE or self.stopped or not self.accepting:
            state = State.ERROR
        else:
            state = State.BUSY if self.processing else State.READY
        condition = self.condition
        if state is State.ERROR and condition is Condition.NONE:
            condition = Condition.QUEUE_STOPPED if self.stopped else Condition.OTHER
        return PrinterStatus(
            state=state, condition=condition,
            message="; ".join(m for m in (self.message, ", ".join(self.reasons)) if m),
            ribbon_left=self.marker_percent,
            ribbon_capacity=100 if self.marker_percent is not None else None)


def parse_queue(attrs: Mapping[str, Any]) -> QueueState:
    reasons = tuple(str(r) for r in ipp.as_list(attrs.get("printer-state-reasons")))
    condition = Condition.NONE
    for reason in reasons:
        condition = reason_condition(reason)
        if condition is not Condition.NONE:
            break
    reported = Condition.NONE
    for reason in reasons:
        reported = reason_condition(reason.removesuffix("-report").removesuffix("-warning"))
        if reported is not Condition.NONE:
            break
    percent = None
    for level in ipp.as_list(attrs.get("marker-levels")):
        if isinstance(level, int) and 0 <= level <= 100:  # -1, -2, -3: unknown
            percent = level
            break
    message = attrs.get("printer-state-message")
    return QueueState(
        accepting=attrs.get("printer-is-accepting-jobs") is not False,
        stopped=attrs.get("printer-state") == ipp.PRINTER_STOPPED,
        processing=attrs.get("printer-state") == ipp.PRINTER_PROCESSING,
        condition=condition, reported=reported, reasons=tuple(r for r in reasons if r != "none"),
        message=message if isinstance(message, str) else "", marker_percent=percent)


def reason_condition(reason: str) -> Condition:
    """The condition of one printer-state-reasons keyword; NONE for reports, warnings and
    reasons that are part of normal operation."""
    if reason.endswith(("-report", "-warning")):
        return Condition.NONE
    base = reason.removesuffix("-error")
    if base in _BENIGN or base == "paused":
        return Condition.NONE
    return REASONS.get(base, Condition.OTHER)


@dataclass(frozen=True)
class JobOutcome:
    state: int          # common_pb2.AttemptState value
    reason: str = ""
    job_id: int | None = None
    processed: bool = False


class _Done(Exception):
    def __init__(self, outcome: JobOutcome) -> None:
        self.outcome = outcome


class CupsQueue:
    """Prints documents as jobs of one IPP queue and follows them to an outcome."""

    def __init__(self, client: ipp.IppClient, *, trusted: bool = True,
                 pending_timeout: float = 300.0, job_timeout: float = 600.0,
                 poll_interval: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.trusted = trusted
        self.pending_timeout = pending_timeout
        self.job_timeout = job_timeout
        self.poll_interval = poll_interval
        self._sleep, self._clock = sleep, clock
        self.last: QueueState | None = None

    # -- queue state -------------------------------------------------------------------------

    def state(self) -> QueueState:
        """Asks the server; raises ipp.IppError when it cannot be reached."""
        self.last = parse_queue(self.client.printer_attributes(PRINTER_ATTRS))
        return self.last

    def status(self) -> PrinterStatus:
        """The queue as a printer status; OFFLINE when the spooler cannot be reached."""
        try:
            return self.state().to_status()
        except ipp.IppError as exc:
            return PrinterStatus(State.OFFLINE, Condition.OFFLINE, message=str(exc))

    # -- one card ----------------------------------------------------------------------------

    def print_document(self, job_name: str, document: bytes, document_format: str,
                       options: Mapping[str, Any], *, on_submitted: Callable[[int], None],
                       on_processing: Callable[[], None]) -> JobOutcome:
        # A fresh connection for the submit: a kept one the server closed while idle would
        # fail mid-request, and a failed Print-Job is never simply sent again.
        self.client.close()
        try:
            pre = self.state()
        except ipp.IppError as exc:
            return JobOutcome(common_pb2.FAILED_BEFORE_CARD, f"spooler unreachable: {exc}")
        why = pre.why_not_ready
        if why:
            return JobOutcome(common_pb2.FAILED_BEFORE_CARD, why)
        try:
            job_id = self.client.print_job(job_name, document, document_format, options)
        except ipp.IppStatusError as exc:
            return JobOutcome(common_pb2.FAILED_BEFORE_CARD, f"spooler refused the job: {exc}")
        except ipp.IppUnreachable as exc:  # nothing was sent
            return JobOutcome(common_pb2.FAILED_BEFORE_CARD, f"spooler unreachable: {exc}")
        except ipp.IppError as exc:
            # The request may have arrived: the job is looked up by its name, never resent.
            log.warning("job %s: submit interrupted (%s); looking it up by name", job_name, exc)
            return self.settle(job_name, None, on_submitted=on_submitted,
                               on_processing=on_processing)
        on_submitted(job_id)
        return self.follow(job_id, on_processing=on_processing, reported_before=pre.reported)

    def find(self, job_name: str) -> list[int]:
        """Ids of this user's jobs named job_name (any state). Raises ipp.IppError."""
        jobs = self.client.jobs(("job-id", "job-name"), which="all", my_jobs=True)
        return [j["job-id"] for j in jobs
                if j.get("job-name") == job_name and isinstance(j.get("job-id"), int)]

    def settle(self, job_name: str, job_id: int | None, *,
               on_submitted: Callable[[int], None] = lambda job_id: None,
               on_processing: Callable[[], None] = lambda: None) -> JobOutcome:
        """The outcome of a job submitted earlier (by a run that crashed, or a submit whose
        answer was lost), found by its id or its name; waits for it like `follow`."""
        try:
            ids = [job_id] if job_id is not None else self.find(job_name)
        except ipp.IppError as exc:
            return JobOutcome(common_pb2.UNKNOWN, f"spooler unreachable to settle the job: {exc}")
        if len(ids) != 1:
            return JobOutcome(common_pb2.UNKNOWN, NO_JOB if not ids
                              else f"{len(ids)} jobs of this attempt in the queue")
        if job_id is None:
            on_submitted(ids[0])
        return self.follow(ids[0], on_processing=on_processing)

    def follow(self, job_id: int, *, on_processing: Callable[[], None],
               reported_before: Condition | None = None) -> JobOutcome:
        """Follow a job to its outcome. `reported_before`: the queue's reported condition
        when the job was submitted (a report left by an earlier card is not this card's);
        None when unknown (settling after a restart), and then reports are not used."""
        run = _Follow(self, job_id, on_processing, reported_before)
        try:
            while True:
                run.step()
                self._sleep(self.poll_interval)
        except _Done as done:
            return done.outcome


class _Follow:
    """The state of following one job."""

    def __init__(self, queue: CupsQueue, job_id: int, on_processing: Callable[[], None],
                 reported_before: Condition | None) -> None:
        self.q = queue
        self.reported_before = reported_before
        self.job_id = job_id
        self.on_processing = on_processing
        start = queue._clock()
        self.pending_deadline = start + queue.pending_timeout
        self.deadline = start + queue.job_timeout
        self.processed = False
        self.first_tap: Any = None
        self.condition = Condition.NONE   # an error the queue reported while the job ran
        self.reported = Condition.NONE    # the same, also as a report (some printers clear
        #                                   the error and keep it as "-report" once idle)
        self.withdrawn = ""          # why we cancelled a job still waiting in the queue
        self.unreachable = ""
        # The spooler could not be asked at some point after submit. cupsd requeues a job it
        # was printing when it died and prints it again as soon as it is back, within the
        # same second (so time-at-processing does not change): a job that ran across such a
        # gap may have printed twice, whatever state it ends in.
        self.lost_contact = False
        self.epoch: int | None = None   # the kept connection's number at the last poll

    def _done(self, state: int, reason: str) -> _Done:
        return _Done(JobOutcome(state, reason, self.job_id, self.processed))

    def _ambiguous(self, reason: str, *, condition: Condition = Condition.NONE) -> _Done:
        """After processing began and the result is not a clean one: make sure the spooler
        will not print the job again, then spoiled (a printer error was seen) or unknown."""
        try:
            cancelled = self.q.client.cancel_job(self.job_id)
        except ipp.IppError:
            cancelled = False
            reason += "; the job could not be cancelled"
        log.warning("job %d: %s (cancelled: %s)", self.job_id, reason, cancelled)
        if condition is not Condition.NONE and "could not be cancelled" not in reason:
            return self._done(common_pb2.SPOILED, condition.value)
        return self._done(common_pb2.UNKNOWN, reason)

    def step(self) -> None:
        q = self.q
        now = q._clock()
        try:
            job = q.client.job_attributes(self.job_id, JOB_ATTRS)
            began = job is not None and (_tap(job) is not None or job.get("job-state") in (
                ipp.JOB_PROCESSING, ipp.JOB_STOPPED))
            if self.processed or began:
                # The queue's reasons while (or right after) our job ran are its printer's
                # errors: a jam reported during the job spoils this card.
                queue = q.state()
                if queue.condition is not Condition.NONE:
                    self.condition = queue.condition
                if queue.reported not in (Condition.NONE, self.reported_before) \
                        and self.reported_before is not None:
                    self.reported = queue.reported
        except ipp.IppError as exc:
            self.unreachable = str(exc)
            self.lost_contact = True
            limit = self.deadline if self.processed else max(self.deadline,
                                                             self.pending_deadline)
            if now > limit:
                raise self._done(common_pb2.UNKNOWN, f"spooler unreachable: {exc}") from None
            return
        if job is None:
            # Purged, or a spooler that lost its state: nobody can say what became of it.
            raise self._done(common_pb2.UNKNOWN, VANISHED)
        state = job.get("job-state")
        reasons = [str(r) for r in ipp.as_list(job.get("job-state-reasons")) if r != "none"]
        tap = _tap(job)
        came_back = self.unreachable
        self.unreachable = ""
        if self.epoch is not None and q.client.connections != self.epoch:
            self.lost_contact = True  # the kept connection was dropped: restarted?
        self.epoch = q.client.connections if q.client.keep_alive else None
        if tap is not None and self.first_tap is not None and tap != self.first_tap:
            raise self._ambiguous("the spooler started the job again (restarted?); it may "
                                  "have printed more than once",
                                  condition=self.condition)
        if self.processed and state in (ipp.JOB_PENDING, ipp.JOB_HELD):
            raise self._ambiguous("the spooler requeued the job after it began"
                                  + (" (after it was unreachable)" if came_back else ""),
                                  condition=self.condition)
        if tap is None and state in (ipp.JOB_PENDING, ipp.JOB_HELD):
            self.lost_contact = False  # still waiting after the gap: nothing ran across it
        if tap is not None or state in (ipp.JOB_PROCESSING, ipp.JOB_STOPPED):
            if self.first_tap is None:
                self.first_tap = tap
            if not self.processed:
                self.processed = True
                self.on_processing()
        if self.lost_contact and self.processed and state in (
                ipp.JOB_COMPLETED, ipp.JOB_PROCESSING, ipp.JOB_STOPPED):
            raise self._ambiguous("the spooler was unreachable while the job printed "
                                  "(restarted?); it may have printed more than once")
        if state == ipp.JOB_COMPLETED:
            if any(r.startswith("job-completed-with-errors") for r in reasons):
                raise self._ambiguous("job completed with errors", condition=self.condition)
            if not q.trusted:
                raise self._done(common_pb2.UNKNOWN, NOT_TRUSTED)
            raise self._done(common_pb2.PRINTED, "")
        if state in (ipp.JOB_CANCELED, ipp.JOB_ABORTED):
            word = "cancelled" if state == ipp.JOB_CANCELED else "aborted"
            if not self.processed:
                why = self.withdrawn or f"job {word} before printing" + (
                    f" ({', '.join(reasons)})" if reasons else "")
                raise self._done(common_pb2.FAILED_BEFORE_CARD, why)
            cause = self.condition if self.condition is not Condition.NONE else (
                self.reported if state == ipp.JOB_ABORTED else Condition.NONE)
            if cause is not Condition.NONE and cause is not Condition.OFFLINE:
                raise self._done(common_pb2.SPOILED, cause.value)
            raise self._done(common_pb2.UNKNOWN, CANCELLED_WHILE_PRINTING
                             if state == ipp.JOB_CANCELED else ABORTED_WHILE_PRINTING)
        if not self.processed and now > self.pending_deadline and not self.withdrawn:
            try:
                queue = q.state()
                why = queue.why_not_ready or "queue busy"
            except ipp.IppError:
                why = "queue state unknown"
            try:
                if q.client.cancel_job(self.job_id):
                    self.withdrawn = f"withdrawn from the queue unprinted: {why}"
            except ipp.IppError:
                pass  # tried again on the next poll
            return
        if self.processed and now > self.deadline:
            raise self._ambiguous("no result from the spooler in time", condition=self.condition)


def _tap(job: Mapping[str, Any]) -> Any:
    """When the job began processing (date-time-at-processing, else time-at-processing), or
    None when it has not: both are no-value until then. A different value later means the
    spooler started the job again."""
    date = job.get("date-time-at-processing")
    if isinstance(date, bytes) and date:
        return date
    tap = job.get("time-at-processing")  # printer up-time: 0 is a real value
    return tap if isinstance(tap, int) and not isinstance(tap, bool) else None
