"""Writes small seed inputs for the fuzzers into a folder (the vendor captures' heads, our own
streams' heads, control messages, TLV samples)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from cetak.native import JobOptions, RenderedSide, encode_job, tlv

# The vendor captures shipped with the tests.
VECTORS = Path(__file__).resolve().parents[1] / "tests" / "data"


def seeds() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in sorted((VECTORS / "evolis-windows-driver").glob("*.prn"))[:3]:
        out[f"vendor-{path.stem}"] = path.read_bytes()[:600]
    side = RenderedSide(np.full((648, 1016, 3), 200, np.uint8), np.zeros((648, 1016), bool),
                        np.ones((648, 1016), bool))
    evolis = encode_job("evolis", side, None, JobOptions(contactless=True)).data
    out["evolis-head"] = evolis[:1500]
    out["evolis-tail"] = evolis[-200:]
    out["magicard-head"] = encode_job("magicard", side, None, JobOptions()).data[:400]
    out["magicard-control"] = b"\x05" * 9 + b"\x01REQ,STA,MSR,\x1c\x03"
    out["tlv-dg1"] = tlv.encode([tlv.Tlv(0x61, (tlv.Tlv(0x5F1F, b"I<IDN" + b"<" * 25),))])
    out["tlv-long"] = tlv.encode([tlv.Tlv(0x7F61, (tlv.Tlv(0x02, b"\x01"),
                                                   tlv.Tlv(0x5F2E, b"\x00" * 300)))])
    row = ("3276011708990001", "Budi Santoso", "Depok", "1999-08-17", "LAKI-LAKI", "O",
           "Jl. Margonda Raya No. 100", "7", "007", "32.76.01.1007", "ISLAM", "BELUM KAWIN",
           "KARYAWAN SWASTA", "WNI", "BARU", "", "PRR", "foto/p000.jpg", "ttd/s000.png")
    out["prr-batch"] = ("\x1f".join(row) + "\x1e").encode() * 2
    return out


def main() -> None:
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (folder / name).write_bytes(data)


if __name__ == "__main__":
    main()
