"""Atheris harness: the stream decoder and both framers must answer every input with a result
or a StreamError, never a crash, a hang or an out-of-bounds read.

    python fuzz/fuzz_decode.py CORPUS_DIR [libFuzzer options]      (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["cetak.native"]):
    from cetak.native import NativeError, StreamError, decode_stream, frame


def test_one_input(data: bytes) -> None:
    try:
        job = decode_stream(data)
    except NativeError:
        pass
    else:
        for panel in job.panels:
            assert panel.dots.shape == (panel.height, panel.width)
        for command in job.commands:
            assert 0 <= command.offset < len(data)
    for dialect in ("evolis", "magicard"):
        pos = 0
        while pos < len(data):
            try:
                unit = frame(dialect, data[pos:])
            except StreamError:
                break
            if unit == 0:
                break
            assert pos + unit <= len(data)
            pos += unit


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
