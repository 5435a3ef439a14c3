"""`record status` and `campaign status` say why a record is not printed: real `cetak`
processes against a controller serving a real SQLite store on loopback (port 0)."""

from __future__ import annotations

import json
import os
import subprocess
import time

from cetak.controller.ledger import LeasePolicy
from cetak.controller.store import SqliteStore

from ..procs import cetak_argv
from ..store.test_blockers import A_SITE, B_SITE, C_SITE, build
from .conftest import serving_controller


def run(*args: str, lang: str = "id_ID.UTF-8") -> subprocess.CompletedProcess:
    # A wide terminal, so that the table's cells are not cut (`campaign status` fits it).
    env = {**os.environ, "LANG": lang, "LC_ALL": "", "LC_MESSAGES": "", "COLUMNS": "200"}
    return subprocess.run(cetak_argv(*args), capture_output=True, text=True, timeout=120,
                          env=env)


def nik(site: str, i: int) -> str:
    return f"{site[-4:]}{i:012d}"  # tests/controller/conftest.make_records


def test_record_and_campaign_status_say_why(tmp_path):
    db = tmp_path / "controller.db"
    store = SqliteStore(db)
    try:
        ledger, _ids = build(store)
        ledger.policy = LeasePolicy(lease_ms=3_600_000)  # the leases outlive the test
        assert len(ledger.grant("a1", A_SITE, 10, int(time.time() * 1000), window=10)) == 6
    finally:
        store.close()
    with serving_controller(db) as conn:
        # A BARU record beyond the spent budget: blocked, Bahasa first, then English.
        r = run("record", "status", nik(B_SITE, 1), *conn)
        assert r.returncode == 0, r.stderr
        assert "terblokir: anggaran BARU habis (4 dari 4 terpakai)" in r.stdout
        assert "blocked: BARU budget spent (4 of 4 used) — raise it with: cetak campaign " \
               "set c1 --budget-baru N" in r.stdout
        assert r.stdout.index("terblokir") < r.stdout.index("blocked:")
        assert "queued for printing" not in r.stdout
        r = run("record", "status", nik(B_SITE, 1), "--json", *conn)
        d = json.loads(r.stdout)["records"][0]
        assert (d["reason"], d["kategori"], d["reason_detail"]) == \
            ("budget_spent", "BARU", {"budget": 4, "budget_used": 4})
        assert d["summary_id"].startswith("terblokir") and d["summary"].startswith("blocked")

        # Too few blanks at C (1 free, 3 queued); English only when asked for English.
        r = run("record", "status", nik(C_SITE, 0), *conn, lang="en_US.UTF-8")
        assert r.returncode == 0, r.stderr
        assert f"waiting for blanks at {C_SITE}" in r.stdout and "menunggu" not in r.stdout
        d = json.loads(run("record", "status", nik(C_SITE, 0), "--json", *conn).stdout)
        assert d["records"][0]["reason"] == "blanks_short"
        assert d["records"][0]["reason_detail"] == {"blanks_available": 1, "queued_at_site": 2}

        # The held duplicate and the held unknown outcome; a leased one.
        r = run("record", "status", nik(A_SITE, 6), "--json", *conn)
        d = json.loads(r.stdout)["records"][0]
        assert d["reason"] == "held_duplicate" and "possible duplicate" in d["summary"]
        assert "kemungkinan orang yang sama" in d["summary_id"]
        r = run("record", "status", nik(B_SITE, 0), "--json", *conn)
        assert json.loads(r.stdout)["records"][0]["reason"] == "held_unknown"
        r = run("record", "status", nik(A_SITE, 0), "--json", *conn)
        assert json.loads(r.stdout)["records"][0]["reason"] == "leased"

        # campaign status: counts per reason, overall and per site; not on track.
        r = run("campaign", "status", "c1", "--json", *conn)
        assert r.returncode == 0, r.stderr
        s = json.loads(r.stdout)
        assert {k: int(v) for k, v in s["reasons"].items() if int(v)} == {
            "leased": 6, "held_duplicate": 1, "held_unknown": 1, "budget_spent": 4,
            "blanks_short": 2, "printable": 1}
        assert int(s["cannot_print"]) == 6 and s["on_track"] is False
        sites = {x["site_code"]: x for x in s["sites"]}
        assert int(sites[B_SITE]["reasons"]["budget_spent"]) == 2
        assert int(sites[B_SITE]["blanks_available"]) == 0
        assert int(sites[C_SITE]["reasons"]["blanks_short"]) == 2
        baru = next(b for b in s["budgets"] if b["kategori"] == "BARU")
        assert (int(baru["budget"]), int(baru["used"]), int(baru["left"]),
                int(baru["queued"])) == (4, 4, 0, 4)

        r = run("campaign", "status", "c1", *conn, lang="en_US.UTF-8")
        assert r.returncode == 0, r.stderr
        out = " ".join(r.stdout.split())
        table = " ".join(r.stdout.split("Not printed yet")[0].split())
        assert "on track" not in table
        assert "6 blocked" in table
        # per site, named from the region table
        assert (f"blocked: category budget spent: 4 ({A_SITE} (Depok) 2, {B_SITE} (Depok Jaya) "
                "2)") in out
        assert "Not on track: 6 records cannot be printed" in out
        assert "cetak campaign set c1 --budget-baru N" in out
        assert f"cetak inventory receive {C_SITE}" in out
        r = run("campaign", "status", "c1", *conn)
        assert "terblokir: anggaran kategori habis / blocked: category budget spent: 4" in \
            " ".join(r.stdout.split())
