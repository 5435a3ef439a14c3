"""Exceptions of `cetak.printers`, one tree for the whole package.

    PrinterError                 base, never raised directly
    ├── UnknownModel(name)       no model of that name / USB id / device id in the table
    ├── UnknownDialect(name)     not "evolis" or "magicard"
    ├── ReplyError(offset)       a printer reply cannot be parsed (offset: byte in the reply)
    ├── PrinterLost              the printer stopped answering (transport closed, timed out)
    ├── FaultSpecError(item)     a --faults item cannot be parsed (item: the offending text)
    └── EmulatorError            the virtual printer cannot start or was misused
        └── StationEmpty         the chip station was asked to write with no card in it

Messages never carry personal data: records are named by id, chips by UID.
"""

from __future__ import annotations


class PrinterError(Exception):
    """Base of every error raised by cetak.printers."""


class UnknownModel(PrinterError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown printer model {name!r}")
        self.name = name


class UnknownDialect(PrinterError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown printer dialect {name!r} (expected evolis or magicard)")
        self.name = name


class ReplyError(PrinterError):
    """A reply from the printer does not parse; offset is the byte where parsing stopped."""

    def __init__(self, message: str, reply: bytes, offset: int = 0) -> None:
        super().__init__(f"{message} at byte {offset} of reply {reply[:40]!r}")
        self.reply = reply
        self.offset = offset


class PrinterLost(PrinterError):
    """The printer stopped answering: closed connection, USB device gone, or timeout."""


class FaultSpecError(PrinterError):
    def __init__(self, item: str, reason: str) -> None:
        super().__init__(f"fault spec {item!r}: {reason}")
        self.item = item


class EmulatorError(PrinterError):
    """The virtual printer cannot start or was used out of order."""


class StationEmpty(EmulatorError):
    """The contactless station was asked to write a chip while no card is there."""
