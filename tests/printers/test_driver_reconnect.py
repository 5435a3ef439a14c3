"""A printer that dropped its connection (power loss) is talked to again once it is back.

Regression (found by bench/drill.py): after a power loss the virtual printer closes every TCP
connection; the driver kept the dead socket, so every later card failed "printer offline"
until the agent was restarted, and the site stopped printing.
"""

from __future__ import annotations

import pytest

from cetak.api.v1 import common_pb2
from cetak.native import JobOptions
from cetak.printers.dialects import get_dialect
from cetak.printers.driver import PrinterDriver
from cetak.printers.transports.tcp import TcpTransport
from cetak.printers.virtual.output import read_log
from cetak.printers.virtual.tcp_server import create_server, serve_in_thread


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_driver_reconnects_after_power_loss(make_printer, card, dialect):
    printer = make_printer(dialect, faults="power_loss@1")
    server, port = create_server(printer)
    thread = serve_in_thread(server)
    transport = TcpTransport(f"127.0.0.1:{port}", timeout=5.0)
    driver = PrinterDriver(transport, dialect, poll_interval=0.001)
    job = get_dialect(dialect).build_job(card, JobOptions(contactless=False))
    try:
        first = driver.print_card(job, record_id="rec-1")
        assert first.state == common_pb2.UNKNOWN
        assert driver.status().state.value == "offline"  # still dark: refused, not hung
        printer.power_on()
        second = driver.print_card(job, record_id="rec-2")
        assert second.state == common_pb2.PRINTED, second
    finally:
        driver.close()
        server.stop()
        thread.join(timeout=5)
    assert [(e["record"], e["outcome"]) for e in read_log(printer.out_dir)] == [
        ("rec-1", "interrupted"), ("rec-2", "printed")]
