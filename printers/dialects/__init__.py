"""One module per printer command language; `get_dialect(name)` picks one.

Each dialect builds command bytes (no I/O), parses replies into `PrinterStatus`, maps its error
replies to `Condition`s, and turns a rendered card into an `EncodedJob` through the native core.
Commands whose names start with X (Evolis) or keys starting with X (Magicard) are cetak
extensions only the virtual printer answers; a real printer answers them with its error reply,
which the driver treats as "not reported".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from cetak.printers.errors import UnknownDialect
from cetak.printers.status import Condition, PrinterStatus

DIALECTS = ("evolis", "magicard")


class Dialect(Protocol):
    name: str

    def poll_queries(self) -> dict[str, bytes]: ...
    def status_queries(self) -> dict[str, bytes]: ...
    def parse_status(self, replies: Mapping[str, bytes | None]) -> PrinterStatus: ...
    def reply_length(self, buf: bytes) -> int: ...
    def is_error_reply(self, reply: bytes) -> bool: ...
    def condition_for(self, message: str) -> Condition: ...
    def read_blank_serial(self) -> bytes: ...
    def job_label(self, label: str) -> bytes: ...
    def reject_card(self) -> bytes: ...
    def soft_reset(self) -> bytes: ...
    def feed_offset(self, data: bytes) -> int | None: ...
    def build_job(self, card: Any, options: Any = None) -> Any: ...


def get_dialect(name: str) -> Dialect:
    if name == "evolis":
        from cetak.printers.dialects.evolis import DIALECT
    elif name == "magicard":
        from cetak.printers.dialects.magicard import DIALECT
    else:
        raise UnknownDialect(name)
    return DIALECT
