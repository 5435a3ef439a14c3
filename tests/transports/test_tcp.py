"""Raw TCP: the transport's error translation, and the driver against the virtual printer's
TCP server (with the chip station on its service port) for both dialects."""

from __future__ import annotations

import socket
import threading

import pytest

from cetak.api.v1 import common_pb2
from cetak.card.errors import ChipWriteError
from cetak.native import JobOptions
from cetak.printers.dialects import get_dialect
from cetak.printers.driver import PrinterDriver
from cetak.printers.errors import EmulatorError
from cetak.printers.transports import make_transport
from cetak.printers.transports.errors import TransportClosed, TransportTimeout
from cetak.printers.transports.tcp import TcpTransport, parse_address
from cetak.printers.virtual.output import read_log
from cetak.printers.virtual.service import (
    ServiceClient,
    TcpChipEncoder,
    create_service_server,
    handle_line,
)
from cetak.printers.virtual.tcp_server import create_server, serve_in_thread


@pytest.fixture
def serve():
    """Start a printer's TCP and service servers on free loopback ports; stop them after."""
    running = []

    def start(printer):
        server, port = create_server(printer)
        service, service_port = create_service_server(printer)
        threads = [serve_in_thread(server), serve_in_thread(service)]
        running.append((server, service, threads))
        return f"127.0.0.1:{port}", f"127.0.0.1:{service_port}"
    yield start
    for server, service, threads in running:
        server.stop()
        service.stop()
        for thread in threads:
            thread.join(timeout=5)


def test_parse_address():
    assert parse_address("tcp://10.0.0.5:9100") == ("10.0.0.5", 9100)
    assert parse_address("printer.local") == ("printer.local", 9100)
    assert parse_address("[::1]:7000") == ("::1", 7000)
    with pytest.raises(ValueError):
        parse_address("host:port")


def test_errors_are_translated():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
    thread.start()
    transport = TcpTransport(f"127.0.0.1:{port}", timeout=0.05)
    transport.open()
    thread.join(timeout=5)
    with pytest.raises(TransportTimeout):
        transport.read()
    accepted[0].close()
    with pytest.raises(TransportClosed):
        transport.read(timeout=1)
    transport.close()
    transport.close()  # twice is fine
    listener.close()
    with pytest.raises(TransportClosed):
        TcpTransport(f"127.0.0.1:{port}", timeout=1).open()  # nobody listens any more


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_driver_over_tcp_with_remote_chip_station(make_printer, card, serve, dialect):
    printer = make_printer(dialect)
    address, service = serve(printer)
    transport = make_transport("tcp", address=address, timeout=5)
    driver = PrinterDriver(transport, dialect, poll_interval=0.001)
    encoder = TcpChipEncoder(service)
    job = get_dialect(dialect).build_job(card, JobOptions(contactless=True))
    fed: list[str] = []
    try:
        outcome = driver.print_card(job, b"\x01\x02", encoder, fed.append, record_id="t1")
    finally:
        encoder.close()
        driver.close()
    assert (outcome.state, fed) == (common_pb2.PRINTED, ["BLK00000001"])
    assert (printer.out_dir / "t1.chip").read_bytes() == b"\x01\x02"
    assert read_log(printer.out_dir)[0]["outcome"] == "printed"


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_remote_faults_over_tcp(make_printer, card, serve, dialect):
    printer = make_printer(dialect)
    address, service = serve(printer)
    client = ServiceClient(service)
    encoder = TcpChipEncoder(service)
    driver = PrinterDriver(make_transport("tcp", address=address), dialect, poll_interval=0.001)
    job = get_dialect(dialect).build_job(card, JobOptions(contactless=True))
    try:
        client.inject_fault("chip_write_failure")
        failed = driver.print_card(job, b"x", encoder, record_id="t1")
        assert (failed.state, failed.reason) == (common_pb2.SPOILED, "chip write failed")
        client.inject_fault("power_loss")
        lost = driver.print_card(job, b"x", encoder, record_id="t1")
        assert lost.state == common_pb2.UNKNOWN and lost.blank_serial == "BLK00000002"
        assert client.snapshot()["powered"] is False
        client.power_on()
        driver.close()  # the old connection died with the power
        again = driver.print_card(job, b"x", encoder, record_id="t1")
        assert again.state == common_pb2.PRINTED and client.snapshot()["blanks"] == 497
    finally:
        client.close()
        encoder.close()
        driver.close()
    assert [e["outcome"] for e in read_log(printer.out_dir)] == [
        "spoiled", "interrupted", "printed"]


def test_service_requests(make_printer):
    printer = make_printer("evolis", blanks=1)
    assert handle_line(printer, "LOAD 4") == "OK 5"
    assert handle_line(printer, "FAULT nonsense").startswith("ERR fault spec")
    assert handle_line(printer, "CHIP zz").startswith("ERR")
    assert handle_line(printer, "CHIP 0102").startswith("ERR no card")
    assert handle_line(printer, "READCHIP") == "OK "
    assert handle_line(printer, "SELFDESTRUCT").startswith("ERR unknown")
    assert handle_line(printer, "STATUS").startswith('OK {"blanks": 5')


def test_chip_encoder_reports_an_unreachable_station():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    with pytest.raises(ChipWriteError):
        TcpChipEncoder(f"127.0.0.1:{port}", timeout=1).write_chip(b"x")
    with pytest.raises(EmulatorError):
        ServiceClient(f"127.0.0.1:{port}", timeout=1).clear()
