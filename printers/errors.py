"""Exceptions of `cetak.printers`, one tree for the whole package.

    PrinterError                 base, never raised directly
    ├── UnknownModel(name)       no model of that name / USB id / device id in the table
    ├── UnknownDialect(name)     not "evolis" or "magicard"
    ├── PrinterLost              the printer stopped answering (transport closed, timed out)
    ├── FaultSpecError(item)     a --faults item cannot be parsed (item: the offending text)
    └── EmulatorError            the virtual printer cannot start, was misused, or its service
                                 port refused a request

Replies that do not parse are not errors: the dialects read them as "not reported" (None
fields), and the driver decides from what the printer did report.
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


class PrinterLost(PrinterError):
    """The printer stopped answering: closed connection, USB device gone, or timeout."""


class FaultSpecError(PrinterError):
    def __init__(self, item: str, reason: str) -> None:
        super().__init__(f"fault spec {item!r}: {reason}")
        self.item = item


class EmulatorError(PrinterError):
    """The virtual printer cannot start or was used out of order."""
