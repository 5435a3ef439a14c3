import sys

import pytest

from cetak.card.encoder import ChipEncoder, PcscEncoder
from cetak.card.errors import CardError, ChipWriteError, EncoderUnavailable

UID = bytes.fromhex("04A1B2C3D4E5F6")


class FakeChip:
    """A contactless chip with one transparent EF behind a PC/SC-like connection."""

    def __init__(self, size: int = 40000, fail_update_at: int | None = None,
                 corrupt: bool = False) -> None:
        self.memory = bytearray(size)
        self.selected: bytes | None = None
        self.fail_update_at = fail_update_at
        self.corrupt = corrupt
        self.connected = False
        self.apdus: list[list[int]] = []

    def connect(self) -> None:
        self.connected = True

    def disconnect(self) -> None:
        self.connected = False

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        self.apdus.append(apdu)
        cla, ins, p1, p2 = apdu[:4]
        if (cla, ins) == (0xFF, 0xCA):
            return list(UID), 0x90, 0x00
        if ins == 0xA4:
            self.selected = bytes(apdu[5:7])
            return [], 0x90, 0x00
        offset = (p1 << 8) | p2
        if ins == 0xD6:
            if self.fail_update_at is not None and offset >= self.fail_update_at:
                return [], 0x65, 0x81          # memory failure
            data = apdu[5:5 + apdu[4]]
            self.memory[offset:offset + len(data)] = bytes(data)
            return [], 0x90, 0x00
        if ins == 0xB0:
            out = list(self.memory[offset:offset + apdu[4]])
            if self.corrupt and offset == 0:
                out[0] ^= 1
            return out, 0x90, 0x00
        return [], 0x6D, 0x00


def test_writes_in_chunks_reads_back_and_returns_uid():
    chip = FakeChip()
    encoder = PcscEncoder(connection_factory=lambda: chip, chunk_size=100)
    assert isinstance(encoder, ChipEncoder)
    data = bytes(range(256)) * 5
    assert encoder.write_chip(data) == UID.hex().upper()
    assert bytes(chip.memory[:len(data)]) == data
    assert chip.selected == b"\x01\x1d"
    assert not chip.connected
    assert sum(1 for a in chip.apdus if a[1] == 0xD6) == 13


@pytest.mark.parametrize("chip", [FakeChip(fail_update_at=200), FakeChip(corrupt=True)])
def test_write_failures_raise_chip_write_error(chip):
    encoder = PcscEncoder(connection_factory=lambda: chip, chunk_size=100)
    with pytest.raises(ChipWriteError) as info:
        encoder.write_chip(b"x" * 1000)
    assert isinstance(info.value, CardError)
    assert not chip.connected


def test_oversized_data_is_refused():
    encoder = PcscEncoder(connection_factory=FakeChip)
    with pytest.raises(ChipWriteError):
        encoder.write_chip(b"x" * 40000)


def test_connection_failure_is_a_write_error():
    def no_card() -> FakeChip:
        raise OSError("no card in field")
    with pytest.raises(ChipWriteError):
        PcscEncoder(connection_factory=no_card).write_chip(b"x")


def test_without_pyscard_the_encoder_is_unavailable(monkeypatch):
    # None in sys.modules makes any import of the package fail, installed or not.
    monkeypatch.setitem(sys.modules, "smartcard", None)
    monkeypatch.setitem(sys.modules, "smartcard.System", None)
    with pytest.raises(EncoderUnavailable):
        PcscEncoder()
