"""Typed printer status shared by both dialects, and the error -> attempt outcome rule.

docs/design.md section 4: nothing touched a blank -> failed_before_card; a blank was fed and
the card is bad -> spoiled(reason); we lost track after feed -> unknown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cetak.api.v1 import common_pb2


class State(enum.Enum):
    READY = "ready"
    BUSY = "busy"
    ERROR = "error"
    OFFLINE = "offline"

    def to_proto(self) -> int:
        return {State.READY: common_pb2.READY, State.BUSY: common_pb2.BUSY,
                State.ERROR: common_pb2.ERROR, State.OFFLINE: common_pb2.OFFLINE}[self]


class Condition(enum.Enum):
    """What is wrong, in dialect-neutral words; the value is the outcome reason."""

    NONE = ""
    FEEDER_EMPTY = "feeder empty"
    RIBBON_OUT = "ribbon out"
    FILM_OUT = "film out"
    CARD_JAM = "card jam"
    COVER_OPEN = "cover open"
    CHIP_WRITE_FAILED = "chip write failed"
    COMMAND_ERROR = "command error"
    OUTPUT_FULL = "output hopper full"
    NEEDS_CLEANING = "needs cleaning"
    OFFLINE = "printer offline"
    QUEUE_STOPPED = "queue stopped"    # a CUPS queue stopped (by an error or an administrator)
    OTHER = "printer error"


class Position(enum.Enum):
    """Where the card in the printer is, if any."""

    NONE = "none"
    FED = "fed"                # picked from the hopper, in the print path
    CONTACTLESS = "contactless"
    PRINTING = "printing"


@dataclass(frozen=True)
class PrinterStatus:
    state: State
    condition: Condition = Condition.NONE
    message: str = ""                  # the printer's own words, e.g. "FEEDER EMPTY"
    position: Position = Position.NONE
    cards_fed: int | None = None       # blanks picked since manufacture (None: not reported)
    cards_printed: int | None = None
    last_blank_serial: str = ""
    blanks_in_hopper: int | None = None
    ribbon_left: int | None = None
    ribbon_capacity: int | None = None
    film_left: int | None = None
    film_capacity: int | None = None
    serial: str = ""
    model: str = ""
    firmware: str = ""

    @property
    def idle(self) -> bool:
        """No card inside and not working on one."""
        return self.state is not State.BUSY and self.position is Position.NONE

    def to_proto(self, printer_id: str = "", observed_at_ms: int = 0) -> common_pb2.PrinterStatus:
        consumables = common_pb2.Consumables(
            blanks_in_hopper=self.blanks_in_hopper or 0,
            ribbon_panels_left=self.ribbon_left or 0,
            ribbon_panels_capacity=self.ribbon_capacity or 0,
            film_frames_left=self.film_left or 0,
            film_frames_capacity=self.film_capacity or 0)
        return common_pb2.PrinterStatus(
            printer_id=printer_id, state=self.state.to_proto(), error=self.message,
            consumables=consumables, cards_printed_counter=self.cards_printed or 0,
            observed_at_ms=observed_at_ms)


def outcome_for(condition: Condition, fed: bool) -> tuple[int, str]:
    """(AttemptState, reason) for a card that did not print, given whether a blank was fed."""
    reason = condition.value or Condition.OTHER.value
    if not fed:
        return common_pb2.FAILED_BEFORE_CARD, reason
    if condition is Condition.OFFLINE:
        return common_pb2.UNKNOWN, "printer lost after feed"
    return common_pb2.SPOILED, reason
