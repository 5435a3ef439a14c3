"""`cetak printer emulate` as a real process: ready line, printing over TCP with the chip
station on the service port, faults from the command line, clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from cetak.api.v1 import common_pb2
from cetak.native import JobOptions
from cetak.printers.dialects import get_dialect
from cetak.printers.driver import PrinterDriver
from cetak.printers.transports.tcp import TcpTransport
from cetak.printers.virtual.output import read_log
from cetak.printers.virtual.service import ServiceClient, TcpChipEncoder


@pytest.fixture
def emulate(tmp_path):
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> dict:
        argv = [sys.executable, "-m", "cetak.cli", "printer", "emulate", "--json",
                "--listen", "tcp://127.0.0.1:0", "--out", str(tmp_path / "out"), *args]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(proc)
        line = proc.stdout.readline()
        assert line, proc.stderr.read().decode()
        return {**json.loads(line), "proc": proc}
    yield start
    for proc in procs:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_emulated_printer_prints_and_stops_cleanly(emulate, card, tmp_path, dialect):
    ready = emulate("--dialect", dialect, "--time-scale", "100000", "--blanks", "3",
                    "--faults", "jam_after_feed@2", "--serial", "EMU-1")
    assert ready["dialect"] == dialect and ready["serial"] == "EMU-1"
    driver = PrinterDriver(TcpTransport(ready["listen"]), dialect, poll_interval=0.002)
    encoder = TcpChipEncoder(ready["service"])
    client = ServiceClient(ready["service"])
    job = get_dialect(dialect).build_job(card, JobOptions(contactless=True))
    try:
        first = driver.print_card(job, b"chip-1", encoder, record_id="c1")
        second = driver.print_card(job, b"chip-2", encoder, record_id="c2")
        client.clear()
        third = driver.print_card(job, b"chip-2", encoder, record_id="c2")
    finally:
        driver.close()
        encoder.close()
        client.close()
    assert [o.state for o in (first, second, third)] == [
        common_pb2.PRINTED, common_pb2.SPOILED, common_pb2.PRINTED]
    assert second.reason == "card jam"
    assert first.blank_serial == "EMU-1-00000001"  # blanks carry their printer's serial

    proc = ready["proc"]
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    out = tmp_path / "out"
    assert (out / "c1.front.png").exists() and (out / "c2.chip").read_bytes() == b"chip-2"
    assert [(e["record"], e["outcome"]) for e in read_log(out)] == [
        ("c1", "printed"), ("c2", "spoiled"), ("c2", "printed")]


def test_default_serial_comes_from_the_port(emulate):
    ready = emulate("--dialect", "magicard")
    assert ready["serial"] == "VP" + ready["listen"].rsplit(":", 1)[1]


def test_bad_options_fail_fast(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cetak.cli", "printer", "emulate", "--dialect", "evolis",
         "--listen", "tcp://127.0.0.1:0", "--out", str(tmp_path), "--faults", "jam@1"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "fault spec 'jam@1'" in result.stderr


def test_blanks_carry_the_serials_the_site_received(emulate, card):
    """--serials as `cetak inventory receive --serials` takes them: the hopper holds exactly
    those blanks, numbered in their width (KTP0001003, not KTP00000001003)."""
    ready = emulate("--dialect", "evolis", "--time-scale", "100000",
                    "--serials", "KTP0001003-KTP0001004")
    driver = PrinterDriver(TcpTransport(ready["listen"]), "evolis", poll_interval=0.002)
    client = ServiceClient(ready["service"])
    job = get_dialect("evolis").build_job(card, JobOptions(contactless=False))
    try:
        assert client.snapshot()["blanks"] == 2
        outcomes = [driver.print_card(job, None, None, record_id=f"r{i}") for i in range(3)]
    finally:
        driver.close()
        client.close()
    assert [o.blank_serial for o in outcomes[:2]] == ["KTP0001003", "KTP0001004"]
    assert outcomes[2].state == common_pb2.FAILED_BEFORE_CARD  # the hopper is empty


@pytest.mark.parametrize("options, message", [
    (["--serials", "KTP0001003-KTP0001004", "--blanks", "5"], "are 2 blanks"),
    (["--serials", "KTP0001003", "--blank-prefix", "X"], "leave out --blank-prefix"),
    (["--serials", "KTP0002-KTP0001"], "runs backwards"),
])
def test_serials_that_do_not_add_up_are_refused(tmp_path, options, message):
    result = subprocess.run(
        [sys.executable, "-m", "cetak.cli", "printer", "emulate", "--dialect", "evolis",
         "--listen", "tcp://127.0.0.1:0", "--out", str(tmp_path), *options],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr
