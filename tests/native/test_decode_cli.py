"""`cetak printer decode`: text, JSON, PNG preview and the exit status on a bad stream."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from PIL import Image

from cetak.native import JobOptions, encode_job
from cetak.printers.decode_cli import register_decode

from .conftest import EVOLIS_EXPECTED, EVOLIS_VECTORS, drawn_side


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register_decode(parser.add_subparsers())
    args = parser.parse_args(["decode", *argv])
    return args.handler(args)


def test_json_on_a_vendor_capture(evolis_vectors: dict[str, bytes], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = EVOLIS_VECTORS / "evolis-card-text.prn"
    png = tmp_path / "card.png"
    assert run([str(path), "--json", "--png", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dialect"] == "evolis"
    assert [c["name"] for c in out["commands"]][:2] == ["Pr", "Pmi"]
    assert out["panels"] == [{"side": "front", "panel": "k", "levels": 2, "width": 648,
                              "height": 1016,
                              "dots_printed": EVOLIS_EXPECTED["evolis-card-text.prn"][1]}]
    assert Image.open(png).size == (1016, 648)


def test_text_and_duplex_preview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    side = drawn_side(5)
    stream = tmp_path / "job.bin"
    stream.write_bytes(encode_job("magicard", side, side, JobOptions()).data)
    png = tmp_path / "both.png"
    assert run([str(stream), "--png", str(png)]) == 0
    text = capsys.readouterr().out
    assert "magicard" in text and "back  k" in text
    preview = Image.open(png).convert("RGB")
    assert preview.size == (1016 * 2 + 24, 648)
    # colour comes back within the 6-bit quantisation; resin text prints black
    y, x = 20, 500
    got, want = preview.getpixel((x, y)), side.rgb[y, x]
    assert all(abs(int(g) - int(w)) <= 5 for g, w in zip(got, want, strict=True)), (got, want)
    ky, kx = map(int, next(zip(*side.k_mask.nonzero(), strict=False)))
    assert preview.getpixel((kx, ky)) == (0, 0, 0)


def test_bad_stream_exits_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.prn"
    bad.write_bytes(b"\x1bPr;k\r\x1bDbc;k;2;500;" + b"\x00" * 10)
    assert run([str(bad), "--json"]) == 1
    captured = capsys.readouterr()
    assert "ends inside" in captured.err
    assert json.loads(captured.out)["offset"] == 6
    assert run([str(tmp_path / "missing.prn")]) == 2
