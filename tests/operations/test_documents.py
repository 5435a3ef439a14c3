"""Destruction record documents and progress reports: what the files hold."""

from __future__ import annotations

import csv
import io

from PIL import Image

from cetak.api.v1 import admin_pb2
from cetak.controller.destruction import csv_bytes, pdf_bytes, write_documents
from cetak.controller.reports import csv_bytes as progress_csv
from cetak.controller.reports import png_bytes, rows_from_status, write_report

RECORD = dict(number="BAP/2026/00001", site_code="32.76.01.1006", place="Kantor Disdukcapil",
              destroyed_ms=1_796_000_000_000, count=5, serials=["KTP000001", "KTP000002"],
              witnesses=["Budi Santoso, Kepala Seksi", "Sari, Operator"], method="dibakar",
              created_by="admin", movement_id="m1", created_ms=1_796_000_000_000)


def test_csv_has_one_row_per_destroyed_blank():
    rows = list(csv.DictReader(io.StringIO(csv_bytes(RECORD).decode())))
    assert len(rows) == 5
    assert [r["serial"] for r in rows] == ["KTP000001", "KTP000002", "", "", ""]
    assert rows[0]["number"] == "BAP/2026/00001"
    assert rows[0]["witnesses"] == "Budi Santoso, Kepala Seksi; Sari, Operator"


def test_pdf_is_a_pdf_and_grows_pages_with_the_serial_list():
    one = pdf_bytes(RECORD, "Mekarjaya")
    assert one.startswith(b"%PDF") and one.count(b"/Type /Page\n") + one.count(
        b"/Type /Page ") + one.count(b"/Type/Page") >= 1
    many = dict(RECORD, count=600, serials=[f"KTP{i:06d}" for i in range(600)])
    big = pdf_bytes(many)
    assert big.startswith(b"%PDF")
    assert b"/Count 2" in big or b"/Count 3" in big or b"/Count 4" in big


def test_documents_land_atomically_under_the_record_number(tmp_path):
    pdf, table = write_documents(RECORD, tmp_path / "out")
    assert pdf.name == "BAP-2026-00001.pdf" and table.name == "BAP-2026-00001.csv"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "BAP-2026-00001.csv", "BAP-2026-00001.pdf"]  # no temporary file left


def _status() -> admin_pb2.CampaignStatus:
    return admin_pb2.CampaignStatus(campaign_id="pemilu", sites=[
        admin_pb2.SiteProgress(site_code="32.76.01.1006", site_name="Mekarjaya", printed=30,
                               queued=60, held=10),
        admin_pb2.SiteProgress(site_code="32.76.01.1007", site_name="Depok", printed=5,
                               queued=0, will_miss_deadline=True)])


def test_progress_csv_and_chart(tmp_path):
    rows = rows_from_status(_status())
    assert [(r.target, r.printed, round(r.percent)) for r in rows] == [(100, 30, 30),
                                                                       (5, 5, 100)]
    table = list(csv.DictReader(io.StringIO(progress_csv(rows).decode())))
    assert table[0]["percent"] == "30.0" and table[1]["will_miss_deadline"] == "1"
    img = Image.open(io.BytesIO(png_bytes(rows, "t")))
    assert img.format == "PNG" and img.height > 100
    # The printed bar of a site that will miss is red, of one on track green.
    csv_path, png_path = write_report(_status(), tmp_path)
    assert csv_path.name == "progress.csv" and png_path.name == "progress.png"
    assert Image.open(png_path).size == img.size
