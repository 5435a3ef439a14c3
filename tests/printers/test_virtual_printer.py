"""The virtual printer's physical model through its own dialect ports: consumables, the hopper,
real vendor captures, bad streams, duplex output."""

from __future__ import annotations

from pathlib import Path

import pytest

from cetak.api.v1 import common_pb2
from cetak.native import JobOptions
from cetak.printers.dialects import get_dialect
from cetak.printers.driver import PrinterDriver
from cetak.printers.errors import EmulatorError
from cetak.printers.status import Condition, State
from cetak.printers.transports.virtual import VirtualTransport
from cetak.printers.virtual import VirtualPrinter
from cetak.printers.virtual.output import read_log, safe_name

VECTORS = Path(__file__).resolve().parents[1] / "data" / "evolis-windows-driver"


def driver_for(printer: VirtualPrinter) -> PrinterDriver:
    return PrinterDriver(VirtualTransport(printer), printer.dialect, poll_interval=0.001)


def print_job(printer: VirtualPrinter, card, record: str, **options):
    job = get_dialect(printer.dialect).build_job(card, JobOptions(**options))
    return driver_for(printer).print_card(job, record_id=record)


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_status_reports_model_consumables_and_counters(make_printer, card, dialect):
    printer = make_printer(dialect, blanks=7, ribbon_panels=40, serial="SN-1")
    status = driver_for(printer).status()
    assert status.state is State.READY
    assert (status.blanks_in_hopper, status.ribbon_left, status.serial) == (7, 40, "SN-1")
    assert status.ribbon_capacity == printer.model.ribbon_panels
    assert status.model == printer.model.name and status.firmware.startswith("cetak-virtual")
    assert print_job(printer, card, "r1").state == common_pb2.PRINTED
    after = driver_for(printer).status()
    assert (after.cards_fed, after.cards_printed, after.blanks_in_hopper) == (1, 1, 6)
    assert after.last_blank_serial == "BLK00000001"
    proto = after.to_proto("p1")
    assert proto.consumables.blanks_in_hopper == 6 and proto.state == common_pb2.READY


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_ribbon_depletes_per_panel_and_runs_out_mid_card(make_printer, card, dialect):
    printer = make_printer(dialect, ribbon_panels=12)  # YMCKO: 5 panels a side
    assert print_job(printer, card, "r1").state == common_pb2.PRINTED
    assert printer.snapshot()["ribbon_left"] == 7
    assert print_job(printer, card, "r2").state == common_pb2.PRINTED
    short = print_job(printer, card, "r3")  # 2 panels left for a 5-panel card
    assert (short.state, short.reason) == (common_pb2.SPOILED, "ribbon out")
    empty = print_job(printer, card, "r3")
    assert (empty.state, empty.reason) == (common_pb2.FAILED_BEFORE_CARD, "ribbon out")
    printer.clear()  # the operator puts a new roll in
    assert printer.snapshot()["ribbon_left"] == printer.model.ribbon_panels
    assert print_job(printer, card, "r3").state == common_pb2.PRINTED


def test_film_depletes_per_printed_side(make_printer, duplex_card):
    printer = make_printer("evolis", model="Evolis Avansia", film_frames=3)
    assert print_job(printer, duplex_card, "r1").state == common_pb2.PRINTED
    snap = printer.snapshot()
    assert (snap["film_left"], snap["ribbon_left"]) == (1, printer.model.ribbon_panels - 10)
    short = print_job(printer, duplex_card, "r2")
    assert (short.state, short.reason) == (common_pb2.SPOILED, "film out")


@pytest.mark.parametrize("dialect", ["evolis", "magicard"])
def test_hopper_empties(make_printer, card, dialect):
    printer = make_printer(dialect, blanks=2, blank_prefix="DPK-", first_blank=500)
    serials = [print_job(printer, card, f"r{i}").blank_serial for i in range(2)]
    assert serials == ["DPK-00000500", "DPK-00000501"]
    empty = print_job(printer, card, "r2")
    assert (empty.state, empty.reason) == (common_pb2.FAILED_BEFORE_CARD, "feeder empty")
    printer.load_blanks(1)
    assert print_job(printer, card, "r2").blank_serial == "DPK-00000502"
    assert [e["outcome"] for e in read_log(printer.out_dir)] == ["printed"] * 3


def test_duplex_writes_both_sides(make_printer, duplex_card):
    printer = make_printer("evolis")
    assert print_job(printer, duplex_card, "r/../1").state == common_pb2.PRINTED
    names = sorted(p.name for p in printer.out_dir.iterdir())
    assert names == ["produced.jsonl", "r_.._1.back.png", "r_.._1.front.png"]


@pytest.mark.parametrize("vector", sorted(VECTORS.glob("*.prn")), ids=lambda p: p.stem)
def test_reads_every_vendor_capture(make_printer, vector):
    printer = make_printer("evolis")
    port = printer.open_port()
    data = vector.read_bytes()
    assert port.receive(data[:1000]) == b""  # arrives in pieces, like over USB
    assert port.receive(data[1000:]) == b""
    printer.finish()
    [entry] = read_log(printer.out_dir)
    assert entry["outcome"] == "printed"
    assert (printer.out_dir / f"{entry['blank_serial']}.front.png").exists()
    assert printer.snapshot()["ribbon_left"] == printer.model.ribbon_panels - 1  # K only


def test_undecodable_evolis_stream_gets_error_reply_and_spoils_the_fed_blank(make_printer):
    printer = make_printer("evolis")
    port = printer.open_port()
    assert port.receive(b"\x1bPr;k\r\x1bSs\r\x1bSr\r\x1bDbc;k;2;3;\xff\xff\xff\r\x1bSe\r") == b""
    assert port.receive(b"\x1bRse\r") == b"ERROR CDE\r"
    assert port.receive(b"\x1bRse\r") == b"READY\r"  # reported once, then forgotten
    assert [e["reason"] for e in read_log(printer.out_dir)] == ["bad job"]


def test_garbage_gets_error_reply_and_no_card(make_printer):
    for dialect, query in (("evolis", b"\x1bRse\r"),
                           ("magicard", get_dialect("magicard").read_state())):
        printer = make_printer(dialect, out_dir=None)
        port = printer.open_port()
        assert port.receive(b"garbage, not a job" + query) != b""
        assert printer.snapshot()["counters"] == {"fed": 0, "printed": 0, "rejected": 0}
    magicard = make_printer("magicard", out_dir=None).open_port()
    magicard.receive(b"\x05" * 64 + b"\x01,NOC1,WID648\x1c\x03")
    reply = magicard.receive(get_dialect("magicard").read_state())
    assert reply.startswith(b"\x01ERR,JOB")


def test_unknown_queries_get_the_dialect_error(make_printer):
    assert make_printer("evolis").open_port().receive(b"\x1bRzz\r") == b"ERROR CDE\r"
    reply = make_printer("magicard").open_port().receive(
        get_dialect("magicard").request("ZZZ"))
    assert reply == b"\x01ERR,CDEERROR CDE,\x03"


def test_chip_station_needs_a_card(make_printer):
    from cetak.card.errors import ChipWriteError
    printer = make_printer("evolis")
    with pytest.raises(ChipWriteError):
        printer.chip_station.write_chip(b"x")


def test_model_must_speak_the_dialect(tmp_path):
    with pytest.raises(EmulatorError):
        VirtualPrinter("magicard", model="Evolis Primacy")


def test_time_model_keeps_the_printer_busy(tmp_path, card):
    now = [0.0]
    printer = VirtualPrinter("evolis", out_dir=tmp_path, cards_per_hour=360,
                             clock=lambda: now[0])
    port = printer.open_port()
    port.receive(get_dialect("evolis").build_job(card).data)
    assert port.receive(b"\x1bRse\r") == b"BUSY;PRINTING\r"
    now[0] = 9.0   # 10 s per YMCKO card at 360 cards per hour
    assert port.receive(b"\x1bRse\r") == b"BUSY;PRINTING\r"
    now[0] = 10.0
    assert port.receive(b"\x1bRse\r") == b"READY\r"
    assert printer.mechanism.state()[1] is Condition.NONE


def test_safe_names_stay_in_the_folder():
    assert safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert safe_name("") == "card"


def test_magicard_duplex_is_one_card_of_two_pages(make_printer, duplex_card):
    printer = make_printer("magicard", ribbon_panels=100)
    assert print_job(printer, duplex_card, "r1").state == common_pb2.PRINTED
    assert (printer.out_dir / "r1.back.png").exists()
    assert printer.snapshot()["ribbon_left"] == 90  # YMCK planes + overcoat, both sides
    assert [e["outcome"] for e in read_log(printer.out_dir)] == ["printed"]
