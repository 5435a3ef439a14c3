"""Drive one printer through a transport and a dialect: status, and printing one card.

Printing one card (docs/design.md section 4 for the outcomes):
  1. Full status first. Not ready (feeder empty, cover open, error, offline, card inside)
     -> failed_before_card: nothing has been sent, no blank touched.
  2. The job goes out in pieces: up to the feed (Evolis `Ss`, Magicard `XCL,`), then up to the
     chip pause (`EncodedJob.chip_offset`), then the rest. Between pieces the driver polls.
  3. As soon as the printer's fed counter moves, `on_fed(blank_serial)` is called: the agent
     journals PRINTING before anything else can happen to that blank.
  4. An error with no blank fed -> failed_before_card; an error after the feed -> spoiled with the
     printer's reason; a chip write failure -> the card is rejected, spoiled; the printer lost
     (closed link, timeout, power cut) once the job started -> unknown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from cetak.api.v1 import common_pb2
from cetak.card.errors import CardError
from cetak.printers.dialects import Dialect, get_dialect
from cetak.printers.errors import PrinterLost
from cetak.printers.status import Condition, Position, PrinterStatus, State, outcome_for
from cetak.printers.transports.base import Transport
from cetak.printers.transports.errors import TransportError

log = logging.getLogger(__name__)

VIRTUAL_FIRMWARE = "cetak-virtual"


class ChipEncoder(Protocol):
    """cetak.card.encoder.ChipEncoder: write the chip of the card at the station, return its UID."""

    def write_chip(self, data: bytes) -> str: ...


@dataclass(frozen=True)
class PrintOutcome:
    state: int            # cetak.api.v1.common_pb2.AttemptState value
    reason: str = ""
    blank_serial: str = ""

    @property
    def state_name(self) -> str:
        return common_pb2.AttemptState.Name(self.state)


class _Stop(Exception):
    """Internal: an outcome was reached while waiting."""

    def __init__(self, outcome: PrintOutcome) -> None:
        self.outcome = outcome


class PrinterDriver:
    def __init__(self, transport: Transport, dialect: str | Dialect, *,
                 poll_interval: float = 0.02, job_timeout: float = 600.0,
                 reply_timeout: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        self.dialect = get_dialect(dialect) if isinstance(dialect, str) else dialect
        self.poll_interval = poll_interval
        self.job_timeout = job_timeout
        self.reply_timeout = reply_timeout
        self._sleep, self._clock = sleep, clock
        self._opened = False
        # One conversation at a time: a status request from another thread waits for the card
        # in progress instead of interleaving its queries with the job's.
        self._lock = threading.RLock()
        self.last_status: PrinterStatus | None = None  # the latest seen, readable without waiting

    # -- queries ---------------------------------------------------------------------------

    def _open(self) -> None:
        if not self._opened:
            try:
                self.transport.open()
            except TransportError as exc:
                raise PrinterLost(f"cannot open {self.transport.describe()}: {exc}") from exc
            self._opened = True

    def _write(self, data: bytes) -> None:
        self._open()
        try:
            self.transport.write(data)
        except TransportError as exc:
            raise self._lost_link(exc) from exc

    def _lost_link(self, exc: TransportError) -> PrinterLost:
        """Drop a link that failed, so the next conversation opens a fresh one: a printer that
        lost power or was restarted closed its end, and the old connection never works again."""
        try:
            self.transport.close()
        except TransportError:
            pass  # already broken; nothing more to release
        self._opened = False
        return PrinterLost(str(exc))

    def query(self, command: bytes) -> bytes:
        """Send one query and return its whole reply."""
        self._write(command)
        buf = b""
        while True:
            try:
                buf += self.transport.read(timeout=self.reply_timeout)
            except TransportError as exc:
                raise self._lost_link(exc) from exc
            size = self.dialect.reply_length(buf)
            if size:
                return buf[:size]

    def _ask(self, queries: dict[str, bytes]) -> PrinterStatus:
        with self._lock:
            return self.dialect.parse_status(
                {key: self.query(cmd) for key, cmd in queries.items()})

    def status(self) -> PrinterStatus:
        """Full status and consumables; OFFLINE (not an exception) when the printer is gone."""
        try:
            self.last_status = self._ask(self.dialect.status_queries())
        except PrinterLost as exc:
            self.last_status = PrinterStatus(State.OFFLINE, Condition.OFFLINE, message=str(exc))
        return self.last_status

    def poll(self) -> PrinterStatus:
        """State and counters only; raises PrinterLost."""
        st = self._ask(self.dialect.poll_queries())
        if self.last_status is not None:  # keep the consumables of the last full status
            self.last_status = replace(self.last_status, state=st.state, condition=st.condition,
                                       message=st.message, position=st.position,
                                       cards_fed=st.cards_fed, cards_printed=st.cards_printed)
        return st

    def close(self) -> None:
        with self._lock:
            self.transport.close()
            self._opened = False

    # -- printing ------------------------------------------------------------------------

    def print_card(self, job: Any, chip: bytes | None = None,
                   chip_encoder: ChipEncoder | None = None,
                   on_fed: Callable[[str], None] | None = None,
                   record_id: str = "") -> PrintOutcome:
        """Print one EncodedJob; see the module docstring for the outcome rules."""
        with self._lock:
            return self._print_card(job, chip, chip_encoder, on_fed, record_id)

    def _print_card(self, job: Any, chip: bytes | None, chip_encoder: ChipEncoder | None,
                    on_fed: Callable[[str], None] | None, record_id: str) -> PrintOutcome:
        pre = self.status()
        if pre.state is State.OFFLINE:
            return PrintOutcome(common_pb2.FAILED_BEFORE_CARD, Condition.OFFLINE.value)
        if pre.state is State.ERROR:
            return PrintOutcome(*outcome_for(pre.condition, fed=False))
        if not pre.idle:
            return PrintOutcome(common_pb2.FAILED_BEFORE_CARD, "printer busy")
        if chip is not None and (chip_encoder is None or job.chip_offset is None):
            return PrintOutcome(common_pb2.FAILED_BEFORE_CARD, "no chip pause or chip encoder")
        run = _CardRun(self, pre, on_fed or (lambda serial: None))
        try:
            return run.go(job, chip, chip_encoder, record_id)
        except _Stop as stop:
            return stop.outcome


class _CardRun:
    """The state of one print_card call: what the printer said before, whether a blank was fed."""

    def __init__(self, driver: PrinterDriver, pre: PrinterStatus,
                 on_fed: Callable[[str], None]) -> None:
        self.d = driver
        self.pre = pre
        self.on_fed = on_fed
        self.fed = False
        self.serial = ""
        self.deadline = driver._clock() + driver.job_timeout

    def go(self, job: Any, chip: bytes | None, encoder: ChipEncoder | None,
           record_id: str) -> PrintOutcome:
        d, data = self.d, job.data
        if record_id and self.pre.firmware.startswith(VIRTUAL_FIRMWARE):
            self._send(d.dialect.job_label(record_id))  # names the PNGs and the physical log
        feed_at = d.dialect.feed_offset(data)
        chip_at = job.chip_offset if chip is not None else None
        pos = 0
        for cut in sorted({c for c in (feed_at, chip_at) if c is not None and 0 < c < len(data)}):
            self._send(data[pos:cut])
            pos = cut
            if cut == chip_at:
                self._wait(lambda st: st.position is Position.CONTACTLESS)
                self._encode(chip or b"", encoder)
            else:
                self._wait(lambda st: self.fed)
        self._send(data[pos:])
        final = self._wait(lambda st: self.fed and st.idle)
        printed_before = self.pre.cards_printed
        if final.cards_printed is not None and printed_before is not None \
                and final.cards_printed <= printed_before:
            return self._failed(Condition.OTHER, "card ejected unprinted")
        return PrintOutcome(common_pb2.PRINTED, "", self.serial)

    def _send(self, data: bytes) -> None:
        try:
            self.d._write(data)
        except PrinterLost:
            raise _Stop(self._lost()) from None

    def _lost(self) -> PrintOutcome:
        # Once any of the job went out we cannot know whether a blank moved: hold the record.
        reason = "printer lost after feed" if self.fed else "printer lost while the job was sent"
        return PrintOutcome(common_pb2.UNKNOWN, reason, self.serial)

    def _failed(self, condition: Condition, reason: str = "") -> PrintOutcome:
        state, default_reason = outcome_for(condition, self.fed)
        return PrintOutcome(state, reason or default_reason, self.serial)

    def _wait(self, done: Callable[[PrinterStatus], bool]) -> PrinterStatus:
        """Poll until done(status) or an error; notices the feed on the way."""
        d = self.d
        while True:
            try:
                st = d.poll()
            except PrinterLost:
                raise _Stop(self._lost()) from None
            self._notice_feed(st)
            if st.state is State.ERROR:
                raise _Stop(self._failed(st.condition))
            if st.state is State.OFFLINE:
                raise _Stop(self._lost())
            if done(st):
                return st
            if d._clock() > self.deadline:
                # the job is out and the printer never settled: never guess, hold the record
                raise _Stop(PrintOutcome(common_pb2.UNKNOWN, "no result from the printer in time",
                                         self.serial))
            d._sleep(d.poll_interval)

    def _notice_feed(self, st: PrinterStatus) -> None:
        if self.fed:
            return
        before, printed_before = self.pre.cards_fed, self.pre.cards_printed
        if st.cards_fed is not None and before is not None:
            fed = st.cards_fed > before
        else:  # no fed counter: a card inside, or one more printed, is the best sign we get
            fed = st.position is not Position.NONE or (
                st.cards_printed is not None and printed_before is not None
                and st.cards_printed > printed_before)
        if not fed:
            return
        self.fed = True
        try:
            reply = self.d.query(self.d.dialect.read_blank_serial())
            serial = self.d.dialect.parse_status({"blank_serial": reply}).last_blank_serial
        except PrinterLost:
            serial = ""
        if not serial:  # a printer that cannot name its blanks: its serial and counter
            count = st.cards_fed if st.cards_fed is not None else st.cards_printed
            serial = f"{self.pre.serial or 'printer'}#{count or 0}"
        self.serial = serial
        self.on_fed(serial)

    def _encode(self, chip: bytes, encoder: ChipEncoder | None) -> None:
        assert encoder is not None
        try:
            encoder.write_chip(chip)
        except CardError as exc:  # ChipWriteError, or an encoder that failed in its own way
            log.warning("chip write failed on blank %s: %s", self.serial, exc)
            self._send(self.d.dialect.reject_card())
            self._wait(lambda st: st.idle)
            raise _Stop(self._failed(Condition.CHIP_WRITE_FAILED)) from None
