"""Destruction record documents and progress reports: what the files hold, read back the way
a person or a program reads them (PDF text, the PNG's pixels, the CSV's columns)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from PIL import Image

from cetak.api.v1 import admin_pb2
from cetak.controller import reports
from cetak.controller.bahasa import terbilang
from cetak.controller.destruction import csv_bytes, pdf_bytes, unprintable, write_documents
from cetak.controller.reports import ChartInfo, png_bytes, rows_from_status, write_report
from cetak.controller.reports import csv_bytes as progress_csv

OFFICER = dict(name="Drs. Ahmad Fauzi Nuñez", nip="197001011995031001",
               position="Kepala Bidang Pelayanan Pendaftaran Penduduk")
RECORD = dict(number="BAP/2026/00001", site_code="32.76.01.1006", place="Kantor Disdukcapil",
              destroyed_ms=1_796_000_000_000, count=5, serials=["KTP000001", "KTP000002"],
              witnesses=["Budi Santoso, S.Kom., NIP 198503152010011002, Kepala Seksi",
                         "Sari, Operator"], method="dibakar",
              created_by="admin:admin", movement_id="m1", created_ms=1_796_000_000_000,
              officers=[OFFICER],
              witness_signatories=[dict(name="Budi Santoso, S.Kom.", nip="198503152010011002",
                                        position="Kepala Seksi"),
                                   dict(name="Sari", nip="", position="Operator")])


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    # Justified lines come back with runs of spaces: compare words, not spacing.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_terbilang():
    assert [terbilang(n) for n in (0, 1, 10, 11, 12, 19, 20, 21, 100, 111, 1000, 1105, 2026,
                                   1_000_000, 2_500_000)] == [
        "nol", "satu", "sepuluh", "sebelas", "dua belas", "sembilan belas", "dua puluh",
        "dua puluh satu", "seratus", "seratus sebelas", "seribu", "seribu seratus lima",
        "dua ribu dua puluh enam", "satu juta", "dua juta lima ratus ribu"]


def test_csv_has_one_row_per_destroyed_blank():
    rows = list(csv.DictReader(io.StringIO(csv_bytes(RECORD).decode())))
    assert len(rows) == 5
    assert [r["serial"] for r in rows] == ["KTP000001", "KTP000002", "", "", ""]
    assert rows[0]["number"] == "BAP/2026/00001"
    assert rows[0]["witnesses"] == RECORD["witnesses"][0] + "; Sari, Operator"
    assert rows[0]["officers"] == ("Drs. Ahmad Fauzi Nuñez, NIP 197001011995031001, "
                                   "Kepala Bidang Pelayanan Pendaftaran Penduduk")


def test_pdf_is_text_naming_the_officer_the_witnesses_and_every_serial():
    pdf = pdf_bytes(RECORD)
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # the TrueType font embedded
    text = _text(pdf)
    for expected in ("BERITA ACARA PEMUSNAHAN", "Nomor: BAP/2026/00001",
                     "Drs. Ahmad Fauzi Nuñez", "197001011995031001",
                     "Kepala Bidang Pelayanan Pendaftaran Penduduk",
                     "Budi Santoso, S.Kom.", "198503152010011002", "Sari",
                     "KTP000001", "KTP000002", "5 (lima) keping", "2 (dua) keping",
                     "3 (tiga) keping", "dengan cara dibakar", "Kantor Disdukcapil",
                     # the region table names the site; the day and date are in words
                     "Kelurahan Depok, Kecamatan Pancoran Mas, Kota Depok",
                     "Pada hari ini", "Saksi I", "Saksi II", "NIP. 197001011995031001",
                     "admin:admin"):
        assert expected in text, expected
    assert ("Pada hari ini Senin, tanggal tiga puluh bulan November tahun dua ribu dua puluh "
            "enam (30-11-2026), pukul 07.53 WIB") in text


def test_pdf_grows_pages_with_the_serial_list_and_keeps_every_serial():
    from pypdf import PdfReader

    many = dict(RECORD, count=600, serials=[f"KTP{i:06d}" for i in range(600)])
    pdf = pdf_bytes(many)
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 4
    text = _text(pdf)
    assert all(f"KTP{i:06d}" in text for i in range(600))
    assert "600 (enam ratus) keping" in text and "halaman 1 dari" in text


def test_record_written_before_officers_were_named_still_renders():
    old = {k: v for k, v in RECORD.items() if k not in ("officers", "witness_signatories")}
    old["witnesses"] = ["Budi Santoso, Kepala Seksi", "Sari, Operator"]
    text = _text(pdf_bytes(old))
    # Witnesses from their one-line form; the officer's name left to be written by hand.
    assert "Budi Santoso" in text and "Kepala Seksi" in text and "(....." in text


def test_the_pdf_renders_to_a_page_with_ink_where_text_is(tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils)")
    pdf = tmp_path / "ba.pdf"
    pdf.write_bytes(pdf_bytes(RECORD))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert page.size[1] > page.size[0]  # A4 portrait
    top = page.crop((0, 0, page.width, page.height // 8))  # the title area has dark text
    assert top.getextrema()[0] < 80


def test_names_the_font_cannot_print_are_counted():
    assert unprintable("Zoë Ångström Nuñez, Đặng Thị") == 0
    assert unprintable("李小龍") == 3 and unprintable("Ahmad \U0001f642") == 1


def test_documents_land_atomically_under_the_record_number(tmp_path):
    pdf, table = write_documents(RECORD, tmp_path / "out")
    assert pdf.name == "BAP-2026-00001.pdf" and table.name == "BAP-2026-00001.csv"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "BAP-2026-00001.csv", "BAP-2026-00001.pdf"]  # no temporary file left


NOW = 1_796_371_200_000
DAY = 86_400_000


def _status() -> admin_pb2.CampaignStatus:
    return admin_pb2.CampaignStatus(
        campaign_id="pemilu", as_of_ms=NOW, deadline_ms=NOW + 10 * DAY, sites=[
            admin_pb2.SiteProgress(site_code="32.76.01.1006", site_name="Mekarjaya",
                                   printed=30, queued=60, held=10, eta_ms=NOW + 5 * DAY),
            admin_pb2.SiteProgress(site_code="32.76.01.1007", printed=5, queued=10,
                                   unknown=1, will_miss_deadline=True,
                                   eta_ms=NOW + 20 * DAY)])


def test_progress_rows_name_the_kelurahan_and_why_cards_are_missing():
    rows = rows_from_status(_status())
    assert [(r.target, r.printed, round(r.percent)) for r in rows] == [(100, 30, 30),
                                                                       (16, 5, 31)]
    # A site without a name has the region table's; the reasons are counted per site.
    assert [r.site_name for r in rows] == ["Mekarjaya", "Depok Jaya"]
    assert rows[0].missing == (("held", 10),) and rows[1].missing == (("unknown", 1),)


def test_progress_csv_in_bahasa_by_default_and_english_on_request():
    rows = rows_from_status(_status())
    table = list(csv.DictReader(io.StringIO(progress_csv(rows).decode())))
    assert list(table[0])[:5] == ["kode_wilayah", "nama_kelurahan", "target", "tercetak",
                                  "persen"]
    assert table[0]["persen"] == "30.0" and table[1]["melewati_tenggat"] == "1"
    assert table[0]["perkiraan_selesai"] == "2026-12-09T15:00+07:00"
    english = list(csv.DictReader(io.StringIO(progress_csv(rows, "en").decode())))
    assert list(english[0])[:4] == ["site_code", "site_name", "target", "printed"]
    assert english[1]["will_miss_deadline"] == "1" and english[1]["unknown"] == "1"


def _pixel(img, x: float, y: float) -> tuple:
    return img.getpixel((int(x), int(y)))[:3]


def test_chart_draws_the_bars_the_reasons_and_the_deadline_line():
    rows = rows_from_status(_status())
    info = ChartInfo("pemilu", NOW, NOW + 10 * DAY)
    img = Image.open(io.BytesIO(png_bytes(rows, "t", info))).convert("RGB")
    bars = reports.PAD + reports.LEFT
    scale = reports.BAR_W / 100
    mid = [reports.TOP + i * reports.ROW_H + reports.ROW_H // 2 for i in range(2)]
    # Printed: green on track, red for the site that will miss; the held part of the bar
    # after printed and queued; the unknown one of the second site after its queue.
    assert _pixel(img, bars + 3, mid[0]) == reports.GREEN
    assert _pixel(img, bars + 3, mid[1]) == reports.RED
    assert _pixel(img, bars + 95 * scale, mid[0]) == reports.REASON_COLOURS[0]
    assert _pixel(img, bars + 50 * scale, mid[0]) == reports.GREY
    assert _pixel(img, bars + 15.5 * scale, mid[1]) == reports.REASON_COLOURS[1]
    # The calendar: the deadline as a red vertical line, site 1 finishing before it (a green
    # bar stopping short of it), site 2 after it (red beyond it).
    x0 = bars + reports.BAR_W + reports.COUNTS_W
    span = 20 * DAY
    deadline_x = x0 + (reports.TIME_W - 60) * 10 * DAY / span
    column = [_pixel(img, deadline_x + dx, y) for dx in (-1, 0, 1)
              for y in range(reports.TOP, reports.TOP + 2 * reports.ROW_H)]
    assert column.count(reports.RED) > reports.ROW_H  # a dashed line down both rows
    assert _pixel(img, x0 + 5, mid[0]) == reports.GREEN
    assert _pixel(img, deadline_x + 20, mid[0]) != reports.GREEN
    assert _pixel(img, deadline_x + 20, mid[1]) == reports.RED


def test_chart_in_english_differs_and_an_empty_campaign_draws(tmp_path):
    status = _status()
    id_dir, en_dir = tmp_path / "id", tmp_path / "en"
    id_csv, id_png = write_report(status, id_dir, "id")
    en_csv, en_png = write_report(status, en_dir, "en")
    assert (id_csv.name, id_png.name) == ("progress.csv", "progress.png")
    assert id_png.read_bytes() != en_png.read_bytes()  # the words differ, not the bars
    assert Image.open(id_png).size == Image.open(en_png).size
    assert id_csv.read_text("utf-8").startswith("kode_wilayah,")
    assert en_csv.read_text("utf-8").startswith("site_code,")
    empty = admin_pb2.CampaignStatus(campaign_id="kosong")
    _, png = write_report(empty, tmp_path / "empty", "id")
    assert Image.open(png).format == "PNG"
    assert sorted(p.name for p in id_dir.iterdir()) == ["progress.csv", "progress.png"]
