"""The contactless station of the virtual printer: a virtual chip on each blank.

`ChipStation` implements the card package's `ChipEncoder` protocol (`write_chip(data) -> uid`)
for an in-process printer; `cetak.printers.virtual.service.TcpChipEncoder` does the same for a
printer emulated in another process. The chip UID is the blank's serial.
"""

from __future__ import annotations

from cetak.card.errors import ChipWriteError
from cetak.printers.status import Position
from cetak.printers.virtual.faults import FaultKind
from cetak.printers.virtual.mechanism import Mechanism

CHIP_CAPACITY = 64 * 1024  # bytes of user memory on the virtual chip


class ChipStation:
    def __init__(self, mech: Mechanism) -> None:
        self.mech = mech

    def write_chip(self, data: bytes) -> str:
        """Write data to the chip of the card at the station; return the chip UID."""
        mech = self.mech
        with mech.lock:
            mech.advance()
            card = mech.card
            if not mech.powered:
                raise ChipWriteError("the printer has no power")
            if card is None or card.position is not Position.CONTACTLESS:
                raise ChipWriteError("no card at the contactless station")
            if card.fault is FaultKind.CHIP_WRITE_FAILURE:
                raise ChipWriteError(f"chip {card.serial} did not acknowledge the write")
            if len(data) > CHIP_CAPACITY:
                raise ChipWriteError(f"{len(data)} bytes exceed the chip's {CHIP_CAPACITY}")
            card.chip = bytes(data)
            return card.serial

    def read_chip(self) -> bytes | None:
        """The chip content of the card at the station (None: no card or nothing written)."""
        with self.mech.lock:
            card = self.mech.card
            return None if card is None else card.chip
