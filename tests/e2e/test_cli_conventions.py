"""The admin CLI's conventions, through real `cetak` processes (against a real controller on
loopback where one is needed): no traceback ever reaches the user, a wrong identity names the
files looked for, an unreachable controller is said so, refusals are one line."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cetak.procs import cetak_argv

from ..operations.conftest import SITE, serving_controller


def cetak(*args: str, lang: str = "en", columns: int = 80) -> subprocess.CompletedProcess:
    """`cetak ARGS` as a user runs it, in `lang` (en or id) by the locale variables, on a
    terminal `columns` wide."""
    env = dict(os.environ, LC_ALL={"en": "en_US.UTF-8", "id": "id_ID.UTF-8"}[lang],
               COLUMNS=str(columns))
    return subprocess.run(cetak_argv(*args), capture_output=True, text=True, timeout=120,
                          env=env)


def one_line_refusal(r: subprocess.CompletedProcess) -> str:
    """The one line on stderr of a command that exited 2 without a traceback."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    assert cetak("pki", "init", "--dir", str(folder)).returncode == 0
    assert cetak("pki", "issue-auditor", "--dir", str(folder), "--name",
                 "inspektorat").returncode == 0
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_wrong_identity_names_the_files_it_looked_for(pki: Path) -> None:
    for lang in ("en", "id"):
        line = one_line_refusal(cetak("record", "held", "--pki", str(pki), "--identity",
                                      "inspektorat", lang=lang))
        assert line.startswith("cetak record held: ")
        assert str(pki / "inspektorat.pem") in line and str(pki / "inspektorat.key") in line
        assert "auditor-inspektorat" in line  # what is there instead
        assert ("looked for" if lang == "en" else "sudah dicari") in line
    line = one_line_refusal(cetak("campaign", "status", "c1", "--pki", str(pki / "nope")))
    assert "no such folder" in line
    damaged = pki.parent / "damaged-pki"
    damaged.mkdir()
    for name in ("ca.pem", "admin.pem"):
        (damaged / name).write_bytes((pki / name).read_bytes())
    (damaged / "admin.key").write_text("not a key\n")
    line = one_line_refusal(cetak("campaign", "status", "c1", "--pki", str(damaged)))
    assert "admin.key" in line and "private key" in line


def test_an_unreachable_controller_is_said_so_by_every_admin_command(tmp_path) -> None:
    address = f"127.0.0.1:{_free_port()}"
    conn = ["--controller", address, "--insecure"]
    prr = tmp_path / "prr.csv"
    prr.write_text("nik\n")
    for command in (["campaign", "status", "c1"], ["campaign", "create", "c1"],
                    ["campaign", "import", "c1", str(prr)],
                    ["campaign", "report", "c1", "--out", str(tmp_path / "out")],
                    ["record", "held"], ["record", "status", "3276010101990001"],
                    ["inventory", "show"], ["plan", "c1"], ["agent", "release", "--agent", "a1"]):
        line = one_line_refusal(cetak(*command, *conn))
        assert line.endswith(f"cannot reach the controller at {address} — is it running? "
                             "(cetak controller serve)"), line
    line = one_line_refusal(cetak("record", "held", *conn, lang="id"))
    assert line == (f"cetak record held: tidak dapat menghubungi controller di {address} — "
                    "apakah sedang berjalan? (cetak controller serve)")


def test_refusals_by_the_controller_are_one_line(tmp_path, pki: Path) -> None:
    with serving_controller(tmp_path / "c.db", pki) as conn:
        # The auditor's right identity works; what it may not do is refused in one line.
        r = cetak("record", "held", *conn, "--identity", "auditor-inspektorat")
        assert r.returncode == 0, r.stderr
        line = one_line_refusal(cetak("campaign", "create", "c1", *conn, "--identity",
                                      "auditor-inspektorat"))
        assert line.startswith("cetak campaign create: refused by the controller: ")
        assert "auditor" in line and "campaign.create" in line
        assert cetak("campaign", "create", "c1", *conn).returncode == 0
        line = one_line_refusal(cetak("campaign", "create", "c1", *conn))
        assert "already exists" in line and "FAILED_PRECONDITION" not in line
        # An identity from another PKI: the handshake fails, said in one line (and none of
        # gRPC's own log lines).
        other = tmp_path / "other-pki"
        assert cetak("pki", "init", "--dir", str(other)).returncode == 0
        line = one_line_refusal(cetak("campaign", "list", conn[0], conn[1], "--pki",
                                      str(other)))
        assert "TLS connection to the controller at" in line and "same PKI" in line


def _raising(args: argparse.Namespace) -> int:
    raise RuntimeError("disk\non fire")


def test_an_unexpected_error_is_one_line_and_the_traceback_only_with_v(capsys) -> None:
    from cetak.cli import run_handler

    args = argparse.Namespace(group="campaign", command="status", verbose=0)
    assert run_handler(_raising, args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and "RuntimeError: disk on fire" in err and "-v" in err
    args.verbose = 1
    assert run_handler(_raising, args) == 2
    assert "Traceback" in capsys.readouterr().err


def _prr_with_one_bad_line(folder: Path, n: int = 5) -> Path:
    """A valid PRR CSV of `n` records at SITE, then the NIK of its second record broken."""
    import csv

    from cetak.prr.synthetic import write_prr

    path = write_prr(folder, n, seed=3, sites=[SITE])
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[2][rows[0].index("nik")] = "12345"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def test_results_on_stdout_diagnostics_on_stderr_and_the_exit_codes(tmp_path) -> None:
    with serving_controller(tmp_path / "c.db") as conn:
        r = cetak("campaign", "create", "c1", "--deadline", "2030-01-01T17:00", *conn)
        assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "created campaign c1", "")
        r = cetak("campaign", "create", "c2", "--json", *conn)
        assert json.loads(r.stdout)["campaign_id"] == "c2" and r.stderr == ""
        r = cetak("campaign", "list", "--json", *conn)
        listed = {c["campaign_id"]: c for c in json.loads(r.stdout)["campaigns"]}
        # A deadline without an offset is read in WIB (UTC+7).
        assert listed["c1"]["deadline_ms"] == 1893492000000

        prr = _prr_with_one_bad_line(tmp_path / "prr")
        # Without --skip-invalid an invalid line refuses the whole file: exit 2, nothing in.
        r = cetak("campaign", "import", "c1", str(prr), *conn)
        assert r.returncode == 2, r.stderr
        assert "imported 0 records" in r.stdout
        assert "nothing imported: 1 invalid" in r.stderr and "line 3: nik" in r.stderr
        # With it, the import is done as asked: exit 0, the skipped line said on stderr.
        r = cetak("campaign", "import", "c1", str(prr), "--skip-invalid", *conn)
        assert r.returncode == 0, r.stderr
        assert "imported 4 records" in r.stdout
        assert "skipped 1 invalid records" in r.stderr and "line 3: nik" in r.stderr
        r = cetak("campaign", "import", "c2", str(prr), "--skip-invalid", "--json", *conn)
        assert r.returncode == 0 and json.loads(r.stdout)["invalid"] == 1

        r = cetak("campaign", "status", "c1", *conn)
        assert r.returncode == 0 and r.stderr == "" and SITE in r.stdout
        r = cetak("inventory", "receive", SITE, "--quantity", "10", *conn)
        assert r.returncode == 0 and r.stderr == "" and "receive 10 blank" in r.stdout
    r = cetak("campaign", "verify", "--store", str(tmp_path / "c.db"))
    assert r.returncode == 0 and "all invariants hold" in r.stdout and r.stderr == ""


def test_the_campaign_commands_speak_bahasa_unless_the_locale_is_english(tmp_path) -> None:
    with serving_controller(tmp_path / "c.db") as conn:
        r = cetak("campaign", "create", "c1", *conn, lang="id")
        assert (r.returncode, r.stdout.strip()) == (0, "kampanye c1 dibuat"), r.stderr
        prr = _prr_with_one_bad_line(tmp_path / "prr")
        r = cetak("campaign", "import", "c1", str(prr), *conn, lang="id")
        assert r.returncode == 2 and "0 rekaman diimpor" in r.stdout, r.stdout
        assert "tidak ada yang diimpor: 1 rekaman tidak sah" in r.stderr, r.stderr
        assert "baris 3: nik" in r.stderr, r.stderr
        r = cetak("campaign", "list", *conn, lang="id")
        assert "Kampanye" in r.stdout and "berjalan" in r.stdout, r.stdout
        r = cetak("campaign", "set", "c1", *conn, lang="id")
        assert "sebutkan yang diubah" in one_line_refusal(r)
        r = cetak("inventory", "show", *conn, lang="id", columns=200)
        assert (r.returncode, r.stdout.strip()) == (0, "Persediaan: tidak ada"), r.stderr
        assert cetak("inventory", "receive", SITE, "--quantity", "3", *conn).returncode == 0
        r = cetak("inventory", "show", *conn, lang="id", columns=200)
        assert r.returncode == 0 and "Persediaan" in r.stdout and "blanko masuk" in r.stdout
        r = cetak("inventory", "destroy", SITE, "--quantity", "1", "--place", "Depok",
                  "--officer", "Siti", "198001012006042001", "--witness", "Budi",
                  "197501012000031001", "--out", str(tmp_path / "ba"), *conn, lang="id")
        assert "paling sedikit dua --witness" in one_line_refusal(r)
    for lang, words in (("id", "semua invarian terpenuhi"), ("en", "all invariants hold")):
        r = cetak("campaign", "verify", "--store", str(tmp_path / "c.db"), lang=lang)
        assert r.returncode == 0 and r.stdout.strip() == words, (r.stdout, r.stderr)
    r = cetak("campaign", "verify", "--store", str(tmp_path / "missing.db"), lang="id")
    assert "berkas store tidak ada" in one_line_refusal(r)


READ_COMMANDS = (["campaign", "list"], ["campaign", "status", "c"], ["campaign", "report", "c",
                 "--out", "x"], ["campaign", "verify", "--store", "x"], ["record", "status",
                 "3276010101990001"], ["record", "held"], ["inventory", "show"],
                 ["inventory", "records"], ["plan", "c"], ["audit", "verify", "--store", "x"],
                 ["audit", "show"], ["pki", "show", "x.pem"], ["pki", "revoked", "--dir", "x"],
                 ["record", "validate", "x.csv"])


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_every_read_command_takes_json(command: list[str]) -> None:
    from cetak.cli import build_parser

    assert build_parser().parse_args([*command, "--json"]).json is True


def _upsert_site(conn: list[str], code: str, name: str, timezone: str) -> None:
    """A site in the controller's registry, over the admin API (UpsertSite)."""
    import grpc

    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    with grpc.insecure_channel(conn[1]) as channel:
        admin_pb2_grpc.AdminServiceStub(channel).UpsertSite(
            admin_pb2.Site(site_code=code, name=name, timezone=timezone), timeout=30)


def test_tables_fit_the_terminal_and_never_cut_a_code(tmp_path) -> None:
    with serving_controller(tmp_path / "c.db") as conn:
        _upsert_site(conn, SITE, "Kelurahan Pancoran Mas dengan nama yang sangat panjang",
                     "Asia/Jakarta")
        assert cetak("campaign", "create", "c1", "--deadline", "2030-01-01T17:00",
                     *conn).returncode == 0
        prr = _prr_with_one_bad_line(tmp_path / "prr")
        assert cetak("campaign", "import", "c1", str(prr), "--skip-invalid",
                     *conn).returncode == 0
        assert cetak("inventory", "receive", SITE, "--serials", "KTP0001001-KTP0001100",
                     *conn).returncode == 0
        for width in ("80", "50", "200"):
            for command in (["campaign", "status", "c1"], ["plan", "c1"],
                            ["inventory", "show"], ["campaign", "list"]):
                env = dict(os.environ, COLUMNS=width, LC_ALL="en_US.UTF-8")
                r = subprocess.run(cetak_argv(*command, *conn), capture_output=True,
                                   text=True, timeout=120, env=env)
                assert r.returncode == 0, r.stderr
                lines = r.stdout.splitlines()
                assert all(len(line) <= int(width) for line in lines), (width, r.stdout)
                assert "…" not in r.stdout, r.stdout
                if command[0] != "campaign" or command[1] != "list":
                    assert SITE in r.stdout, (command, width, r.stdout)
                if command[0] == "inventory":
                    assert "KTP0001001-KTP0001100" in r.stdout
        r = cetak("campaign", "status", "c1", *conn)
        assert "deadline: 2030-01-01 17:00 WIB" in r.stdout


def test_times_in_the_sites_zone_with_its_name(tmp_path) -> None:
    with serving_controller(tmp_path / "c.db") as conn:
        _upsert_site(conn, "73.71.01.1001", "Makassar", "Asia/Makassar")
        # The sites are all in WITA: a deadline without an offset is read there, shown so.
        r = cetak("campaign", "create", "c1", "--deadline", "2030-01-01T17:00", "--json", *conn)
        assert json.loads(r.stdout)["deadline_ms"] == 1893488400000  # 09:00 UTC
        r = cetak("campaign", "list", *conn, columns=120)
        assert "2030-01-01 17:00 WITA" in r.stdout, r.stdout
        r = cetak("campaign", "status", "c1", *conn)
        assert "deadline: 2030-01-01 17:00 WITA" in r.stdout
        # An explicit offset is taken as given, and shown in the sites' zone.
        r = cetak("campaign", "create", "c2", "--deadline", "2030-01-01T17:00+07:00", *conn)
        assert r.returncode == 0, r.stderr
        assert "2030-01-01 18:00 WITA" in cetak("campaign", "list", *conn, columns=120).stdout


def test_past_deadlines_campaign_set_and_cancel(tmp_path) -> None:
    with serving_controller(tmp_path / "c.db") as conn:
        line = one_line_refusal(cetak("campaign", "create", "c1", "--deadline",
                                      "2020-01-01T17:00", *conn))
        assert "2020-01-01 17:00 WIB is already past" in line and "--allow-past" in line
        assert cetak("campaign", "list", "--json", *conn).stdout.count("campaign_id") == 0
        r = cetak("campaign", "create", "old", "--deadline", "2020-01-01T17:00",
                  "--allow-past", *conn)
        assert r.returncode == 0, r.stderr
        assert cetak("campaign", "create", "c1", "--deadline", "2030-01-01T17:00",
                     *conn).returncode == 0

        # set: only what is given changes; a past deadline again needs --allow-past
        r = cetak("campaign", "set", "c1", "--name", "Pemilu 2030", "--budget-baru", "3",
                  "--json", *conn)
        assert r.returncode == 0, r.stderr
        c = json.loads(r.stdout)
        assert (c["name"], c["budget_baru"], c["deadline_ms"]) == ("Pemilu 2030", 3,
                                                                   1893492000000)
        line = one_line_refusal(cetak("campaign", "set", "c1", "--deadline", "2021-06-01",
                                      *conn))
        assert "already past" in line
        assert "give what to change" in one_line_refusal(cetak("campaign", "set", "c1",
                                                               *conn))
        assert "no campaign" in one_line_refusal(cetak("campaign", "set", "nope", "--name",
                                                       "x", *conn))

        prr = _prr_with_one_bad_line(tmp_path / "prr")
        assert cetak("campaign", "import", "c1", str(prr), "--skip-invalid",
                     *conn).returncode == 0
        r = cetak("campaign", "cancel", "c1", "--reason", "pemilu diundur", "--json", *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["records_cancelled"] == 4
        # Cancelled records are visible as such: status, list, record status.
        r = cetak("campaign", "status", "c1", "--json", *conn)
        status = json.loads(r.stdout)
        assert int(status["cancelled"]) == 4 and int(status["queued"]) == 0
        assert status["cancel_reason"] == "pemilu diundur"
        r = cetak("campaign", "status", "c1", *conn)
        assert "cancelled: 4 records" in r.stdout and "campaign cancelled at" in r.stdout
        assert "cancelled" in cetak("campaign", "list", *conn).stdout
        header = prr.read_text().splitlines()[0].split(",")
        nik = prr.read_text().splitlines()[1].split(",")[header.index("nik")]
        r = cetak("record", "status", nik, *conn)
        assert "cancelled: the campaign was cancelled" in r.stdout, r.stdout
        # Nothing more goes into it, and it is not cancelled twice.
        assert "cancelled" in one_line_refusal(cetak("campaign", "import", "c1", str(prr),
                                                     *conn))
        assert "cancelled" in one_line_refusal(cetak("campaign", "cancel", "c1", "--reason",
                                                     "x", *conn))
        assert "cancelled" in one_line_refusal(cetak("campaign", "set", "c1", "--name",
                                                     "x", *conn))
    # Audited with the actor, the values before and after, and the reason.
    with sqlite3.connect(tmp_path / "c.db") as db:
        rows = db.execute("SELECT action, detail FROM audit_log WHERE action IN "
                          "('campaign.update', 'campaign.cancel') ORDER BY seq").fetchall()
    assert [a for a, _ in rows] == ["campaign.update", "campaign.cancel"]
    assert json.loads(rows[0][1])["changed"]["name"] == ["c1", "Pemilu 2030"]
    assert json.loads(rows[1][1])["reason"] == "pemilu diundur"


def test_audit_show_for_admins_and_auditors_with_filters_json_and_csv(tmp_path, pki) -> None:
    import csv
    import io

    assert cetak("pki", "issue-operator", "--dir", str(pki), "--site", SITE, "--name",
                 "siti-audit").returncode == 0
    with serving_controller(tmp_path / "c.db", pki) as conn:
        assert cetak("campaign", "create", "c1", *conn).returncode == 0
        prr = _prr_with_one_bad_line(tmp_path / "prr")
        assert cetak("campaign", "import", "c1", str(prr), "--skip-invalid",
                     *conn).returncode == 0
        assert cetak("inventory", "receive", SITE, "--quantity", "5", *conn).returncode == 0
        auditor = [*conn, "--identity", "auditor-inspektorat"]
        assert cetak("campaign", "create", "c2", *auditor).returncode == 2  # refused, audited

        r = cetak("audit", "show", "--json", *auditor)
        assert r.returncode == 0, r.stderr
        entries = json.loads(r.stdout)["entries"]
        actions = [e["action"] for e in entries]
        assert "campaign.create" in actions and "controller.start" in actions
        assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)

        r = cetak("audit", "show", "--refused", "--json", *conn)
        refused = json.loads(r.stdout)["entries"]
        assert refused and all(not e["allowed"] for e in refused)
        assert any(e["actor"] == "auditor:inspektorat" and e["action"] == "campaign.create"
                   for e in refused)
        r = cetak("audit", "show", "--action", "campaign.", "--actor", "admin:*", "--json",
                  *conn)
        found = json.loads(r.stdout)["entries"]
        assert found and {e["action"] for e in found} <= {"campaign.create"}
        assert all(e["actor"].startswith("admin:") for e in found)
        r = cetak("audit", "show", "--site", SITE, "--json", *conn)
        assert any(e["detail"].get("site_code") == SITE for e in json.loads(r.stdout)["entries"])
        r = cetak("audit", "show", "--until", "2000-01-01", "--json", *conn)
        assert json.loads(r.stdout)["entries"] == []
        r = cetak("audit", "show", "--limit", "2", "--json", *conn)
        assert len(json.loads(r.stdout)["entries"]) == 2 and json.loads(r.stdout)["truncated"]

        r = cetak("audit", "show", "--csv", "--action", "campaign.create", *conn)
        assert r.returncode == 0, r.stderr
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        assert rows and {row["action"] for row in rows} == {"campaign.create"}
        assert all(row["time"].endswith("+07:00") for row in rows)
        assert json.loads(rows[0]["detail"])
        r = cetak("audit", "show", "--action", "campaign.create", *conn, columns=100)
        assert r.returncode == 0 and "campaign.create" in r.stdout and "WIB" in r.stdout

        # An operator may not read the log; a bad time is unusable input.
        line = one_line_refusal(cetak("audit", "show", *conn, "--identity",
                                      "operator-siti-audit"))
        assert "audit.read" in line
        assert "--since" in one_line_refusal(cetak("audit", "show", "--since", "kemarin",
                                                   *conn))


def test_record_held_shows_the_person_to_admins_and_masks_it_for_others(tmp_path,
                                                                       pki) -> None:
    from ..operations.conftest import duplicate_person_file

    assert cetak("pki", "issue-operator", "--dir", str(pki), "--site", SITE, "--name",
                 "siti-held").returncode == 0
    with serving_controller(tmp_path / "c.db", pki) as conn:
        assert cetak("campaign", "create", "c1", *conn).returncode == 0
        prr, nik_a, nik_b = duplicate_person_file(tmp_path / "prr", 6, sites=[SITE])
        r = cetak("campaign", "import", "c1", str(prr), "--json", *conn)
        assert json.loads(r.stdout)["held"] == 2, r.stdout

        r = cetak("record", "held", "--json", *conn)
        held = json.loads(r.stdout)["held"]
        assert {h["person"]["nik"] for h in held} == {nik_a, nik_b}
        for h in held:
            assert not h["masked"] and h["person"]["nama"] and h["person"]["tanggal_lahir"]
            (other,) = h["others"]
            assert other["nik"] == ({nik_a, nik_b} - {h["person"]["nik"]}).pop()
            assert other["nama"] == h["person"]["nama"]
        r = cetak("record", "held", *conn, columns=120)
        assert nik_a in r.stdout and held[0]["person"]["nama"].split()[0] in r.stdout
        assert "cetak record adjudicate" in r.stdout

        r = cetak("record", "held", "--json", *conn, "--identity", "auditor-inspektorat")
        masked = json.loads(r.stdout)["held"]
        assert all(h["masked"] for h in masked)
        text = r.stdout
        assert nik_a not in text and nik_b not in text
        assert held[0]["person"]["nama"] not in text and held[0]["person"]["tanggal_lahir"] \
            not in text
        assert masked[0]["person"]["nik"].startswith(nik_a[:4]) and "*" in \
            masked[0]["person"]["nik"]
        r = cetak("record", "held", *conn, "--identity", "auditor-inspektorat", columns=120)
        assert r.returncode == 0 and nik_a not in r.stdout and "masked" in r.stderr
        # The site's own operator sees them for its site (and only asks about its site).
        r = cetak("record", "held", "--site", SITE, "--json", *conn, "--identity",
                  "operator-siti-held")
        assert r.returncode == 0, r.stderr
        assert {h["person"]["nik"] for h in json.loads(r.stdout)["held"]} == {nik_a, nik_b}


def test_times_read_and_shown_in_a_zone_with_its_name() -> None:
    from cetak.timefmt import campaign_zone, format_ms, parse_ms, short_name

    ms = parse_ms("2030-01-01T17:00")  # WIB when no zone is given
    assert ms == 1893492000000
    assert parse_ms("2030-01-01T17:00", "WIT") == ms - 2 * 3600 * 1000
    assert parse_ms("2030-01-01T17:00+08:00") == ms - 3600 * 1000
    assert format_ms(ms) == "2030-01-01 17:00 WIB"
    assert format_ms(ms, "Asia/Makassar") == "2030-01-01 18:00 WITA"
    assert format_ms(ms, "Asia/Nowhere") == "2030-01-01 10:00 UTC"  # not a guess
    assert format_ms(0) == "-"
    assert campaign_zone(["Asia/Jayapura", "WIT", ""]) == "Asia/Jayapura"
    assert campaign_zone(["Asia/Jayapura", "Asia/Jakarta"]) == "Asia/Jakarta"
    assert short_name("wita") == "WITA"
    with pytest.raises(ValueError, match="ISO date-time"):
        parse_ms("besok")
