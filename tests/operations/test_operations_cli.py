"""Campaign operations as an admin runs them: real `cetak` processes against a controller
serving on loopback (port 0)."""

from __future__ import annotations

import json
import sqlite3

from .conftest import OTHER_SITE, SITE, duplicate_person_file, serving_controller
from .conftest import run_cetak as run


def test_operations_end_to_end(tmp_path):
    db = tmp_path / "controller.db"
    with serving_controller(db) as conn:
        r = run("campaign", "create", "pemilu", "--deadline", "2030-01-01T17:00+07:00", *conn)
        assert r.returncode == 0, r.stderr
        prr, nik_a, nik_b = duplicate_person_file(tmp_path / "prr", 8, sites=[SITE])
        r = run("campaign", "import", "pemilu", str(prr), "--json", *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["held"] == 2

        # record status: held and why; unknown NIK exits 1; a malformed one 2
        r = run("record", "status", nik_a, "--json", *conn)
        assert r.returncode == 0, r.stderr
        held = json.loads(r.stdout)["records"][0]
        assert held["state"] == "held" and "duplicate person" in held["summary"]
        assert held["site_code"] == SITE
        r = run("record", "status", "3276010101990001", *conn)
        assert r.returncode == 1 and "no record" in r.stderr
        assert run("record", "status", "12345", *conn).returncode == 2

        # adjudicate: release one, reject the other; a second decision is refused
        r = run("record", "adjudicate", held["record_id"], "--release", "--reason",
                "checked with the national centre", "--json", *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["state"] == "queued"
        r = run("record", "status", nik_b, "--json", *conn)
        other = json.loads(r.stdout)["records"][0]["record_id"]
        r = run("record", "adjudicate", other, "--reject", "--reason", "same person", *conn)
        assert r.returncode == 0, r.stderr
        r = run("record", "adjudicate", other, "--release", "--reason", "x", *conn)
        assert r.returncode == 2 and "not held" in r.stderr
        r = run("record", "status", nik_a, *conn)
        # released to the queue, but no blanks have reached the site yet: it says so
        assert "waiting for blanks at 32.76.01.1006" in r.stdout

        # inventory: receive with serials, transfer a range, spoil one, destroy it
        r = run("inventory", "receive", SITE, "--serials", "KTP000001-KTP000100",
                "--reference", "DO-7", *conn)
        assert r.returncode == 0, r.stderr
        assert run("inventory", "receive", SITE, "--item", "ribbon", "--quantity", "500",
                   *conn).returncode == 0
        r = run("inventory", "receive", OTHER_SITE, "--serials", "KTP000050-KTP000060", *conn)
        assert r.returncode == 2 and "overlap" in r.stderr
        r = run("inventory", "transfer", "--from", SITE, "--to", OTHER_SITE, "--serials",
                "KTP000081-KTP000100", "--json", *conn)
        assert r.returncode == 0, r.stderr
        moved = json.loads(r.stdout)
        assert moved["transfer_out"]["reference"] == moved["transfer_in"]["reference"]
        r = run("inventory", "spoil", SITE, "--serials", "KTP000005", "--reason",
                "rusak saat pengiriman", *conn)
        assert r.returncode == 0, r.stderr
        out_dir = tmp_path / "berita-acara"
        officer = ["--officer", "Drs. Ahmad Fauzi", "197001011995031001", "Kepala Bidang"]
        r = run("inventory", "destroy", SITE, "--serials", "KTP000006", "--place", "Kantor",
                *officer, "--witness", "A, Kasi", "--witness", "B, Operator", "--out",
                str(out_dir), *conn)
        assert r.returncode == 2 and "not spoiled" in r.stderr
        r = run("inventory", "destroy", SITE, "--serials", "KTP000005", "--place", "Kantor",
                *officer, "--witness", "A, Kasi", *conn, "--out", str(out_dir))
        assert r.returncode == 2 and "two" in r.stderr
        # Wrong forms are refused by name, before anything is sent.
        for wrong, said in ((["--witness", "Budi", "Kepala Seksi"], "--witness #2: the second "
                                                                   "value must be the NIP"),
                            (["--witness", "Budi", "12345"], "--witness #2: a NIP is 18"),
                            (["--officer", "Ahmad, Kabid"], "--officer #2: expected NAME NIP"),
                            (["--witness", "李小龍, Saksi"], "--witness #2: 3 character(s) "
                                                            "the berita acara cannot print")):
            r = run("inventory", "destroy", SITE, "--serials", "KTP000005", "--place",
                    "Kantor", *officer, "--witness", "A, Kasi", *wrong, "--out",
                    str(out_dir), *conn)
            assert r.returncode == 2 and said in r.stderr and "Traceback" not in r.stderr, (
                r.stderr)
        r = run("inventory", "destroy", SITE, "--serials", "KTP000005", "--place", "Kantor",
                "--witness", "A, Kasi", "--witness", "B, Operator", "--out", str(out_dir),
                *conn)
        assert r.returncode == 2 and "--officer" in r.stderr  # the officer is required
        assert not out_dir.exists() or not any(out_dir.iterdir())
        r = run("inventory", "destroy", SITE, "--serials", "KTP000005", "--place",
                "Kantor Disdukcapil", *officer, "--witness", "Budi Santoso",
                "198503152010011002", "Kepala Seksi", "--witness", "Sari, Operator",
                "--method", "dipotong", "--out", str(out_dir), "--json", *conn)
        assert r.returncode == 0, r.stderr
        destroyed = json.loads(r.stdout)
        assert destroyed["count"] == 1
        from pypdf import PdfReader

        text = " ".join(" ".join(p.extract_text() for p in PdfReader(destroyed["pdf"]).pages)
                        .split())
        for expected in ("Drs. Ahmad Fauzi", "NIP. 197001011995031001", "Budi Santoso",
                         "198503152010011002", "KTP000005", "1 (satu) keping"):
            assert expected in text, expected
        assert "KTP000005" in open(destroyed["csv"], encoding="utf-8").read()
        r = run("inventory", "records", SITE, "--json", *conn)
        listed = json.loads(r.stdout)["records"][0]
        assert listed["serials"] == ["KTP000005"]
        assert listed["officers"] == [dict(name="Drs. Ahmad Fauzi", nip="197001011995031001",
                                           position="Kepala Bidang")]

        r = run("inventory", "show", "--json", *conn)
        assert r.returncode == 0, r.stderr
        sites = {s["site_code"]: s for s in json.loads(r.stdout)["sites"]}
        here = sites[SITE]
        assert int(here["blanks_in_stock"]) == 79 and int(here["blanks_destroyed"]) == 1
        assert [(x["serial_from"], x["serial_to"]) for x in here["blank_ranges"]] == [
            ("KTP000001", "KTP000080")]
        assert int(here["ribbons_in_stock"]) == 500
        assert int(sites[OTHER_SITE]["blanks_in_stock"]) == 20

        # plan: the site has no printer connected, so it is down; nobody can take its queue
        r = run("plan", "pemilu", "--json", *conn)
        assert r.returncode == 0, r.stderr
        plan = json.loads(r.stdout)
        site_plan = {s["site_code"]: s for s in plan["sites"]}[SITE]
        assert site_plan["down"] is True and int(site_plan["demand"]) == 8  # 9 less 1 rejected
        assert any("behind" in w for w in plan["warnings"])
        assert run("plan", "nope", *conn).returncode == 2

        for lang, header in (("id", "kode_wilayah,nama_kelurahan,"),
                             ("en", "site_code,site_name,")):
            r = run("campaign", "report", "pemilu", "--out", str(tmp_path / "report" / lang),
                    "--lang", lang, "--json", *conn)
            assert r.returncode == 0, r.stderr
            files = json.loads(r.stdout)
            assert open(files["png"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
            assert open(files["csv"], encoding="utf-8").readline().startswith(header)
    r = run("campaign", "verify", "--store", str(db), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    actions = {a for (a,) in sqlite3.connect(db).execute("SELECT action FROM audit_log")}
    assert {"record.adjudicate", "inventory.transfer_out", "inventory.transfer_in",
            "inventory.destroy", "inventory.destruction_record"} <= actions


def test_verify_reports_and_recounts_damaged_attempt_totals(tmp_path):
    from cetak.controller.audit import audit_log_for
    from cetak.controller.ledger import Ledger
    from cetak.controller.model import Campaign
    from cetak.controller.store import SqliteStore
    from tests.controller.conftest import make_records, receive_blanks

    db = tmp_path / "controller.db"
    store = SqliteStore(db)
    ledger = Ledger(store, audit=audit_log_for(store))
    ledger.create_campaign(Campaign("c1", "x", created_ms=1))
    ledger.add_records(make_records("c1", 4), 1)
    receive_blanks(ledger, SITE, 4)
    ledger.hello("a1", SITE, [("p1", b"", 100.0)], [], "test", 0.0, 10)
    assert len(ledger.grant("a1", SITE, 3, 10)) == 3
    store.close()
    with sqlite3.connect(db) as conn:  # a hand edit of the file
        conn.execute("UPDATE attempt_totals SET n = 1 WHERE state = 'leased'")

    r = run("campaign", "verify", "--store", str(db), "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    violations = json.loads(r.stdout)["violations"]
    assert [(v["invariant"], v["subject"]) for v in violations] == [("attempt_totals", SITE)]
    assert "keeps 1, attempts counted 3" in violations[0]["detail"]

    r = run("campaign", "verify", "--store", str(db), "--recount-totals", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] is True and out["totals_recounted"] == 1
    r = run("campaign", "verify", "--store", str(db), "--recount-totals")
    assert r.returncode == 0 and "0 differed" in r.stdout  # nothing left to repair
    actions = [a for (a,) in sqlite3.connect(db).execute(
        "SELECT action FROM audit_log ORDER BY seq")]
    assert actions.count("attempt_totals.recount") == 1
    assert run("audit", "verify", "--store", str(db)).returncode == 0
