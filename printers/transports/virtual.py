"""In-process transport to a `cetak.printers.virtual.VirtualPrinter` (tests, demo, training).

Replies are produced synchronously by the printer, so a read with nothing pending times out at
once instead of waiting; a printer without power behaves like an unplugged device.
"""

from __future__ import annotations

from typing import Any

from cetak.printers.transports.base import DEFAULT_TIMEOUT_S, Transport
from cetak.printers.transports.errors import DeviceNotFound, TransportClosed, TransportTimeout


class VirtualTransport(Transport):
    kind = "virtual"

    def __init__(self, printer: Any, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """printer: a VirtualPrinter, or the name it was registered under in this process."""
        super().__init__(timeout)
        self._printer_or_name = printer
        self.printer: Any = None
        self._port: Any = None
        self._pending = bytearray()

    def describe(self) -> str:
        name = self._printer_or_name
        return f"virtual {name if isinstance(name, str) else 'printer'}"

    def _resolve(self) -> Any:
        if self.printer is None:
            printer = self._printer_or_name
            if isinstance(printer, str):
                from cetak.printers.errors import EmulatorError
                from cetak.printers.virtual.registry import lookup
                try:
                    printer = lookup(printer)
                except EmulatorError as exc:
                    raise DeviceNotFound(str(exc)) from exc
            self.printer = printer
        return self.printer

    def open(self) -> None:
        if self._port is not None:
            return
        printer = self._resolve()
        if not printer.powered:
            raise TransportClosed(f"{self.describe()} has no power")
        self._port = printer.open_port()

    @property
    def chip_encoder(self) -> Any:
        """The printer's contactless station (implements ChipEncoder)."""
        return self._resolve().chip_station

    def _live_port(self) -> Any:
        if self._port is None:
            raise TransportClosed(f"{self.describe()} is not open")
        if not self.printer.powered:
            raise TransportClosed(f"{self.describe()} lost power")
        return self._port

    def write(self, data: bytes, timeout: float | None = None) -> None:
        self._pending += self._live_port().receive(bytes(data))
        if not self.printer.powered:
            raise TransportClosed(f"{self.describe()} lost power during the write")

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        self._live_port()
        if not self._pending:
            raise TransportTimeout(f"no reply from {self.describe()}")
        data = bytes(self._pending[:size])
        del self._pending[:size]
        return data

    def close(self) -> None:
        self._port = None
        self._pending.clear()
