"""The destruction record (berita acara pemusnahan) as a printable PDF and as CSV.

Pure output: takes the record (the dict `Inventory.destroy` returns, or one rebuilt from the
API message) and writes files. Pillow draws A4 pages at 150 dpi and saves them as one PDF,
so no system package (no LaTeX, no wkhtmltopdf) is needed. Files are written next to their
final name and renamed into place: an interrupted run leaves no half-written document.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PAGE = (1240, 1754)          # A4 at 150 dpi
MARGIN = 110
SERIAL_COLUMNS = 4
TIMEZONE = "Asia/Jakarta"

_BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")


def when_text(ms: int, timezone: str = TIMEZONE) -> str:
    t = datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone))
    return f"{t.day} {_BULAN[t.month - 1]} {t.year}, pukul {t:%H.%M} {t.tzname()}"


def write_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def csv_bytes(record: dict) -> bytes:
    """One row per destroyed blank; blanks destroyed without a known serial are rows with an
    empty serial, so the row count always equals the record's count."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["number", "site_code", "place", "destroyed_at", "count", "witnesses",
                "method", "created_by", "serial"])
    head = [record["number"], record["site_code"], record["place"],
            datetime.fromtimestamp(record["destroyed_ms"] / 1000,
                                   ZoneInfo(TIMEZONE)).isoformat(timespec="minutes"),
            record["count"], "; ".join(record["witnesses"]), record.get("method", ""),
            record.get("created_by", "")]
    serials = list(record["serials"])
    serials += [""] * (record["count"] - len(serials))
    for serial in serials:
        w.writerow([*head, serial])
    return buf.getvalue().encode("utf-8")


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    from cetak.card.template import FONTS_DIR

    name = "LiberationSans-Bold.ttf" if bold else "LiberationSans-Regular.ttf"
    return ImageFont.truetype(str(FONTS_DIR / name), size)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    return lines + ([line] if line else [])


def pdf_bytes(record: dict, site_name: str = "") -> bytes:
    """The berita acara: heading, the facts, the serial list (as many pages as it needs),
    and signature blocks for the witnesses and the officer."""
    from PIL import Image, ImageDraw

    title, body, small = _font(34, True), _font(24), _font(20)
    width = PAGE[0] - 2 * MARGIN
    pages: list[Image.Image] = []

    def new_page() -> tuple[Image.Image, ImageDraw.ImageDraw]:
        page = Image.new("L", PAGE, 255)
        pages.append(page)
        draw = ImageDraw.Draw(page)
        draw.text((MARGIN, PAGE[1] - MARGIN + 30),
                  f"{record['number']} - halaman {len(pages)}", font=small, fill=90)
        return page, draw

    _, draw = new_page()
    y = MARGIN
    for line in ("BERITA ACARA PEMUSNAHAN", "BLANGKO KTP-EL RUSAK"):
        w = draw.textlength(line, font=title)
        draw.text(((PAGE[0] - w) / 2, y), line, font=title, fill=0)
        y += 48
    number = f"Nomor: {record['number']}"
    draw.text(((PAGE[0] - draw.textlength(number, font=body)) / 2, y), number, font=body,
              fill=0)
    y += 70
    site = f"{record['site_code']}" + (f" ({site_name})" if site_name else "")
    intro = (f"Pada {when_text(record['destroyed_ms'])}, bertempat di {record['place']}, "
             f"telah dimusnahkan {record['count']} (blangko) KTP-el rusak milik lokasi "
             f"cetak {site}" + (f", dengan cara {record['method']}" if record.get("method")
                                else "") + ", disaksikan oleh para saksi di bawah ini.")
    for line in _wrap(draw, intro, body, width):
        draw.text((MARGIN, y), line, font=body, fill=0)
        y += 34
    y += 20
    for label, value in (("Jumlah", str(record["count"])),
                         ("Nomor seri tercatat", str(len(record["serials"]))),
                         ("Dicatat oleh", record.get("created_by", "") or "-")):
        draw.text((MARGIN, y), f"{label}", font=body, fill=0)
        draw.text((MARGIN + 300, y), f": {value}", font=body, fill=0)
        y += 34
    y += 20
    draw.text((MARGIN, y), "Daftar nomor seri:", font=body, fill=0)
    y += 40
    serials: Sequence[str] = record["serials"] or ["(nomor seri tidak tercatat)"]
    col_w = width // SERIAL_COLUMNS
    i = 0
    while i < len(serials):
        if y > PAGE[1] - MARGIN - 40:
            _, draw = new_page()
            y = MARGIN
        for c in range(SERIAL_COLUMNS):
            if i < len(serials):
                draw.text((MARGIN + c * col_w, y), serials[i], font=small, fill=0)
                i += 1
        y += 28
    # Signatures: witnesses two per row, then the officer.
    signers = [*record["witnesses"], f"Petugas: {record.get('created_by', '') or '-'}"]
    y += 40
    for row in range(0, len(signers), 2):
        if y > PAGE[1] - MARGIN - 200:
            _, draw = new_page()
            y = MARGIN
        for c, name in enumerate(signers[row:row + 2]):
            x = MARGIN + c * (width // 2)
            draw.text((x, y), "Saksi" if not name.startswith("Petugas:") else "Yang membuat",
                      font=small, fill=0)
            draw.line((x, y + 120, x + width // 2 - 60, y + 120), fill=0, width=2)
            for k, line in enumerate(_wrap(draw, name, small, width // 2 - 60)[:2]):
                draw.text((x, y + 130 + 26 * k), line, font=small, fill=0)
        y += 200
    out = io.BytesIO()
    pages[0].save(out, format="PDF", resolution=150, save_all=True, append_images=pages[1:],
                  title=f"Berita acara pemusnahan {record['number']}")
    return out.getvalue()


def write_documents(record: dict, out_dir: Path, site_name: str = "") -> tuple[Path, Path]:
    """`<number>.pdf` and `<number>.csv` in `out_dir` (slashes of the number become '-')."""
    stem = record["number"].replace("/", "-")
    pdf = write_atomic(out_dir / f"{stem}.pdf", pdf_bytes(record, site_name))
    table = write_atomic(out_dir / f"{stem}.csv", csv_bytes(record))
    return pdf, table
