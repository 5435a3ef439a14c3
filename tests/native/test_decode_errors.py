"""Bad streams get a StreamError with a message and an offset: never a crash or a wrong read."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cetak.native import JobOptions, NativeError, StreamError, decode_stream, encode_job, frame
from cetak.native._core import ffi, lib

from .conftest import drawn_side

ESC, CR = b"\x1b", b"\r"


@pytest.fixture(scope="module")
def streams() -> dict[str, bytes]:
    side = drawn_side(3)
    return {
        "evolis": encode_job("evolis", side, side, JobOptions()).data,
        "evolis-raw": encode_job("evolis", side, None, JobOptions(compress=False)).data,
        "magicard": encode_job("magicard", side, side, JobOptions()).data,
    }


def test_truncated_streams(streams: dict[str, bytes]) -> None:
    for name, data in streams.items():
        for cut in np.linspace(1, len(data) - 1, 60).astype(int):
            with pytest.raises(StreamError) as info:
                decode_stream(data[:cut])
            assert info.value.offset is not None and 0 <= info.value.offset <= cut, name
            assert str(info.value)


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"\x00\x00\x00", "padding"),
    (b"hello", "neither ESC"),
    (ESC + b"Xyz;1" + CR, "unknown Evolis command"),
    (ESC + b";1" + CR, "name expected"),
    (ESC + b"Pr;k" + ESC + b"Ss" + CR, "not terminated"),
    (ESC + b"Pr;\x01" + CR, "inside a command"),
    (ESC + b"Dbc;q;2;1;\x00" + CR, "panel"),
    (ESC + b"Dbc;k;3;1;\x00" + CR, "levels 2"),
    (ESC + b"Dbc;y;256;1;\x00" + CR, "32, 64, 128"),
    (ESC + b"Dbc;k;2;x;" + CR, "number"),
    (ESC + b"Dbc;k;2;999999999;", "larger than any panel"),
    (ESC + b"Dbc;k;2;3;\x00\x00\x00" + CR, "ends after 3 of 1016"),
    (ESC + b"Dbc;k;2;1017;" + b"\x00" * 1017 + CR, "complete after 1016"),
    (ESC + b"Dbc;k;2;2;\x00\x00X", "not followed by CR"),
    (ESC + b"Dbc;k;2;1;\x52" + CR, "above 81"),
    (ESC + b"Dbc;y;32;2;\x80\x00" + CR, "ends after|ends inside"),
    (ESC + b"Dbc;y;32;2;\x40\x00" + CR, "above 32 levels"),
    (ESC + b"Dbc;y;128;2;\x81\xff" + CR + b"", "past the line end|ends"),
    (b"\x05" * 65 + b"\x01,NOC1\x1c\x03", "64 guard"),
    (b"\x05" * 64 + b"\x02", "0x01"),
    (b"\x05" * 64 + b"\x01,FOO1\x1c\x03", "unknown Magicard token"),
    (b"\x05" * 64 + b"\x01,NOC1,,ESS1\x1c\x03", "empty header token"),
    (b"\x05" * 64 + b"\x01,SZB12\x1c" + b"\x00" * 12 + b"\x1cB:\x03", "6-bit plane"),
    (b"\x05" * 64 + b"\x01,SZB5\x1c" + b"\x00" * 12 + b"\x1cB:\x03", "terminator"),
    (b"\x05" * 64 + b"\x01,SZB99999999\x1c", "number|larger"),
    (b"\x05" * 64 + b"\x01,SZQ1\x1c", "unknown plane"),
    (b"\x05" * 64 + b"\x01,SZB1,SZB1\x1c", "twice"),
    (b"\x05" * 64 + b"\x01,NOC1\x1c\x04", "0x03"),
])
def test_bad_streams(data: bytes, message: str) -> None:
    with pytest.raises(StreamError, match=message):
        decode_stream(data)


def test_too_many_panels_refused() -> None:
    """Tiny blank downloads must not make the decoder allocate gigabytes."""
    blank = ESC + b"Dbc;k;2;1016;" + b"\x00" * 1016 + CR
    decode_stream(ESC + b"Ss" + CR + blank * 64)
    with pytest.raises(StreamError, match="at most 64"):
        decode_stream(ESC + b"Ss" + CR + blank * 65)


@pytest.mark.parametrize("unit", [ESC + b"Ss" + CR, b"\x05" * 9 + b"\x01REQ,STA\x1c\x03"],
                         ids=["evolis", "magicard-control"])
def test_too_many_commands_refused(unit: bytes) -> None:
    """A stream of tiny commands must not make the decoder allocate many times its size: up to
    CETAK_MAX_COMMANDS decode, one more is refused at the command past the limit."""
    limit = lib.CETAK_MAX_COMMANDS
    assert len(decode_stream(unit * limit).commands) == limit
    with pytest.raises(StreamError, match=f"more than {limit} commands in one stream") as info:
        decode_stream(unit * (limit + 1))
    assert info.value.offset == limit * len(unit)
    # the C API's own code for it, from the counting pass
    data = unit * (limit + 1)
    counts = [ffi.new("size_t *") for _ in range(3)]
    err = ffi.new("cetak_error *")
    rc = lib.cetak_scan(ffi.from_buffer(data), len(data), ffi.new("int *"), *counts, err)
    assert rc == err.code == lib.CETAK_E_COMMANDS


def test_magicard_header_tokens_count_as_commands() -> None:
    """Magicard header tokens are commands too: a few jobs of many one-letter-value tokens reach
    the limit without a single control message."""
    job = b"\x05" * 64 + b"\x01" + b",NOC1" * 400 + b"\x1c\x03"  # 400 tokens + JOB + END
    assert len(decode_stream(job * 10).commands) == 4020
    with pytest.raises(StreamError, match="commands"):
        decode_stream(job * 11)


def test_lying_download_length(streams: dict[str, bytes]) -> None:
    data = streams["evolis"]
    start = data.index(b"Dbc;y;64;") + len(b"Dbc;y;64;")
    end = data.index(b";", start)
    n = int(data[start:end])
    for lie in (n - 1, n + 1, n // 2, n * 2):
        bad = data[:start] + str(lie).encode() + data[end:]
        with pytest.raises(StreamError):
            decode_stream(bad)


def test_lying_plane_length(streams: dict[str, bytes]) -> None:
    data = streams["magicard"]
    for lie in (b"SZB512063", b"SZB512065", b"SZB682752"):
        with pytest.raises(StreamError):
            decode_stream(data.replace(b"SZB512064", lie, 1))


def test_magicard_control_message() -> None:
    msg = b"\x05" * 9 + b"\x01REQ,STA,MSR,\x1c\x03"
    assert frame("magicard", msg + b"\x05") == len(msg)
    assert frame("magicard", msg[:-1]) == 0
    job = decode_stream(msg + msg)
    assert [(c.name, c.params) for c in job.commands] == [("REQ", ["STA", "MSR"])] * 2
    assert job.panels == []


def test_frame_garbage_and_padding() -> None:
    assert frame("evolis", b"") == 0
    assert frame("evolis", b"\x00\x00\x00" + ESC) == 3
    assert frame("evolis", ESC + b"Se" + CR + ESC) == 4
    assert frame("evolis", ESC + b"Xq;1" + CR) == 6      # framing does not judge names
    with pytest.raises(StreamError, match="ESC"):
        frame("evolis", b"\x07")
    with pytest.raises(StreamError):
        frame("magicard", b"\x1b")
    with pytest.raises(StreamError, match="dialect"):
        frame("zebra", b"")


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_never_crash(data: bytes) -> None:
    for candidate in (data, ESC + data, b"\x05" * 64 + b"\x01" + data):
        try:
            decode_stream(candidate)
        except NativeError:
            pass
        for dialect in ("evolis", "magicard"):
            try:
                assert 0 <= frame(dialect, candidate) <= len(candidate)
            except StreamError:
                pass


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(["evolis", "evolis-raw", "magicard"]))
def test_mutated_streams_never_crash(streams: dict[str, bytes], seed: int, name: str) -> None:
    rng = np.random.default_rng(seed)
    data = bytearray(streams[name])
    head = min(len(data), 2048)  # mutations in the headers and first lines reach the most checks
    for _ in range(rng.integers(1, 8)):
        pos = int(rng.integers(0, head if rng.random() < 0.7 else len(data)))
        data[pos] = int(rng.integers(0, 256))
    try:
        job = decode_stream(bytes(data))
    except StreamError:
        return
    for panel in job.panels:
        assert panel.dots.shape == (panel.height, panel.width)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(["evolis", "magicard"]))
def test_frame_on_a_byte_stream(streams: dict[str, bytes], seed: int, name: str) -> None:
    """Fed in random-sized chunks (as from TCP or USB), frame() cuts the same units as it does
    from the whole stream, and asks for more bytes instead of guessing."""
    data = streams[name]
    rng = np.random.default_rng(seed)
    whole, pos = [], 0
    while pos < len(data):
        n = frame(name, data[pos:])
        whole.append(data[pos:pos + n])
        pos += n
    units, pending, fed = [], b"", 0
    while fed < len(data) or pending:
        if fed < len(data):
            step = int(rng.integers(1, 200_000))
            pending += data[fed:fed + step]
            fed += step
        while pending:
            n = frame(name, pending)
            if n == 0:
                break
            units.append(pending[:n])
            pending = pending[n:]
        if fed >= len(data) and pending:
            pytest.fail("bytes left over after the whole stream was fed")
    if name == "evolis":  # padding runs may be cut where a chunk ended
        units = [u for u in units if u.strip(b"\x00")]
        whole = [u for u in whole if u.strip(b"\x00")]
    assert units == whole
