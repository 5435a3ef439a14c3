"""Synthetic Depok records with drawn faces and signatures (no real person's data)."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from cetak.api.v1.common_pb2 import BARU, CardRecord

RED = (200, 40, 40)
BLUE = (30, 90, 185)


def face_png(backdrop: tuple[int, int, int] = BLUE, size: tuple[int, int] = (300, 400),
             skin: tuple[int, int, int] = (214, 170, 130), fmt: str = "PNG") -> bytes:
    """A pas-foto-like drawing: plain backdrop, shoulders, head, hair, eyes, mouth."""
    w, h = size
    image = Image.new("RGB", size, backdrop)
    draw = ImageDraw.Draw(image)
    draw.ellipse((w * 0.05, h * 0.72, w * 0.95, h * 1.35), fill=(245, 245, 245))   # shirt
    draw.rectangle((w * 0.40, h * 0.58, w * 0.60, h * 0.78), fill=skin)             # neck
    draw.ellipse((w * 0.25, h * 0.18, w * 0.75, h * 0.68), fill=skin)              # head
    draw.chord((w * 0.23, h * 0.12, w * 0.77, h * 0.55), 180, 360, fill=(30, 25, 20))  # hair
    for cx in (0.40, 0.60):
        draw.ellipse((w * (cx - 0.04), h * 0.40, w * (cx + 0.04), h * 0.44), fill=(255, 255, 255))
        draw.ellipse((w * (cx - 0.015), h * 0.405, w * (cx + 0.015), h * 0.435), fill=(20, 20, 20))
    draw.arc((w * 0.40, h * 0.50, w * 0.60, h * 0.60), 20, 160, fill=(120, 40, 40), width=3)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def signature_png(size: tuple[int, int] = (400, 160)) -> bytes:
    """A scribble in dark ink on white with generous margins (the renderer crops to ink)."""
    w, h = size
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    points = [(w * (0.15 + 0.7 * t / 60), h * (0.5 + 0.25 * math.sin(t / 4.0)))
              for t in range(61)]
    draw.line(points, fill=(20, 20, 60), width=5)
    draw.line([(w * 0.2, h * 0.8), (w * 0.8, h * 0.75)], fill=(20, 20, 60), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def depok_record(**overrides: object) -> CardRecord:
    """A valid-looking synthetic Depok record; birth year 1990 (even: blue)."""
    born = str(overrides.get("tanggal_lahir", "1990-08-17"))
    year = int(born[:4]) if born[:4].isdigit() else 1990
    fields: dict[str, object] = dict(
        record_id="rec-0001",
        nik="3276011708900001",
        nama="Siti Nurhaliza Putri",
        tempat_lahir="Depok",
        tanggal_lahir="1990-08-17",
        jenis_kelamin="PEREMPUAN",
        golongan_darah="O",
        alamat="Jl. Margonda Raya No. 12",
        rt="7",
        rw="3",
        kelurahan_kode="32.76.01.1001",
        kelurahan="Pancoran Mas",
        kecamatan="Pancoran Mas",
        kabupaten_kota="Depok",
        provinsi="Jawa Barat",
        agama="ISLAM",
        status_perkawinan="BELUM KAWIN",
        pekerjaan="KARYAWAN SWASTA",
        kewarganegaraan="WNI",
        kategori=BARU,
        foto=face_png(RED if year % 2 else BLUE),
        tanda_tangan=signature_png(),
        issue_city="Depok",
        issue_date="2019-02-11",
    )
    fields.update(overrides)
    return CardRecord(**fields)
