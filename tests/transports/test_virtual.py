"""The in-process transport and the transport factory."""

from __future__ import annotations

import pytest

from cetak.printers.transports import make_transport
from cetak.printers.transports.errors import DeviceNotFound, TransportClosed, TransportTimeout
from cetak.printers.transports.tcp import TcpTransport
from cetak.printers.transports.usb import UsbTransport
from cetak.printers.transports.virtual import VirtualTransport
from cetak.printers.virtual import registry


def test_named_printer_through_the_factory(make_printer):
    printer = make_printer("evolis", serial="V-9")
    registry.register("bench-1", printer)
    try:
        with make_transport("virtual", address="bench-1") as transport:
            assert transport.kind == "virtual"
            transport.write(b"\x1bRsn\r\x1bRhp")  # a reply, then half a command
            assert transport.read(2) == b"V-"
            assert transport.read() == b"9\r"
            with pytest.raises(TransportTimeout):
                transport.read()
            assert transport.chip_encoder is printer.chip_station
    finally:
        registry.unregister("bench-1")
    with pytest.raises(DeviceNotFound):
        make_transport("virtual", address="bench-1").open()


def test_closed_and_unpowered(make_printer):
    printer = make_printer("magicard")
    transport = VirtualTransport(printer)
    with pytest.raises(TransportClosed):
        transport.write(b"x")  # not open yet
    transport.open()
    printer.mechanism.powered = False
    with pytest.raises(TransportClosed):
        transport.read()
    transport.close()
    with pytest.raises(TransportClosed):
        transport.open()


def test_factory_kinds():
    assert isinstance(make_transport("tcp", address="127.0.0.1:9"), TcpTransport)
    usb = make_transport("usb", vendor=0x0F49, product=0x34, serial="S")
    assert isinstance(usb, UsbTransport) and usb.describe() == "usb 0f49:0034 serial S"
    assert make_transport("usb", vendor=0x0F49).describe() == "usb 0f49:*"
    for kind, kwargs in (("tcp", {}), ("virtual", {}), ("serial", {"address": "x"})):
        with pytest.raises(ValueError):
            make_transport(kind, **kwargs)
