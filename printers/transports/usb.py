"""USB printer-class transport (interface class 7) with pyusb and the bundled libusb.

pyusb loads lazily (docs/design.md, code habit 4): importing this module never needs it.
Without an explicit `backend` the libusb shipped by libusb-package is used, so a fresh machine
needs no system package; tests pass the virtual printer's pyusb backend instead.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cetak.printers.transports.base import DEFAULT_TIMEOUT_S, Transport
from cetak.printers.transports.errors import (
    DeviceNotFound,
    TransportClosed,
    TransportTimeout,
    TransportUnavailable,
)

PRINTER_CLASS = 7
# Printer-class requests (USB Device Class Definition for Printing Devices 1.1, section 4.2).
GET_DEVICE_ID = 0
GET_PORT_STATUS = 1
SOFT_RESET = 2
CLASS_IN_INTERFACE = 0xA1
CLASS_OUT_INTERFACE = 0x21
# GET_PORT_STATUS bits.
PORT_NOT_ERROR = 0x08
PORT_SELECTED = 0x10
PORT_PAPER_EMPTY = 0x20

DEFAULT_CHUNK = 16384
_GONE_ERRNOS = {errno.ENODEV, errno.EIO, errno.EPIPE, errno.ENOENT}


def _usb() -> Any:
    try:
        import usb.core
        import usb.util
    except ImportError as exc:  # pragma: no cover - pyusb is a dependency; guard anyway
        raise TransportUnavailable("pyusb is not installed") from exc
    return usb


def default_backend() -> Any:
    """The libusb-1.0 backend from libusb-package (bundled library), else pyusb's own search."""
    try:
        import libusb_package
    except ImportError:
        return None
    return libusb_package.get_libusb1_backend()


@dataclass(frozen=True)
class UsbPrinterInfo:
    vendor: int
    product: int
    serial: str | None
    bus: int | None
    address: int | None


def _printer_interface(device: Any) -> Any | None:
    """The first interface of class 7 in the device's first configuration."""
    for cfg in device:
        for intf in cfg:
            if intf.bInterfaceClass == PRINTER_CLASS:
                return intf
    return None


def _serial_of(device: Any) -> str | None:
    try:
        return device.serial_number
    except (ValueError, NotImplementedError, OSError):  # no string support, or no permission
        return None


def _find(vendor: int | None, product: int | None, backend: Any) -> Iterator[Any]:
    usb = _usb()
    criteria: dict[str, Any] = {}
    if vendor is not None:
        criteria["idVendor"] = vendor
    if product is not None:
        criteria["idProduct"] = product
    try:
        found = usb.core.find(find_all=True, backend=backend,
                              custom_match=lambda d: _printer_interface(d) is not None,
                              **criteria)
        yield from found
    except usb.core.NoBackendError as exc:
        raise TransportUnavailable("no libusb backend found") from exc
    except usb.core.USBError as exc:
        raise TransportClosed(f"USB enumeration failed: {exc}") from exc


def list_printers(vendor: int | None = None, product: int | None = None,
                  backend: Any = None) -> list[UsbPrinterInfo]:
    """Every attached printer-class device matching the optional ids."""
    backend = default_backend() if backend is None else backend
    return [UsbPrinterInfo(d.idVendor, d.idProduct, _serial_of(d), d.bus, d.address)
            for d in _find(vendor, product, backend)]


class UsbTransport(Transport):
    """Bulk OUT for data, bulk IN for replies, class requests for id, status and reset."""

    kind = "usb"

    def __init__(self, vendor: int | None = None, product: int | None = None,
                 serial: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 backend: Any = None, chunk_size: int = DEFAULT_CHUNK) -> None:
        super().__init__(timeout)
        self.vendor, self.product, self.serial = vendor, product, serial
        self.chunk_size = chunk_size
        self._backend = backend
        self._dev: Any = None
        self._intf: Any = None
        self._ep_out: Any = None
        self._ep_in: Any = None

    def describe(self) -> str:
        def hex_or_any(value: int | None) -> str:
            return "*" if value is None else f"{value:04x}"
        ids = f"{hex_or_any(self.vendor)}:{hex_or_any(self.product)}"
        return f"usb {ids}" + (f" serial {self.serial}" if self.serial else "")

    def open(self) -> None:
        if self._dev is not None:
            return
        usb = _usb()
        backend = default_backend() if self._backend is None else self._backend
        for device in _find(self.vendor, self.product, backend):
            if self.serial is None or _serial_of(device) == self.serial:
                break
        else:
            raise DeviceNotFound(f"no USB printer matches {self.describe()}")
        intf = _printer_interface(device)
        try:
            try:
                if device.is_kernel_driver_active(intf.bInterfaceNumber):
                    device.detach_kernel_driver(intf.bInterfaceNumber)
            except (NotImplementedError, usb.core.USBError):
                pass  # not supported on this OS/backend; claiming will tell if it matters
            try:
                device.get_active_configuration()
            except usb.core.USBError:
                device.set_configuration()
            usb.util.claim_interface(device, intf.bInterfaceNumber)
        except usb.core.USBError as exc:
            raise TransportClosed(f"cannot claim {self.describe()}: {exc}") from exc
        out_dir, in_dir = usb.util.ENDPOINT_OUT, usb.util.ENDPOINT_IN
        bulk = usb.util.ENDPOINT_TYPE_BULK

        def endpoint(direction: int) -> Any:
            return usb.util.find_descriptor(
                intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress)
                == direction and usb.util.endpoint_type(e.bmAttributes) == bulk)

        self._ep_out, self._ep_in = endpoint(out_dir), endpoint(in_dir)
        if self._ep_out is None:
            raise DeviceNotFound(f"{self.describe()} has no bulk OUT endpoint")
        self._dev, self._intf = device, intf
        self.vendor, self.product = device.idVendor, device.idProduct

    def _device(self) -> Any:
        if self._dev is None:
            raise TransportClosed(f"{self.describe()} is not open")
        return self._dev

    def _translate(self, exc: Exception, action: str) -> Exception:
        usb = _usb()
        if isinstance(exc, usb.core.USBTimeoutError):
            return TransportTimeout(f"{action} on {self.describe()} timed out")
        gone = getattr(exc, "errno", None) in _GONE_ERRNOS
        return TransportClosed(f"{action} on {self.describe()} failed"
                               f"{' (device gone)' if gone else ''}: {exc}")

    def _call(self, action: str, fn: Callable[[], Any]) -> Any:
        usb = _usb()
        try:
            return fn()
        except usb.core.USBError as exc:
            raise self._translate(exc, action) from exc

    def write(self, data: bytes, timeout: float | None = None) -> None:
        dev = self._device()
        ms = int(self._timeout(timeout) * 1000)
        view = memoryview(data)
        for start in range(0, len(data), self.chunk_size):
            chunk = view[start:start + self.chunk_size]
            sent = self._call("write", lambda c=chunk: dev.write(self._ep_out, c, ms))
            if sent != len(chunk):
                raise TransportClosed(f"short write on {self.describe()}: {sent}/{len(chunk)}")

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        dev = self._device()
        if self._ep_in is None:
            raise TransportClosed(f"{self.describe()} has no bulk IN endpoint (no replies)")
        ms = int(self._timeout(timeout) * 1000)
        size = max(size, int(self._ep_in.wMaxPacketSize))
        data = bytes(self._call("read", lambda: dev.read(self._ep_in, size, ms)))
        if not data:
            raise TransportTimeout(f"no reply from {self.describe()}")
        return data

    def _w_index(self) -> int:
        return (self._intf.bInterfaceNumber << 8) | self._intf.bAlternateSetting

    def device_id(self) -> str:
        """The IEEE 1284 device id (`MFG:...;MDL:...;CMD:...;`)."""
        dev = self._device()
        raw = bytes(self._call("GET_DEVICE_ID", lambda: dev.ctrl_transfer(
            CLASS_IN_INTERFACE, GET_DEVICE_ID, 0, self._w_index(), 1024)))
        if len(raw) < 2:
            return ""
        length = min(int.from_bytes(raw[:2], "big"), len(raw))
        return raw[2:length].decode("ascii", errors="replace")

    def port_status(self) -> int:
        """The GET_PORT_STATUS byte (PORT_NOT_ERROR, PORT_SELECTED, PORT_PAPER_EMPTY bits)."""
        dev = self._device()
        raw = bytes(self._call("GET_PORT_STATUS", lambda: dev.ctrl_transfer(
            CLASS_IN_INTERFACE, GET_PORT_STATUS, 0, self._w_index(), 1)))
        return raw[0] if raw else 0

    def soft_reset(self) -> None:
        """Flush the printer's buffers and reset its bulk pipes (printer-class SOFT_RESET)."""
        dev = self._device()
        # wIndex is the bare interface number here (class spec 4.2.3), unlike GET_DEVICE_ID.
        self._call("SOFT_RESET", lambda: dev.ctrl_transfer(
            CLASS_OUT_INTERFACE, SOFT_RESET, 0, self._intf.bInterfaceNumber, None))

    def close(self) -> None:
        dev, self._dev = self._dev, None
        if dev is None:
            return
        usb = _usb()
        try:
            usb.util.release_interface(dev, self._intf.bInterfaceNumber)
        except usb.core.USBError:
            pass  # the device may already be gone; nothing left to release
        usb.util.dispose_resources(dev)
