"""The USB transport, unchanged, against the virtual printer's pyusb backend."""

from __future__ import annotations

import pytest
import usb.core
import usb.util

from cetak.api.v1 import common_pb2
from cetak.native import JobOptions
from cetak.printers import models
from cetak.printers.dialects import get_dialect
from cetak.printers.driver import PrinterDriver
from cetak.printers.transports.errors import DeviceNotFound, TransportClosed, TransportTimeout
from cetak.printers.transports.usb import (
    PORT_NOT_ERROR,
    PORT_PAPER_EMPTY,
    PORT_SELECTED,
    UsbTransport,
    list_printers,
)
from cetak.printers.virtual.output import read_log
from cetak.printers.virtual.usb_backend import VirtualUsbBackend


def test_pyusb_sees_a_printer_class_device(make_printer):
    printer = make_printer("evolis", serial="EV-42")
    dev = usb.core.find(idVendor=models.EVOLIS_VID, backend=VirtualUsbBackend(printer))
    assert dev is not None and dev.idProduct == printer.model.usb_product
    intf = dev.get_active_configuration()[(0, 0)]
    assert (intf.bInterfaceClass, intf.bInterfaceSubClass, intf.bInterfaceProtocol) == (7, 1, 2)
    directions = sorted(usb.util.endpoint_direction(e.bEndpointAddress) for e in intf)
    assert directions == [usb.util.ENDPOINT_OUT, usb.util.ENDPOINT_IN]
    assert (dev.manufacturer, dev.product, dev.serial_number) == (
        "Evolis", "Evolis Primacy", "EV-42")


def test_find_by_ids_and_serial(make_printer):
    a = make_printer("evolis", serial="A1")
    b = make_printer("evolis", serial="B2")
    m = make_printer("magicard", serial="M3")
    backend = VirtualUsbBackend(a, b, m)
    assert [p.serial for p in list_printers(backend=backend)] == ["A1", "B2", "M3"]
    assert [p.serial for p in list_printers(vendor=models.MAGICARD_VID, backend=backend)] == [
        "M3"]
    with UsbTransport(models.EVOLIS_VID, serial="B2", backend=backend) as transport:
        transport.write(b"\x1bRsn\r")
        assert transport.read() == b"B2\r"
    with pytest.raises(DeviceNotFound):
        UsbTransport(models.EVOLIS_VID, serial="nope", backend=backend).open()


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_device_id_chooses_the_dialect(make_printer, dialect):
    printer = make_printer(dialect)
    with UsbTransport(backend=VirtualUsbBackend(printer)) as transport:
        device_id = transport.device_id()
    assert models.dialect_for_device_id(device_id) == dialect
    assert models.model_for_device_id(device_id) is printer.model


def test_port_status_and_soft_reset(make_printer):
    printer = make_printer("evolis", blanks=0)
    with UsbTransport(backend=VirtualUsbBackend(printer), timeout=0.1) as transport:
        assert transport.port_status() == PORT_SELECTED | PORT_NOT_ERROR
        transport.write(b"\x1bPr;k\r\x1bSs\r")  # the hopper is empty: the feed fails
        assert transport.port_status() == PORT_SELECTED | PORT_PAPER_EMPTY
        transport.write(b"\x1bRsn\r")
        transport.soft_reset()                   # drops the unread reply
        with pytest.raises(TransportTimeout):
            transport.read()


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_driver_prints_over_usb_in_small_chunks(make_printer, card, dialect):
    printer = make_printer(dialect)
    transport = UsbTransport(backend=VirtualUsbBackend(printer), chunk_size=4096)
    driver = PrinterDriver(transport, dialect, poll_interval=0.001)
    job = get_dialect(dialect).build_job(card, JobOptions(contactless=True))
    fed: list[str] = []
    outcome = driver.print_card(job, b"chip", printer.chip_station, fed.append, record_id="u1")
    driver.close()
    assert outcome.state == common_pb2.PRINTED and fed == ["BLK00000001"]
    assert (printer.out_dir / "u1.chip").read_bytes() == b"chip"
    assert read_log(printer.out_dir)[0]["record"] == "u1"


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_power_loss_over_usb_is_unknown(make_printer, card, dialect):
    printer = make_printer(dialect, faults="power_loss@1")
    transport = UsbTransport(backend=VirtualUsbBackend(printer))
    driver = PrinterDriver(transport, dialect, poll_interval=0.001)
    outcome = driver.print_card(get_dialect(dialect).build_job(card), record_id="u1")
    assert (outcome.state, outcome.blank_serial) == (common_pb2.UNKNOWN, "BLK00000001")
    with pytest.raises(TransportClosed):
        transport.write(b"\x1bRse\r")
    assert driver.status().state.value == "offline"
    driver.close()
