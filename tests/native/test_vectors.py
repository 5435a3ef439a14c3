"""The vendor's Windows driver captures: every one decodes, exactly, and re-compresses exactly."""

from __future__ import annotations

import re

import pytest

from cetak.native import compress_panel, decode_stream, frame
from cetak.native import reference as ref

from .conftest import EVOLIS_EXPECTED

HEADER = ["Pr", "Pmi", "Pc", "Pdt", "Mr", "Ppws", "Ss", "Sr", "Dbc", "Se"]


def _download(data: bytes) -> tuple[int, bytes]:
    m = re.search(rb"\x1bDbc;k;2;(\d+);", data)
    assert m
    n = int(m.group(1))
    return n, data[m.end():m.end() + n]


@pytest.mark.parametrize("name", sorted(EVOLIS_EXPECTED))
def test_capture_decodes_to_readme_figures(evolis_vectors: dict[str, bytes], name: str) -> None:
    data = evolis_vectors[name]
    length, printed = EVOLIS_EXPECTED[name]
    job = decode_stream(data)
    assert job.dialect == "evolis"
    assert [c.name for c in job.commands] == HEADER
    dbc = job.commands[HEADER.index("Dbc")]
    assert dbc.params == ["k", "2", str(length)]
    assert job.commands[0].params == ["k"] and job.commands[-1].params == ["1"]
    (panel,) = job.panels
    assert (panel.side, panel.panel, panel.levels) == ("front", "k", 2)
    assert (panel.height, panel.width) == (1016, 648)
    assert int(panel.dots.sum()) == printed


@pytest.mark.parametrize("name", sorted(EVOLIS_EXPECTED))
def test_recompression_reproduces_vendor_bytes(evolis_vectors: dict[str, bytes], name: str) -> None:
    data = evolis_vectors[name]
    _, payload = _download(data)
    (panel,) = decode_stream(data).panels
    assert compress_panel(panel.dots, 2) == payload
    assert ref.compress_panel(panel.dots, 2) == payload


@pytest.mark.parametrize("name", sorted(EVOLIS_EXPECTED))
def test_frame_cuts_capture_into_commands(evolis_vectors: dict[str, bytes], name: str) -> None:
    data = evolis_vectors[name]
    pos, units = 0, []
    while pos < len(data):
        n = frame("evolis", data[pos:])
        assert n > 0
        units.append(data[pos:pos + n])
        pos += n
    commands = [u for u in units if u[:1] == b"\x1b"]
    assert len(commands) == len(HEADER)
    assert all(u.strip(b"\x00") == b"" for u in units if u[:1] != b"\x1b")
    # every cut inside a command asks for more bytes instead of failing
    start = data.index(b"\x1bDbc")
    end = start + frame("evolis", data[start:])
    for cut in (start + 1, start + 5, start + 15, end - 100, end - 1):
        assert frame("evolis", data[start:cut]) == 0
