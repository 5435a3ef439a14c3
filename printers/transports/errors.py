"""Exceptions of `cetak.printers.transports`: foreign errors (socket, pyusb) become these.

    TransportError          base, never raised directly
    ├── TransportUnavailable  the transport cannot be used here (pyusb or libusb missing)
    ├── DeviceNotFound        no device matched (names the criteria)
    ├── TransportTimeout      a read or write did not finish in time (the link may be fine)
    └── TransportClosed       the link is gone: peer closed, device unplugged, power lost
"""

from __future__ import annotations


class TransportError(Exception):
    """Base of every error raised by cetak.printers.transports."""


class TransportUnavailable(TransportError):
    """A transport's library is missing or unusable on this machine."""


class DeviceNotFound(TransportError):
    """No device matched the given criteria."""


class TransportTimeout(TransportError):
    """An operation did not complete before its timeout."""


class TransportClosed(TransportError):
    """The connection is closed or the device disappeared."""
