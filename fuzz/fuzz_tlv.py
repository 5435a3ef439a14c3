"""Atheris harness: BER-TLV decoding of arbitrary bytes, and re-encoding whatever decodes.

    python fuzz/fuzz_tlv.py CORPUS_DIR [libFuzzer options]      (see fuzz/README.md)
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["cetak.native"]):
    from cetak.native import TlvError, tlv


def test_one_input(data: bytes) -> None:
    try:
        nodes = tlv.decode(data)
    except TlvError:
        return
    again = tlv.encode(nodes)
    assert len(again) <= len(data)
    assert tlv.decode(again) == nodes


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
