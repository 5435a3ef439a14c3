"""The physical model of the virtual printer, dialect-neutral: hopper, ribbon, film, card path,
chip station, faults and time. The dialect ports (evolis_port, magicard_port) turn bytes into calls.

Time is evaluated lazily: every call first `advance()`s the clock, finishing a card whose print
time has passed, so tests need no background thread; the TCP server also ticks it periodically.
Errors are latched like on a real printer: a jam, open cover, empty feeder or spent ribbon stays
until an operator clears it (`clear()`, or automatically after `operator_delay` seconds); a
rejected command stream is reported once and then forgotten.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cetak.printers.models import PrinterModel
from cetak.printers.status import Condition, Position, State
from cetak.printers.virtual.faults import FaultKind, FaultPlan
from cetak.printers.virtual.output import OutputWriter
from cetak.printers.virtual.timing import TimeModel

_BEFORE_FEED = {FaultKind.FEEDER_EMPTY: Condition.FEEDER_EMPTY,
                FaultKind.COVER_OPEN: Condition.COVER_OPEN,
                FaultKind.JAM_BEFORE_FEED: Condition.CARD_JAM}
_DURING_PRINT = {FaultKind.JAM_AFTER_FEED: Condition.CARD_JAM,
                 FaultKind.RIBBON_OUT: Condition.RIBBON_OUT,
                 FaultKind.FILM_OUT: Condition.FILM_OUT}


@dataclass
class Card:
    """A blank that left the hopper and is somewhere in the printer."""

    number: int
    serial: str
    label: str
    fault: FaultKind | None
    position: Position
    chip: bytes | None = None
    job: Any = None                # the decoded job, rendered to PNG once the card is printed
    sides: tuple[str, ...] = ()
    result: Condition = Condition.NONE
    done_at: float | None = None
    print_s: float = 0.0           # how long the print head was busy with it (scaled)
    fed_at: float = 0.0            # clock() when it left the hopper
    reported: bool = False         # a state reply went out since this card was fed


@dataclass
class Counters:
    fed: int = 0
    printed: int = 0
    rejected: int = 0


@dataclass
class Supply:
    """A ribbon (panels) or film (frames) roll."""

    capacity: int
    left: int = field(default=-1)

    def __post_init__(self) -> None:
        if self.left < 0:
            self.left = self.capacity


class Mechanism:
    def __init__(self, model: PrinterModel, *, output: OutputWriter, blanks: int = 500,
                 blank_prefix: str | None = None, first_blank: int = 1, blank_width: int = 8,
                 ribbon: Supply | None = None, film: Supply | None = None,
                 timing: TimeModel | None = None, faults: FaultPlan | None = None,
                 serial: str = "VP000001", firmware: str = "cetak-virtual 1.0",
                 operator_delay: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 render: Callable[[Any], dict[str, Any]] | None = None) -> None:
        self.model = model
        self.output = output
        self.blanks = blanks
        self.blank_prefix = blank_prefix
        self._next_blank = first_blank
        self.blank_width = blank_width   # digits of the number, zero-padded ("KTP0001001": 7)
        self.ribbon = ribbon or Supply(model.ribbon_panels)
        self.film = film or Supply(model.film_frames)
        self.timing = timing or TimeModel(model.cards_per_hour, model.retransfer)
        self.faults = faults or FaultPlan()
        self.serial, self.firmware = serial, firmware
        self.operator_delay = operator_delay
        self.clock = clock
        self.render = render
        self.lock = threading.RLock()
        self.powered = True
        self.counters = Counters()
        self.card: Card | None = None
        self.cards_started = 0
        self.last_blank_serial = ""
        self.next_label = ""
        self.error = Condition.NONE
        self._error_since = 0.0
        self._error_reported = False
        self._transient_error = Condition.NONE  # reported once, then cleared

    # -- state ---------------------------------------------------------------------------

    def state(self, report: bool = False) -> tuple[State, Condition, Position]:
        """The printer's state; with report=True this counts as a state reply sent to a host."""
        with self.lock:
            self.advance()
            card = self.card
            if (report and card is not None and card.fault is FaultKind.POWER_LOSS
                    and card.position is Position.PRINTING and card.reported):
                # dies mid-card once a host has seen the card in progress: deterministic, and
                # the host knew the blank was fed
                self._power_loss(card)
                return State.OFFLINE, Condition.OFFLINE, Position.PRINTING
            position = card.position if card else Position.NONE
            if report and card:
                card.reported = True
            if self._transient_error is not Condition.NONE:
                condition = self._transient_error
                if report:
                    self._transient_error = Condition.NONE
                return State.ERROR, condition, position
            if self.error is not Condition.NONE:
                self._error_reported = self._error_reported or report
                return State.ERROR, self.error, position
            return (State.BUSY if self.card else State.READY), Condition.NONE, position

    def _latch(self, condition: Condition) -> None:
        self.error = condition
        self._error_since = self.clock()
        self._error_reported = False

    # -- card path -----------------------------------------------------------------------

    def set_label(self, label: str) -> None:
        with self.lock:
            self.next_label = label

    def feed(self, to_contactless: bool = False) -> bool:
        """Pick a blank. False (and an error latched) when the printer refuses or misfeeds."""
        with self.lock:
            self.advance()
            if not self.powered or self.error is not Condition.NONE:
                return False
            if self.card is not None:
                self._finish(self.card)  # a host that did not wait: the printer catches up
            self.cards_started += 1
            fault = self.faults.draw(self.cards_started)
            refusal = _BEFORE_FEED.get(fault) if fault else None
            if refusal is None and self.blanks <= 0:
                refusal = Condition.FEEDER_EMPTY
            if refusal is None and self.ribbon.left <= 0:
                refusal = Condition.RIBBON_OUT
            if refusal is None and self.model.retransfer and self.film.left <= 0:
                refusal = Condition.FILM_OUT
            if refusal is not None:
                self._latch(refusal)
                return False
            self.blanks -= 1
            # default prefix: the printer's serial, so blanks of different printers never clash
            prefix = f"{self.serial}-" if self.blank_prefix is None else self.blank_prefix
            serial = f"{prefix}{self._next_blank:0{self.blank_width}d}"
            self._next_blank += 1
            self.counters.fed += 1
            self.last_blank_serial = serial
            position = Position.CONTACTLESS if to_contactless else Position.FED
            self.card = Card(self.cards_started, serial, self.next_label, fault, position,
                             fed_at=self.clock())
            self.next_label = ""
            return True

    def to_contactless(self) -> None:
        with self.lock:
            if self.card is not None and self.card.position is Position.FED:
                self.card.position = Position.CONTACTLESS

    def print_card(self, job: Any, panels: int, sides: tuple[str, ...]) -> None:
        """The whole job arrived: print it on the card in the printer (feeding one if needed)."""
        with self.lock:
            if self.card is None and not self.feed():
                return
            card = self.card
            assert card is not None
            card.job, card.sides, card.position = job, sides, Position.PRINTING
            frames = len(sides) if self.model.retransfer else 0
            if card.fault in _DURING_PRINT:
                card.result = _DURING_PRINT[card.fault]
            elif panels > self.ribbon.left:
                card.result = Condition.RIBBON_OUT
            elif frames > self.film.left:
                card.result = Condition.FILM_OUT
            # consumables are used as the card prints; a roll that ends is spent
            self.ribbon.left = 0 if card.result is Condition.RIBBON_OUT else \
                self.ribbon.left - panels
            if frames:
                self.film.left = 0 if card.result is Condition.FILM_OUT else \
                    self.film.left - frames
            card.print_s = self.timing.card_seconds(panels, len(sides))
            card.done_at = self.clock() + card.print_s

    def reject(self, reason: str) -> None:
        """Eject the card to the reject bin unprinted (host request, soft reset, bad job)."""
        with self.lock:
            if self.card is not None:
                self._spoil(self.card, reason)

    def stream_failed(self) -> None:
        """The host sent bytes the printer cannot decode: error reply, and no card from them."""
        with self.lock:
            self._transient_error = Condition.COMMAND_ERROR
            if self.card is not None:
                self._spoil(self.card, "bad job")

    # -- time ----------------------------------------------------------------------------

    def advance(self) -> None:
        with self.lock:
            card = self.card
            if not self.powered:
                return
            if card is not None and card.position is Position.PRINTING:
                if card.fault is FaultKind.POWER_LOSS:
                    return  # never finishes: it dies at the next state query (see state())
                if card.done_at is not None and self.clock() >= card.done_at:
                    self._finish(card)
            # the operator reacts to an error the host has seen, never to one nobody reported
            if (self.error is not Condition.NONE and self._error_reported
                    and self.operator_delay is not None
                    and self.clock() >= self._error_since + self.operator_delay):
                self.clear()

    def finish_now(self) -> None:
        with self.lock:
            if self.powered and self.card is not None:
                self._finish(self.card)

    def _finish(self, card: Card) -> None:
        if card.position is not Position.PRINTING:
            self._spoil(card, "ejected unprinted")
            return
        if card.result is not Condition.NONE:
            self._spoil(card, card.result.value)
            self._latch(card.result)
            return
        images = self.render(card.job) if self.render is not None else {}
        images = {side: image for side, image in images.items() if side in card.sides}
        self.output.write_card(card.label or card.serial, images, card.chip)
        self.counters.printed += 1
        self._log(card, "printed", "")
        self.card = None

    def _spoil(self, card: Card, reason: str) -> None:
        self.counters.rejected += 1
        self._log(card, "spoiled", reason)
        self.card = None

    def _power_loss(self, card: Card) -> None:
        self._log(card, "interrupted", "power loss")
        self.powered = False

    def _log(self, card: Card, outcome: str, reason: str) -> None:
        self.output.log({"printer": self.serial, "seq": card.number, "blank_serial": card.serial,
                         "record": card.label, "outcome": outcome, "reason": reason,
                         "chip_written": card.chip is not None,
                         "print_s": round(card.print_s, 6),
                         # from feed to leaving the printer: the printer was busy with it
                         "busy_s": round(self.clock() - card.fed_at, 6)})

    # -- operator ------------------------------------------------------------------------

    def clear(self) -> None:
        """The operator clears the error: removes a jammed card or one left waiting by a host
        that went away, closes the cover, changes a spent ribbon or film roll. Blanks are never
        invented: an empty hopper stays empty."""
        with self.lock:
            if self.card is not None and self.card.position is not Position.PRINTING:
                self._spoil(self.card, "removed by operator")
            if self.error is Condition.RIBBON_OUT and self.ribbon.left <= 0:
                self.ribbon.left = self.ribbon.capacity
            if self.error is Condition.FILM_OUT and self.film.left <= 0:
                self.film.left = self.film.capacity
            self.error = Condition.NONE
            self._transient_error = Condition.NONE

    def load_blanks(self, count: int) -> int:
        with self.lock:
            self.blanks += count
            if self.error is Condition.FEEDER_EMPTY:
                self.error = Condition.NONE
            return self.blanks

    def power_on(self) -> None:
        """Power back: a card left inside from the power loss is ejected (already logged)."""
        with self.lock:
            self.powered = True
            self.card = None

    def soft_reset(self) -> None:
        with self.lock:
            self.advance()
            self.reject("soft reset")
            self._transient_error = Condition.NONE
