"""The contract every printer connection implements: open, write, read, close.

Everything else (dialects, status polling, outcome mapping) lives above it, in
`cetak.printers.driver`. Implementations translate their foreign errors (OSError, usb.core.USBError)
into `cetak.printers.transports.errors` with `raise ... from exc`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

DEFAULT_TIMEOUT_S = 5.0


class Transport(ABC):
    """A byte pipe to one printer. Not thread-safe: one driver owns it."""

    kind: str = ""  # "usb" | "tcp" | "virtual", as reported in PrinterInfo.transport

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout = timeout

    @abstractmethod
    def open(self) -> None:
        """Connect; raises DeviceNotFound, TransportUnavailable or TransportClosed."""

    @abstractmethod
    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Send all of data; raises TransportTimeout or TransportClosed."""

    @abstractmethod
    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        """Return 1..size bytes that arrived; raises TransportTimeout when none came in time."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; safe to call twice."""

    def describe(self) -> str:
        """A short human label for logs (never personal data)."""
        return self.kind

    def _timeout(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def __enter__(self) -> Transport:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
