"""A pyusb backend whose devices are virtual printers: a USB printer-class device each
(interface class 7, subclass 1, protocol 2 bidirectional, bulk OUT 0x01 and bulk IN 0x81).

    backend = VirtualUsbBackend(printer)
    usb.core.find(idVendor=0x0F49, backend=backend)   # or UsbTransport(..., backend=backend)

It answers the standard string descriptors (manufacturer, product, serial) and the class
requests GET_DEVICE_ID (the model's IEEE 1284 id), GET_PORT_STATUS and SOFT_RESET; a printer
without power raises USBError like an unplugged device.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

import usb.backend
import usb.core

from cetak.printers.status import Condition, State
from cetak.printers.virtual.device import Port, VirtualPrinter

EP_OUT, EP_IN = 0x01, 0x81
MAX_PACKET = 512
STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL = 1, 2, 3
LANGID_EN_US = 0x0409
_GET_DESCRIPTOR = 6
_DESC_STRING = 3


@dataclass
class _Descriptor:
    """pyusb reads descriptors as plain attributes."""

    fields: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class _Handle:
    index: int
    port: Port
    pending: bytearray = field(default_factory=bytearray)


def _no_device() -> usb.core.USBError:
    return usb.core.USBError("No such device (it may have been disconnected)", -4, errno.ENODEV)


def _copy_into(buff: Any, payload: bytes) -> int:
    n = min(len(buff), len(payload))
    buff[:n] = type(buff)(buff.typecode, payload[:n])
    return n


class VirtualUsbBackend(usb.backend.IBackend):
    def __init__(self, *printers: VirtualPrinter) -> None:
        self.printers = list(printers)

    # -- enumeration and descriptors ---------------------------------------------------

    def enumerate_devices(self) -> list[int]:
        return list(range(len(self.printers)))

    def get_parent(self, dev: int) -> None:
        return None

    def get_device_descriptor(self, dev: int) -> _Descriptor:
        model = self.printers[dev].model
        return _Descriptor(dict(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0,
            bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=model.usb_vendor,
            idProduct=model.usb_product, bcdDevice=0x0100, iManufacturer=STRING_MANUFACTURER,
            iProduct=STRING_PRODUCT, iSerialNumber=STRING_SERIAL, bNumConfigurations=1,
            address=dev + 2, bus=1, port_number=dev + 1, port_numbers=(dev + 1,), speed=3))

    def get_configuration_descriptor(self, dev: int, config: int) -> _Descriptor:
        return _Descriptor(dict(
            bLength=9, bDescriptorType=2, wTotalLength=32, bNumInterfaces=1,
            bConfigurationValue=1, iConfiguration=0, bmAttributes=0xC0, bMaxPower=50,
            extra_descriptors=[]))

    def get_interface_descriptor(self, dev: int, intf: int, alt: int,
                                 config: int) -> _Descriptor:
        return _Descriptor(dict(
            bLength=9, bDescriptorType=4, bInterfaceNumber=0, bAlternateSetting=0,
            bNumEndpoints=2, bInterfaceClass=7, bInterfaceSubClass=1, bInterfaceProtocol=2,
            iInterface=0, extra_descriptors=[]))

    def get_endpoint_descriptor(self, dev: int, ep: int, intf: int, alt: int,
                                config: int) -> _Descriptor:
        return _Descriptor(dict(
            bLength=7, bDescriptorType=5, bEndpointAddress=(EP_OUT, EP_IN)[ep],
            bmAttributes=2, wMaxPacketSize=MAX_PACKET, bInterval=0, bRefresh=0,
            bSynchAddress=0, extra_descriptors=[]))

    # -- handles -----------------------------------------------------------------------

    def open_device(self, dev: int) -> _Handle:
        printer = self.printers[dev]
        if not printer.powered:
            raise _no_device()
        return _Handle(dev, printer.open_port())

    def close_device(self, dev_handle: _Handle) -> None:
        dev_handle.pending.clear()

    def set_configuration(self, dev_handle: _Handle, config_value: int) -> None:
        pass

    def get_configuration(self, dev_handle: _Handle) -> int:
        return 1

    def set_interface_altsetting(self, dev_handle: _Handle, intf: int, altsetting: int) -> None:
        pass

    def claim_interface(self, dev_handle: _Handle, intf: int) -> None:
        pass

    def release_interface(self, dev_handle: _Handle, intf: int) -> None:
        pass

    def is_kernel_driver_active(self, dev_handle: _Handle, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        pass

    def attach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        pass

    def clear_halt(self, dev_handle: _Handle, ep: int) -> None:
        pass

    def reset_device(self, dev_handle: _Handle) -> None:
        dev_handle.pending.clear()

    # -- transfers ---------------------------------------------------------------------

    def _printer(self, dev_handle: _Handle) -> VirtualPrinter:
        printer = self.printers[dev_handle.index]
        if not printer.powered:
            raise _no_device()
        return printer

    def bulk_write(self, dev_handle: _Handle, ep: int, intf: int, data: Any,
                   timeout: int) -> int:
        self._printer(dev_handle)
        dev_handle.pending += dev_handle.port.receive(bytes(data))
        self._printer(dev_handle)  # lost power while taking the data: the transfer fails
        return len(data)

    def bulk_read(self, dev_handle: _Handle, ep: int, intf: int, buff: Any,
                  timeout: int) -> int:
        self._printer(dev_handle)
        if not dev_handle.pending:
            raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
        n = _copy_into(buff, bytes(dev_handle.pending))
        del dev_handle.pending[:n]
        return n

    def ctrl_transfer(self, dev_handle: _Handle, bmRequestType: int, bRequest: int,
                      wValue: int, wIndex: int, data: Any, timeout: int) -> Any:
        printer = self._printer(dev_handle)
        if bmRequestType == 0x80 and bRequest == _GET_DESCRIPTOR and wValue >> 8 == _DESC_STRING:
            return _copy_into(data, self._string(printer, wValue & 0xFF))
        if bmRequestType == 0xA1 and bRequest == 0:  # GET_DEVICE_ID
            text = printer.device_id.encode("ascii")
            return _copy_into(data, (len(text) + 2).to_bytes(2, "big") + text)
        if bmRequestType == 0xA1 and bRequest == 1:  # GET_PORT_STATUS
            return _copy_into(data, bytes([self._port_status(printer)]))
        if bmRequestType in (0x21, 0x23) and bRequest == 2:  # SOFT_RESET (Linux sends 0x23)
            dev_handle.pending.clear()
            dev_handle.port = printer.open_port()
            printer.mechanism.soft_reset()
            return 0
        raise usb.core.USBError("Pipe error (request not supported)", -9, errno.EPIPE)

    @staticmethod
    def _string(printer: VirtualPrinter, index: int) -> bytes:
        if index == 0:
            return bytes([4, _DESC_STRING]) + LANGID_EN_US.to_bytes(2, "little")
        text = {STRING_MANUFACTURER: printer.model.manufacturer,
                STRING_PRODUCT: printer.model.name,
                STRING_SERIAL: printer.mechanism.serial}.get(index, "")
        encoded = text.encode("utf-16-le")
        return bytes([2 + len(encoded), _DESC_STRING]) + encoded

    @staticmethod
    def _port_status(printer: VirtualPrinter) -> int:
        state, condition, _ = printer.mechanism.state()
        status = 0x10  # selected
        if state is not State.ERROR:
            status |= 0x08  # not error
        if condition is Condition.FEEDER_EMPTY:
            status |= 0x20  # paper empty
        return status
