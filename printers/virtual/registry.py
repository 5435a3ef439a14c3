"""In-process virtual printers by name, so an agent configured with `transport = "virtual"` and
`address = "<name>"` finds the printer a test or the demo created in the same process."""

from __future__ import annotations

import threading

from cetak.printers.errors import EmulatorError
from cetak.printers.virtual.device import VirtualPrinter

_lock = threading.Lock()
_printers: dict[str, VirtualPrinter] = {}


def register(name: str, printer: VirtualPrinter) -> None:
    with _lock:
        _printers[name] = printer


def unregister(name: str) -> None:
    with _lock:
        _printers.pop(name, None)


def lookup(name: str) -> VirtualPrinter:
    with _lock:
        try:
            return _printers[name]
        except KeyError:
            raise EmulatorError(f"no virtual printer named {name!r} in this process") from None
