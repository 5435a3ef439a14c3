"""Command bytes, reply parsing and job building of each dialect, byte for byte."""

from __future__ import annotations

import pytest

from cetak.native import JobOptions, decode_stream
from cetak.printers.dialects import get_dialect
from cetak.printers.dialects.evolis import DIALECT as EVOLIS
from cetak.printers.dialects.magicard import DIALECT as MAGICARD
from cetak.printers.errors import UnknownDialect
from cetak.printers.status import Condition, Position, State

GUARD = b"\x05" * 9 + b"\x01"


def test_evolis_query_bytes():
    assert EVOLIS.read_sensors() == b"\x1bRse\r"
    assert EVOLIS.read_ribbon() == b"\x1bRr\r"
    assert EVOLIS.read_counters() == b"\x1bRco\r"
    assert EVOLIS.read_serial() == b"\x1bRsn\r"
    assert EVOLIS.read_firmware() == b"\x1bRfv\r"
    assert EVOLIS.reject_card() == b"\x1bSer\r"
    assert EVOLIS.soft_reset() == b"\x1bSrs\r"
    assert EVOLIS.job_label("rec-7") == b"\x1bXjl;rec-7\r"


def test_magicard_query_bytes():
    assert MAGICARD.read_serial() == GUARD + b"REQ,STA,MSR,\x1c\x03"
    assert MAGICARD.read_cards_printed() == GUARD + b"REQ,STA,TCQ,\x1c\x03"
    assert MAGICARD.read_ribbon() == GUARD + b"REQ,STA,DFR,\x1c\x03"
    assert MAGICARD.soft_reset() == GUARD + b"RST,\x1c\x03"
    assert MAGICARD.reject_card() == GUARD + b"EJT,\x1c\x03"
    assert MAGICARD.feed_to_contactless() == GUARD + b"XCL,\x1c\x03"


def test_get_dialect():
    assert get_dialect("evolis") is EVOLIS
    assert get_dialect("magicard") is MAGICARD
    with pytest.raises(UnknownDialect):
        get_dialect("fargo")


def test_evolis_status_parsing():
    status = EVOLIS.parse_status({
        "state": b"BUSY;CONTACTLESS\r", "counters": b"12;10;2\r", "ribbon": b"YMCKO;873;1000\r",
        "film": b"ERROR CDE\r", "serial": b"E123\r", "blank_serial": b"BLK00000012\r"})
    assert (status.state, status.position) == (State.BUSY, Position.CONTACTLESS)
    assert (status.cards_fed, status.cards_printed) == (12, 10)
    assert (status.ribbon_left, status.ribbon_capacity) == (873, 1000)
    assert status.film_left is None  # a printer that does not know the query: not reported
    assert status.serial == "E123" and status.last_blank_serial == "BLK00000012"


@pytest.mark.parametrize("reply, condition", [
    (b"FEEDER EMPTY\r", Condition.FEEDER_EMPTY), (b"CARD JAM;PRINTING\r", Condition.CARD_JAM),
    (b"COVER OPEN\r", Condition.COVER_OPEN), (b"ERROR RIBBON\r", Condition.RIBBON_OUT),
    (b"ERROR CDE\r", Condition.COMMAND_ERROR), (b"ERROR PARAMETRES\r", Condition.COMMAND_ERROR),
    (b"HOPPER FULL\r", Condition.OUTPUT_FULL), (b"NEED CLEANING\r", Condition.NEEDS_CLEANING),
    (b"SOMETHING NEW\r", Condition.OTHER)])
def test_evolis_error_replies(reply, condition):
    status = EVOLIS.parse_status({"state": reply})
    assert status.state is State.ERROR and status.condition is condition


def test_magicard_status_parsing():
    def reply(key: str, data: str) -> bytes:
        return b"\x01STA," + key.encode() + data.encode() + b",\x03"
    status = MAGICARD.parse_status({
        "state": reply("XST", "READY"), "fed": reply("XFD", "5"), "printed": reply("TCQ", "4"),
        "ribbon": reply("DFR", "120"), "film": b"\x01ERR,CDEERROR CDE,\x03",
        "serial": reply("MSR", "MC-9")})
    assert status.state is State.READY
    assert (status.cards_fed, status.cards_printed, status.ribbon_left) == (5, 4, 120)
    assert status.film_left is None and status.serial == "MC-9"
    jam = MAGICARD.parse_status({"state": reply("XST", "CARD JAM;PRINTING")})
    assert jam.condition is Condition.CARD_JAM and jam.position is Position.PRINTING
    bad = MAGICARD.parse_status({"state": b"\x01ERR,JOBERROR CDE,\x03"})
    unsupported = MAGICARD.parse_status({"state": b"\x01ERR,CDEERROR CDE,\x03"})
    assert unsupported.state is State.READY and unsupported.message == "state not reported"
    assert bad.state is State.ERROR and bad.condition is Condition.COMMAND_ERROR


def test_reply_framing():
    assert EVOLIS.reply_length(b"REA") == 0
    assert EVOLIS.reply_length(b"READY\rXX") == 6
    assert MAGICARD.reply_length(b"\x01STA,MSR12") == 0
    assert MAGICARD.reply_length(b"\x01STA,MSR12,\x03") == 12


def test_evolis_job_pauses_after_feed_and_contactless(card):
    job = EVOLIS.build_job(card, JobOptions(contactless=True))
    feed = EVOLIS.feed_offset(job.data)
    assert job.data[:feed].endswith(b"\x1bSs\r")
    assert job.data[:job.chip_offset].endswith(b"\x1bSic\r")
    assert feed < job.chip_offset
    assert decode_stream(job.data).dialect == "evolis"


def test_magicard_contactless_job_starts_with_feed_to_station(card):
    plain = MAGICARD.build_job(card, JobOptions())
    assert plain.chip_offset is None and MAGICARD.feed_offset(plain.data) is None
    job = MAGICARD.build_job(card, JobOptions(contactless=True))
    assert job.data[:job.chip_offset] == MAGICARD.feed_to_contactless()
    assert MAGICARD.feed_offset(job.data) == job.chip_offset
    assert job.data[job.chip_offset:] == plain.data
