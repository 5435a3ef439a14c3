"""BER-TLV: round trips, encodings checked by hand, and malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cetak.native import TlvError, tlv
from cetak.native.tlv import Tlv

PRIMITIVE_TAGS = st.sampled_from([0x04, 0x5F1F, 0x5F0E, 0x5F2B, 0x80, 0x9F8101, 0x02])
CONSTRUCTED_TAGS = st.sampled_from([0x61, 0x75, 0x7F61, 0x30, 0xA0, 0x7F2E])

nodes = st.recursive(
    st.builds(Tlv, PRIMITIVE_TAGS, st.binary(max_size=300)),
    lambda children: st.builds(Tlv, CONSTRUCTED_TAGS,
                               st.lists(children, max_size=4).map(tuple)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(nodes, max_size=4))
def test_round_trip(items: list[Tlv]) -> None:
    data = tlv.encode(items)
    assert tlv.decode(data) == tuple(items)


def test_known_encodings() -> None:
    # ICAO DG1-like: 61 { 5F1F <mrz> }
    mrz = b"I<IDN" + b"<" * 25
    assert tlv.encode([Tlv(0x61, (Tlv(0x5F1F, mrz),))]) == \
        b"\x61\x21\x5f\x1f\x1e" + mrz
    assert tlv.encode([Tlv(0x04, b"\xaa" * 200)])[:3] == b"\x04\x81\xc8"
    assert tlv.encode([Tlv(0x04, b"\x00" * 300)])[:4] == b"\x04\x82\x01\x2c"
    assert tlv.encode([Tlv(0x04, b"\x00" * 70000)])[:5] == b"\x04\x83\x01\x11\x70"
    assert tlv.encode([Tlv(0x9F8101, b"")]) == b"\x9f\x81\x01\x00"
    assert tlv.encode([]) == b""
    assert tlv.decode(b"\x30\x00") == (Tlv(0x30, ()),)
    assert tlv.decode(b"\x04\x84\x00\x00\x00\x01\x07") == (Tlv(0x04, b"\x07"),)


def test_find_and_flags() -> None:
    node = tlv.decode(b"\x61\x05\x5f\x1f\x02AB")[0]
    assert node.constructed and tlv.is_constructed(0x7F61) and not tlv.is_constructed(0x5F1F)
    assert node.find(0x5F1F) == Tlv(0x5F1F, b"AB") and node.find(0x04) is None


@pytest.mark.parametrize("data,message,offset", [
    (b"\x04", "before a length", 1),
    (b"\x04\x05abc", "remain", 0),
    (b"\x04\x80", "indefinite", 1),
    (b"\x04\x85\x00\x00\x00\x00\x01", "length of 5 bytes", 1),
    (b"\x04\x82\x01", "inside a length", 1),
    (b"\x5f", "inside a tag", 0),
    (b"\x5f\x81\x81\x81\x01\x00", "longer than 4 bytes", 0),
    (b"\x5f\x80\x01\x00", "leading zero", 0),
    (b"\x61\x03\x04\x05\x00", "remain", 2),
    (b"\x30\x80" * 2, "indefinite", 1),
])
def test_malformed(data: bytes, message: str, offset: int) -> None:
    with pytest.raises(TlvError, match=message) as info:
        tlv.decode(data)
    assert info.value.offset == offset


def test_nesting_limit() -> None:
    node = Tlv(0x04, b"x")
    for _ in range(33):
        node = Tlv(0x30, (node,))
    with pytest.raises(TlvError, match="deeper"):
        tlv.encode([node])
    data = b""
    for _ in range(40):
        data = bytes([0x30, len(data)]) + data
    with pytest.raises(TlvError, match="deeper"):
        tlv.decode(data)


@pytest.mark.parametrize("node,message", [
    (Tlv(0x61, b"raw"), "needs children"),
    (Tlv(0x04, (Tlv(0x04, b""),)), "cannot hold children"),
    (Tlv(0x1F, b""), "not a valid BER tag"),
    (Tlv(0x5F85, b""), "not a valid BER tag"),
    (Tlv(0x5F, b""), "not a valid BER tag"),
    (Tlv(0x1_0000_0000, b""), "4 bytes"),
    (Tlv(0x04, "text"), "bytes or a tuple"),  # type: ignore[arg-type]
])
def test_encode_errors(node: Tlv, message: str) -> None:
    with pytest.raises(TlvError, match=message):
        tlv.encode([node])


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    try:
        decoded = tlv.decode(data)
    except TlvError:
        return
    assert tlv.decode(tlv.encode(decoded)) == decoded
