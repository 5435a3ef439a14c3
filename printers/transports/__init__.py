"""Printer connections: one module per transport behind `base.Transport` (docs/design.md, code
habit 2).

`open_transport(kind, ...)` builds one from configuration values; pyusb is imported only when a
USB transport is opened.
"""

from __future__ import annotations

from typing import Any

from cetak.printers.transports.base import DEFAULT_TIMEOUT_S, Transport
from cetak.printers.transports.errors import (
    DeviceNotFound,
    TransportClosed,
    TransportError,
    TransportTimeout,
    TransportUnavailable,
)

__all__ = ["DeviceNotFound", "Transport", "TransportClosed", "TransportError",
           "TransportTimeout", "TransportUnavailable", "make_transport"]


def make_transport(kind: str, *, address: str | None = None, vendor: int | None = None,
                   product: int | None = None, serial: str | None = None,
                   timeout: float = DEFAULT_TIMEOUT_S, usb_backend: Any = None) -> Transport:
    """A not-yet-opened transport: "usb" (vendor/product/serial), "tcp" (address host:port),
    "virtual" (address = the in-process printer's registered name)."""
    if kind == "usb":
        from cetak.printers.transports.usb import UsbTransport
        return UsbTransport(vendor, product, serial, timeout=timeout, backend=usb_backend)
    if kind == "tcp":
        from cetak.printers.transports.tcp import TcpTransport
        if not address:
            raise ValueError("a tcp transport needs an address host:port")
        return TcpTransport(address, timeout=timeout)
    if kind == "virtual":
        from cetak.printers.transports.virtual import VirtualTransport
        if not address:
            raise ValueError("a virtual transport needs the printer's name as its address")
        return VirtualTransport(address, timeout=timeout)
    raise ValueError(f"unknown transport {kind!r} (expected usb, tcp or virtual)")
