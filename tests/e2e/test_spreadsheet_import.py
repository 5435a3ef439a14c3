"""`cetak campaign import` of a PRR list kept in a spreadsheet: a `;` cp1252 CSV (Excel's
"CSV" under an Indonesian locale) and an .xlsx workbook import into a real controller's
SQLite store exactly as the same records in a plain comma UTF-8 CSV."""

from __future__ import annotations

import json
import sqlite3
import subprocess

from ..procs import Proc, cetak_argv, wait_for_file
from ..prr.sheets import INVALID, VALID, write_form

FORMS = {"polos": "csv", "titikkoma": "csv-semicolon-cp1252-crlf", "buku": "xlsx"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(cetak_argv(*args), capture_output=True, text=True, timeout=120)


def _stored(db, campaign_id: str) -> list[tuple]:
    """A campaign's records in import order, as the store holds them, without what differs
    by campaign (record ids, the time of import)."""
    from cetak.api.v1.common_pb2 import CardRecord

    rows = sqlite3.connect(db).execute(
        "SELECT nik, site_code, kategori, alasan, state, hold_reason, payload FROM records "
        "WHERE campaign_id=? ORDER BY prr_seq", (campaign_id,)).fetchall()
    out = []
    for *columns, payload in rows:
        card = CardRecord.FromString(payload)
        card.record_id = ""
        out.append((*columns, card))
    return out


def test_spreadsheets_import_as_the_plain_csv(tmp_path):
    from cetak.prr.synthetic import media_files

    for rel, data in media_files(seed=0, photo_count=1, signature_count=1).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    db = tmp_path / "controller.db"
    port_file = tmp_path / "port"
    server = Proc(cetak_argv("controller", "serve", "--listen", "127.0.0.1:0", "--store",
                             f"sqlite://{db}", "--insecure", "--port-file", str(port_file)),
                  tmp_path / "controller.log")
    summaries = {}
    try:
        conn = ["--controller", f"127.0.0.1:{wait_for_file(port_file, server)}", "--insecure"]
        for campaign, form in FORMS.items():
            r = run("campaign", "create", campaign, "--deadline", "2030-01-01T17:00+07:00",
                    *conn)
            assert r.returncode == 0, r.stderr
            path = write_form(tmp_path, form)
            r = run("campaign", "import", campaign, str(path), "--skip-invalid", "--json", *conn)
            assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
            summaries[campaign] = json.loads(r.stdout)
    finally:
        assert server.stop() == 0, server.output()
    plain = summaries["polos"]
    assert (plain["valid"], plain["invalid"], plain["imported"], plain["held"]) == (
        VALID, INVALID, VALID, 2)
    for campaign in FORMS:
        assert summaries[campaign] == plain, campaign
    stored = _stored(db, "polos")
    assert len(stored) == VALID
    assert "JOSÉ MUÑOZ" in {card.nama for *_, card in stored}
    assert {card.rw for *_, card in stored} == {"007", "012"}  # numbers in the workbook
    for campaign in FORMS:
        assert _stored(db, campaign) == stored, campaign
