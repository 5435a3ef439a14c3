"""Every fault kind, on both dialects, through the real driver and the in-process transport:
the outcome, the blank serial reported to on_fed, and the printer's physical log agree."""

from __future__ import annotations

import pytest

from cetak.api.v1 import common_pb2
from cetak.native import JobOptions
from cetak.printers.dialects import get_dialect
from cetak.printers.driver import PrinterDriver
from cetak.printers.transports.virtual import VirtualTransport
from cetak.printers.virtual.output import read_log

DIALECTS = ["evolis", "magicard"]
CHIP = b"\x61\x03\x01\x02\x03"  # a tiny BER-TLV chip payload

# fault -> (attempt state, reason, physical outcome or None when no blank left the hopper)
EXPECTED = {
    "feeder_empty": (common_pb2.FAILED_BEFORE_CARD, "feeder empty", None),
    "cover_open": (common_pb2.FAILED_BEFORE_CARD, "cover open", None),
    "jam_before_feed": (common_pb2.FAILED_BEFORE_CARD, "card jam", None),
    "jam_after_feed": (common_pb2.SPOILED, "card jam", "spoiled"),
    "ribbon_out": (common_pb2.SPOILED, "ribbon out", "spoiled"),
    "film_out": (common_pb2.SPOILED, "film out", "spoiled"),
    "chip_write_failure": (common_pb2.SPOILED, "chip write failed", "spoiled"),
    "power_loss": (common_pb2.UNKNOWN, "printer lost after feed", "interrupted"),
}
RETRANSFER = {"evolis": "Evolis Avansia", "magicard": "Magicard Prima 8"}


def print_one(printer, card, *, chip: bytes | None = CHIP, record: str = "rec-1"):
    transport = VirtualTransport(printer)
    driver = PrinterDriver(transport, printer.dialect, poll_interval=0.001)
    job = get_dialect(printer.dialect).build_job(card, JobOptions(contactless=chip is not None))
    fed: list[str] = []
    outcome = driver.print_card(job, chip, transport.chip_encoder, fed.append, record_id=record)
    return outcome, fed


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_good_card_prints(make_printer, card, dialect):
    printer = make_printer(dialect)
    outcome, fed = print_one(printer, card)
    assert outcome.state == common_pb2.PRINTED
    assert fed == [outcome.blank_serial] == ["BLK00000001"]
    out = printer.out_dir
    assert (out / "rec-1.front.png").exists() and not (out / "rec-1.back.png").exists()
    assert (out / "rec-1.chip").read_bytes() == CHIP
    [entry] = read_log(out)
    assert (entry["blank_serial"], entry["record"], entry["outcome"]) == (
        "BLK00000001", "rec-1", "printed")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_outcomes(make_printer, card, dialect, fault):
    model = RETRANSFER[dialect] if fault == "film_out" else None
    printer = make_printer(dialect, model=model, faults=f"{fault}@1")
    state, reason, physical = EXPECTED[fault]
    outcome, fed = print_one(printer, card)
    assert (outcome.state, outcome.reason) == (state, reason)
    log = read_log(printer.out_dir)
    if physical is None:  # nothing touched a blank
        assert fed == [] and outcome.blank_serial == "" and log == []
        assert printer.snapshot()["blanks"] == 500
    else:
        assert fed == [outcome.blank_serial] == ["BLK00000001"]
        assert [(e["blank_serial"], e["outcome"]) for e in log] == [("BLK00000001", physical)]
        assert not (printer.out_dir / "rec-1.front.png").exists()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_faults_on_command_and_recovery(make_printer, card, dialect):
    printer = make_printer(dialect)
    printer.inject_fault("jam_after_feed")
    first, _ = print_one(printer, card, record="rec-1")
    assert first.state == common_pb2.SPOILED
    blocked, fed = print_one(printer, card, record="rec-2")  # the jam is still there
    assert (blocked.state, blocked.reason, fed) == (common_pb2.FAILED_BEFORE_CARD, "card jam", [])
    printer.clear()
    again, _ = print_one(printer, card, record="rec-2")
    assert again.state == common_pb2.PRINTED and again.blank_serial == "BLK00000002"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_power_comes_back(make_printer, card, dialect):
    printer = make_printer(dialect, faults="power_loss@1")
    lost, _ = print_one(printer, card, record="rec-1")
    assert lost.state == common_pb2.UNKNOWN
    offline, fed = print_one(printer, card, record="rec-2")
    assert (offline.state, fed) == (common_pb2.FAILED_BEFORE_CARD, [])
    printer.power_on()
    back, _ = print_one(printer, card, record="rec-2")
    assert back.state == common_pb2.PRINTED


def test_seeded_faults_repeat_exactly(make_printer, card, tmp_path):
    def run(folder: str) -> list[tuple[int, str]]:
        printer = make_printer("evolis", out_dir=tmp_path / folder, operator_delay=0.0,
                               faults="jam_after_feed%0.3,feeder_empty%0.2", seed=11)
        return [(o.state, o.reason) for o, _ in
                (print_one(printer, card, chip=None, record=f"r{i}") for i in range(12))]
    first = run("a")
    assert first == run("b")
    assert {state for state, _ in first} >= {common_pb2.PRINTED, common_pb2.SPOILED}


def test_a_card_left_by_a_vanished_host_blocks_until_the_operator_clears(make_printer, card):
    printer = make_printer("evolis")
    port = printer.open_port()
    job = get_dialect("evolis").build_job(card, JobOptions(contactless=True))
    port.receive(job.data[:job.chip_offset])  # a host fed a card to the station, then died
    blocked, fed = print_one(printer, card)
    assert (blocked.state, blocked.reason, fed) == (
        common_pb2.FAILED_BEFORE_CARD, "printer busy", [])
    printer.clear()
    assert print_one(printer, card)[0].state == common_pb2.PRINTED
    assert [e["reason"] for e in read_log(printer.out_dir)] == ["removed by operator", ""]


class _SilentCounters:
    """A dialect wrapper hiding the fed counter and blank serial, like a plain real printer."""

    def __init__(self, dialect):
        self._d = dialect

    def __getattr__(self, name):
        return getattr(self._d, name)

    def parse_status(self, replies):
        from dataclasses import replace
        return replace(self._d.parse_status(replies), cards_fed=None, last_blank_serial="")


def test_without_fed_counter_the_printed_counter_confirms_the_card(make_printer, card):
    printer = make_printer("magicard", serial="MC-1")
    driver = PrinterDriver(VirtualTransport(printer), _SilentCounters(get_dialect("magicard")),
                           poll_interval=0.001)
    fed: list[str] = []
    outcome = driver.print_card(get_dialect("magicard").build_job(card), on_fed=fed.append)
    assert outcome.state == common_pb2.PRINTED and fed == ["MC-1#1"]


def test_printer_offline_before_feed_is_failed_before_card(card):
    import socket

    from cetak.printers.transports.tcp import TcpTransport
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]  # closed again: nobody answers there
    driver = PrinterDriver(TcpTransport(f"127.0.0.1:{port}", timeout=1), "evolis")
    fed: list[str] = []
    job = get_dialect("evolis").build_job(card)
    outcome = driver.print_card(job, on_fed=fed.append)
    assert (outcome.state, outcome.reason, fed) == (
        common_pb2.FAILED_BEFORE_CARD, "printer offline", [])


def test_any_encoder_failure_spoils_the_card_at_the_station(make_printer, card):
    from cetak.card.errors import EncoderUnavailable

    class BrokenReader:
        def write_chip(self, data: bytes) -> str:
            raise EncoderUnavailable("reader unplugged")

    printer = make_printer("magicard")
    driver = PrinterDriver(VirtualTransport(printer), "magicard", poll_interval=0.001)
    job = get_dialect("magicard").build_job(card, JobOptions(contactless=True))
    outcome = driver.print_card(job, CHIP, BrokenReader(), record_id="r1")
    assert (outcome.state, outcome.reason) == (common_pb2.SPOILED, "chip write failed")
    assert read_log(printer.out_dir)[0]["reason"] == "rejected by host"


def test_status_from_another_thread_waits_for_the_card(make_printer, card):
    import threading

    printer = make_printer("evolis")
    driver = PrinterDriver(VirtualTransport(printer), "evolis", poll_interval=0.001)
    job = get_dialect("evolis").build_job(card)
    statuses = []

    def on_fed(serial: str) -> None:
        # mid-card: another thread asks for the status; it must not break the job's dialogue
        thread = threading.Thread(target=lambda: statuses.append(driver.status()))
        thread.start()
        statuses.append(thread)

    outcome = driver.print_card(job, on_fed=on_fed, record_id="r1")
    statuses[0].join(timeout=10)
    assert outcome.state == common_pb2.PRINTED
    assert statuses[1].cards_printed == 1 and statuses[1].blanks_in_hopper == 499
    assert driver.last_status.cards_printed == 1


@pytest.mark.parametrize("dialect", DIALECTS)
def test_outcomes_agree_with_the_physical_log(make_printer, card, dialect):
    """A small drill: random faults of every kind; the driver's outcomes, the log of cards
    physically produced and the hopper must tell the same story, blank by blank."""
    faults = ",".join(f"{kind}%0.08" for kind in sorted(EXPECTED))
    printer = make_printer(dialect, blanks=40, model=RETRANSFER[dialect], faults=faults,
                           seed=3, operator_delay=0.0)
    outcomes = []
    for i in range(30):
        outcome, fed = print_one(printer, card, record=f"r{i}")
        assert fed == ([outcome.blank_serial] if outcome.blank_serial else [])
        outcomes.append(outcome)
        if not printer.powered:
            printer.power_on()
    physical = {"printed": common_pb2.PRINTED, "spoiled": common_pb2.SPOILED,
                "interrupted": common_pb2.UNKNOWN}
    log = read_log(printer.out_dir)
    assert [(e["blank_serial"], physical[e["outcome"]]) for e in log] == [
        (o.blank_serial, o.state) for o in outcomes if o.blank_serial]
    assert printer.snapshot()["blanks"] == 40 - len(log)
    assert {o.state for o in outcomes} == {common_pb2.PRINTED, common_pb2.SPOILED,
                                          common_pb2.UNKNOWN, common_pb2.FAILED_BEFORE_CARD}
