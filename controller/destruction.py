"""The destruction record (berita acara pemusnahan) as a PDF to print and sign, and as CSV.

Pure output: takes the record (the dict `Inventory.destroy` returns, or one rebuilt from the
API message) and writes files. The PDF is a text PDF made with fpdf2, the bundled Liberation
Sans embedded (subset), so its text can be selected, searched and read by a screen reader and
any name (with é, ñ, Ž ...) prints as given. The layout is the
usual one of an Indonesian berita acara: title and number, the day and date in words, the
officers who destroyed the blanks and the witnesses by name, NIP and position, the count in
figures and words, the table of serials, the closing formula and the signature blocks.
Files are written next to their final name and renamed into place: an interrupted run
leaves no half-written document.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .bahasa import tanggal, tanggal_terbilang, terbilang
from .signatory import Signatory, SignatoryError, from_text

TIMEZONE = "Asia/Jakarta"
FONT = "LiberationSans"
MARGINS = (25.0, 20.0, 20.0)    # left, top, right in mm: room to bind on the left
SERIAL_PAIRS = 3                # (No., Nomor seri) column pairs per table row
SIGNATURE_BLOCK_MM = 46.0       # role, position, room to sign, name, NIP
BLANK_NAME = "(" + "." * 40 + ")"  # an unrecorded officer is written in by hand


def when_text(ms: int, timezone: str = TIMEZONE) -> str:
    t = datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone))
    return f"{tanggal(t)}, pukul {t:%H.%M} {t.tzname()}"


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


def csv_bytes(record: dict, timezone: str = TIMEZONE) -> bytes:
    """One row per destroyed blank; blanks destroyed without a known serial are rows with an
    empty serial, so the row count always equals the record's count."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["number", "site_code", "place", "destroyed_at", "count", "witnesses",
                "officers", "method", "created_by", "serial"])
    head = [record["number"], record["site_code"], record["place"],
            datetime.fromtimestamp(record["destroyed_ms"] / 1000,
                                   ZoneInfo(timezone)).isoformat(timespec="minutes"),
            record["count"], "; ".join(record["witnesses"]),
            "; ".join(o.line() for o in officers_of(record)), record.get("method", ""),
            record.get("created_by", "")]
    serials = list(record["serials"])
    serials += [""] * (record["count"] - len(serials))
    for serial in serials:
        w.writerow([*head, serial])
    return buf.getvalue().encode("utf-8")


@functools.cache
def _font_characters() -> frozenset[str]:
    """Every character the document font (regular and bold) can print."""
    from fontTools.ttLib import TTFont

    from cetak.card.template import FONTS_DIR

    sets = []
    for name in ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"):
        with TTFont(str(FONTS_DIR / name), lazy=True) as font:
            sets.append({chr(c) for c in font.getBestCmap()})
    return frozenset(set.intersection(*sets))


def unprintable(text: str) -> int:
    """How many characters of `text` the berita acara's font has no glyph for (they would be
    missing from the printed document: a name must be given in letters it can print)."""
    have = _font_characters()
    return sum(1 for ch in text if ch not in have and not ch.isspace())


def officers_of(record: dict) -> list[Signatory]:
    """The officers named on the record ([] on records written before they were asked)."""
    return [Signatory.from_dict(o) for o in record.get("officers", [])]


def witnesses_of(record: dict) -> list[Signatory]:
    """The witnesses by name, NIP and position; older records have only "NAME, POSITION"
    lines, read the same way the command line reads them."""
    if record.get("witness_signatories"):
        return [Signatory.from_dict(w) for w in record["witness_signatories"]]
    people = []
    for line in record["witnesses"]:
        try:
            people.append(from_text(line))
        except SignatoryError:  # a line the rules of today would refuse: shown as it is
            people.append(Signatory(line))
    return people


def site_text(site_code: str, site_name: str = "") -> tuple[str, str]:
    """("Kelurahan Depok, Kecamatan Pancoran Mas, Kota Depok (kode wilayah 32.76.01.1006)",
    "Kota Depok") from the region table; the code alone (and no town) when it is unknown."""
    from cetak.prr.regions import load_regions

    k = load_regions().kelurahan(site_code)
    if k is None:
        name = f"{site_name} " if site_name else ""
        return f"{name}(kode wilayah {site_code})", ""
    # Kemendagri codes: the fourth part starts with 1 for a kelurahan, 2 for a desa.
    kind = "Desa" if site_code.rsplit(".", 1)[-1].startswith("2") else "Kelurahan"
    return (f"{kind} {site_name or k.name}, Kecamatan {k.kecamatan}, {k.kabupaten_kota} "
            f"(kode wilayah {site_code})", k.kabupaten_kota)


def pdf_bytes(record: dict, site_name: str = "", timezone: str = TIMEZONE) -> bytes:
    """The berita acara as a text PDF: as many A4 pages as the serial table needs."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    from cetak.card.template import FONTS_DIR

    number = record["number"]
    at = datetime.fromtimestamp(record["destroyed_ms"] / 1000, ZoneInfo(timezone))
    officers = officers_of(record) or [Signatory(BLANK_NAME)]
    witnesses = witnesses_of(record)
    serials = list(record["serials"])
    count = int(record["count"])
    where, town = site_text(record["site_code"], site_name)

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-14)
            self.set_font(FONT, "", 8)
            self.set_text_color(90)
            self.cell(0, 5, f"Berita Acara Nomor {number} - halaman {self.page_no()} "
                            f"dari {{nb}}", align="C")
            self.set_text_color(0)

    pdf = Document(orientation="P", unit="mm", format="A4")
    pdf.add_font(FONT, "", str(FONTS_DIR / "LiberationSans-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONTS_DIR / "LiberationSans-Bold.ttf"))
    pdf.set_margins(*MARGINS)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(f"Berita Acara Pemusnahan Blangko KTP-el Rusak Nomor {number}")
    pdf.set_subject(f"Pemusnahan {count} blangko KTP-el rusak, {record['site_code']}")
    pdf.set_author("; ".join(o.name for o in officers))
    pdf.set_creator("cetak")
    pdf.set_lang("id")
    # The record's own time, not the time of writing: the same record gives the same file.
    pdf.set_creation_date(datetime.fromtimestamp(
        (record.get("created_ms") or record["destroyed_ms"]) / 1000, ZoneInfo(timezone)))
    pdf.add_page()
    left, width = pdf.l_margin, pdf.epw
    line = 6.0

    def para(text: str, style: str = "", size: float = 11, align: str = "J") -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(0, line, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def gap(mm: float = 3) -> None:
        pdf.ln(mm)

    def fields(rows: list[tuple[str, str]], indent: float, label_w: float) -> None:
        """Label : value rows, the value wrapping under itself."""
        pdf.set_font(FONT, "", 11)
        for label, value in rows:
            pdf.set_x(left + indent)
            pdf.cell(label_w, line, label)
            pdf.cell(4, line, ":")
            pdf.multi_cell(width - indent - label_w - 4, line, value or "-",
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def people(persons: list[Signatory]) -> None:
        for i, p in enumerate(persons, 1):
            pdf.set_font(FONT, "", 11)
            pdf.set_x(left + 6)
            pdf.cell(6, line, f"{i}.")
            blank = "." * 30 if p.name == BLANK_NAME else "-"  # to be written in by hand
            fields([("Nama", p.name), ("NIP", p.nip or blank),
                    ("Jabatan", p.position or blank)], 12, 22)
            gap(1.5)

    def amount(n: int) -> str:
        return f"{n} ({terbilang(n)}) keping"

    # Title and number.
    pdf.set_font(FONT, "B", 14)
    for text in ("BERITA ACARA PEMUSNAHAN", "BLANGKO KTP-EL RUSAK"):
        pdf.cell(0, 7, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.cell(0, 7, f"Nomor: {number}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 1
    pdf.line(left + width * 0.3, y, left + width * 0.7, y)
    gap(6)

    para(f"Pada hari ini {tanggal_terbilang(at)} ({at:%d-%m-%Y}), pukul {at:%H.%M} {at.tzname()}, "
         f"bertempat di {record['place']}, kami yang bertanda tangan di bawah ini:")
    gap(2)
    people(officers)
    how = f" dengan cara {record['method']}" if record.get("method") else ""
    para(f"telah melaksanakan pemusnahan blangko KTP-el rusak milik lokasi cetak {where} "
         f"sebanyak {amount(count)}{how}, dengan disaksikan oleh:")
    gap(2)
    people(witnesses)
    para("Rincian blangko yang dimusnahkan:")
    unknown = count - len(serials)
    rows = [("Jumlah dimusnahkan", amount(count)),
            ("Dengan nomor seri", amount(len(serials)) + (
                ", tercantum dalam daftar di bawah" if serials else ""))]
    if unknown > 0:
        rows.append(("Tanpa nomor seri", amount(unknown) + " (nomor seri tidak tercatat)"))
    fields(rows, 6, 48)
    gap(3)

    if serials:
        para("Daftar nomor seri blangko yang dimusnahkan:", "B")
        gap(1)
        pdf.set_font(FONT, "", 9.5)
        heading = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
        with pdf.table(col_widths=(10, 45) * SERIAL_PAIRS, line_height=5.2,
                       text_align=("RIGHT", "LEFT") * SERIAL_PAIRS, headings_style=heading,
                       padding=(0.6, 1.5), width=width, align="LEFT") as table:
            head = table.row()
            for _ in range(SERIAL_PAIRS):
                head.cell("No.")
                head.cell("Nomor Seri")
            for start in range(0, len(serials), SERIAL_PAIRS):
                row = table.row()
                for i in range(start, start + SERIAL_PAIRS):
                    row.cell(f"{i + 1}." if i < len(serials) else "")
                    row.cell(serials[i] if i < len(serials) else "")
        gap(4)

    para("Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan "
         "sebagaimana mestinya.")
    gap(6)

    # Signatures: the place and date, the officers under them on the right, then the
    # witnesses two to a row. A block is never split over a page.
    half = width / 2

    def block(x: float, y: float, role: str, p: Signatory) -> None:
        pdf.set_xy(x, y)
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(half - 6, 5.5, role, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        if p.position:
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(half - 6, 5, p.position, align="C", new_x=XPos.LEFT,
                           new_y=YPos.NEXT)
        pdf.set_xy(x, y + 32)
        pdf.set_font(FONT, "BU" if p.name != BLANK_NAME else "", 11)
        pdf.multi_cell(half - 6, 5.5, p.name, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        if p.nip or p.name == BLANK_NAME:  # a witness who is no civil servant has none
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(half - 6, 5, f"NIP. {p.nip or '.' * 30}", align="C",
                           new_x=XPos.LEFT, new_y=YPos.NEXT)

    def room(mm: float) -> float:
        if pdf.get_y() + mm > pdf.page_break_trigger:
            pdf.add_page()
        return pdf.get_y()

    # Witnesses on the left, officers on the right (the first under the place and date),
    # row by row; whoever is left over fills the rows below, two to a row, a last one
    # alone centred.
    one_officer = len(officers) == 1
    signers = [("Petugas yang melaksanakan pemusnahan," if one_officer
                else f"Petugas {_roman(i)},", p) for i, p in enumerate(officers, 1)]
    witnessing = [(f"Saksi {_roman(i)},", p) for i, p in enumerate(witnesses, 1)]
    cells: list[tuple[str, Signatory]] = []
    while signers or witnessing:
        if signers and witnessing:
            cells += [witnessing.pop(0), signers.pop(0)]
        else:
            cells.append((signers or witnessing).pop(0))
    y = room(8 + SIGNATURE_BLOCK_MM)
    pdf.set_xy(left + half, y)
    pdf.set_font(FONT, "", 11)
    pdf.cell(half - 6, 6, f"{town or record['place']}, {tanggal(at)}", align="C")
    y += 7
    for i in range(0, len(cells), 2):
        if i:
            y = room(SIGNATURE_BLOCK_MM)
        pair = cells[i:i + 2]
        for k, cell in enumerate(pair):
            role, person = cell
            x = left + k * half if len(pair) == 2 else left + half / 2
            block(x, y, role, person)
        pdf.set_y(y + SIGNATURE_BLOCK_MM)

    # Who entered it in the system, so the paper and the audit log can be matched.
    gap(2)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(90)
    entered = record.get("created_ms") or record["destroyed_ms"]
    pdf.multi_cell(0, 4, f"Dicatat dalam sistem cetak oleh akun {record.get('created_by') or '-'}"
                         f" pada {when_text(entered, timezone)}"
                   + (f" (mutasi {record['movement_id']})." if record.get("movement_id")
                      else "."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _roman(n: int) -> str:
    """Witnesses are numbered I, II, III... as on paper."""
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def write_documents(record: dict, out_dir: Path, site_name: str = "",
                    timezone: str = TIMEZONE) -> tuple[Path, Path]:
    """`<number>.pdf` and `<number>.csv` in `out_dir` (slashes of the number become '-')."""
    stem = record["number"].replace("/", "-")
    pdf = write_atomic(out_dir / f"{stem}.pdf", pdf_bytes(record, site_name, timezone))
    table = write_atomic(out_dir / f"{stem}.csv", csv_bytes(record, timezone))
    return pdf, table
