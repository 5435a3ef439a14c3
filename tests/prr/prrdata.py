"""Shared PRR test data: one known-good record, image and file writers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

from cetak.prr.schema import FIELDS

TODAY = dt.date(2025, 6, 1)

# Kecamatan Pancoran Mas (32.76.01), born 17 August 1999, serial 0001.
GOOD: dict[str, str] = {
    "nik": "3276011708990001",
    "nama": "Budi Santoso",
    "tempat_lahir": "Depok",
    "tanggal_lahir": "1999-08-17",
    "jenis_kelamin": "LAKI-LAKI",
    "golongan_darah": "O",
    "alamat": "Jl. Margonda Raya No. 100",
    "rt": "7",
    "rw": "007",
    "kelurahan_kode": "32.76.01.1007",
    "agama": "ISLAM",
    "status_perkawinan": "BELUM KAWIN",
    "pekerjaan": "KARYAWAN SWASTA",
    "kewarganegaraan": "WNI",
    "kategori": "BARU",
    "alasan": "",
    "status": "PRR",
    "foto": "foto/p000.jpg",
    "tanda_tangan": "ttd/s000.png",
}


def person(n: int, **changes: str) -> dict[str, str]:
    """GOOD with serial `n` (distinct NIK) and a distinct name, then `changes`."""
    row = dict(GOOD, nik=f"{GOOD['nik'][:12]}{n:04d}",
               nama=f"Budi {'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n % 26]}{'abcdefghij'[n // 26 % 10]}")
    row.update(changes)
    return row


def jpeg(width: int, height: int, quality: int = 70) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, format="PNG")
    return out.getvalue()


def csv_text(rows: list[dict[str, str]], fields: tuple[str, ...] = FIELDS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([row.get(f, "") for f in fields])
    return out.getvalue()


def write_zip(path: Path, files: dict[str, bytes | str],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def validate(path: Path):  # noqa: ANN201 - ValidationResult
    from cetak.prr.validate import validate_file

    return validate_file(path, today=TODAY, keep_records=True)
