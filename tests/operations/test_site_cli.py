"""The site registry: its rules (controller/sites.py), and `cetak site add|set|list` against a
real controller on loopback, with what plan, status and the report then show."""

from __future__ import annotations

import json
import sqlite3

import pytest

from cetak.controller.calendar import WorkingHours
from cetak.controller.site_cli import dates_text, parse_dates, parse_days, parse_hours
from cetak.controller.sites import Site, SiteInvalid, complete

from .conftest import OTHER_SITE, SITE, serving_controller
from .conftest import run_cetak as run

UNKNOWN = "32.76.99.9999"


def test_defaults_come_from_the_region_table():
    site = complete(Site(SITE))
    assert (site.name, site.kecamatan, site.timezone) == ("Depok", "Pancoran Mas",
                                                         "Asia/Jakarta")
    assert complete(Site("51.71.01.1001")).timezone == "Asia/Makassar"     # Denpasar: WITA
    assert complete(Site("91.71.01.1001")).timezone == "Asia/Jayapura"     # Jayapura: WIT
    office = complete(Site("32.76"))
    assert office.name == "Disdukcapil Kota Depok" and office.kecamatan == ""
    assert complete(Site(SITE, name="  Kantor   Kelurahan ")).name == "Kantor Kelurahan"


@pytest.mark.parametrize(("site", "field", "words"), [
    (Site(UNKNOWN), "site_code", "not a kelurahan/desa in the region table"),
    (Site("32.76.01"), "site_code", "not a kelurahan/desa"),        # a kecamatan
    (Site(""), "site_code", "required"),
    (Site(SITE, timezone="Europe/Paris"), "timezone", "WIB"),
    (Site(SITE, hours=(WorkingHours(7, 0, 60),)), "hours", "0 (Monday) to 6 (Sunday)"),
    (Site(SITE, hours=(WorkingHours(0, 600, 480),)), "hours", "start before it ends"),
    (Site(SITE, hours=(WorkingHours(0, 480, 720), WorkingHours(0, 700, 900))), "hours",
     "overlap"),
    (Site(SITE, overtime_cap_minutes=13 * 60), "overtime", "0 to 12 hours"),
    (Site(SITE, holidays=("2026-02-30",)), "holidays", "YYYY-MM-DD"),
    (Site(SITE, printers_expected=-1), "printers", "0 to 100"),
    (Site(SITE, name="Depok\x1b[2J"), "name", "no control characters"),
])
def test_refused_sites_name_the_field(site, field, words):
    with pytest.raises(SiteInvalid) as caught:
        complete(site)
    assert caught.value.field == field and words in str(caught.value)


def test_parsing_what_the_admin_writes():
    assert parse_days("mon-fri") == [0, 1, 2, 3, 4]
    assert parse_days("sen,rab,Jumat") == [0, 2, 4]
    assert parse_hours("sat=08:00-12:00") == {5: [(480, 720)]}
    assert parse_hours("mon-tue=08:00-12:00,13:00-24:00") == {
        0: [(480, 720), (780, 1440)], 1: [(480, 720), (780, 1440)]}
    assert parse_hours("min=off") == {6: []}
    dates = parse_dates("2026-12-24..2026-12-26")
    assert dates == ["2026-12-24", "2026-12-25", "2026-12-26"]
    assert dates_text((*dates, "2026-12-31")) == "2026-12-24..2026-12-26, 2026-12-31"


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    from cetak.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_site_commands_against_a_controller(tmp_path, capsys, monkeypatch):
    from cetak.prr.synthetic import write_prr

    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("COLUMNS", "250")      # rich: wide enough that no name wraps
    db = tmp_path / "controller.db"
    with serving_controller(db) as conn:
        cli = lambda *a: _cli(capsys, *a, *conn)  # noqa: E731
        assert cli("campaign", "create", "pemilu", "--deadline", "2030-01-01T17:00+07:00")[0] == 0
        prr = write_prr(tmp_path / "prr", 6, seed=3, sites=[SITE, OTHER_SITE])
        assert cli("campaign", "import", "pemilu", str(prr))[0] == 0
        code, out, _ = cli("site", "list", "--json")
        assert code == 0 and json.loads(out) == {"sites": []}

        code, out, err = cli("site", "add", SITE, "--hours", "mon-fri=08:00-16:00", "--hours",
                             "sat=08:00-12:00", "--overtime", "3", "--holiday", "2029-12-31",
                             "--printers", "2", "--json")
        assert code == 0, err
        added = json.loads(out)
        assert added["name"] == "Depok" and added["zone"] == "WIB"
        assert added["kecamatan"] == "Pancoran Mas" and added["printers_expected"] == 2
        assert added["overtime_cap_hours"] == 3 and added["holidays"] == ["2029-12-31"]
        assert [(h["weekday"], h["start"], h["end"]) for h in added["hours"]][-2:] == [
            (4, "08:00", "16:00"), (5, "08:00", "12:00")]
        before = cli("site", "list", "--json")[1]

        # Refusals: exit 2, a message that says what to do, and nothing written.
        for args, words in [
            (("site", "add", SITE), "already registered: change it with `cetak site set"),
            (("site", "add", UNKNOWN), f"{UNKNOWN} is not a kelurahan/desa in the region"),
            (("site", "set", OTHER_SITE, "--printers", "1"), "register it first"),
            (("site", "add", OTHER_SITE, "--hours", "mon=16:00-08:00"), "start before"),
            (("site", "add", OTHER_SITE, "--hours", "monday 8-16"), "expected DAYS=HH:MM"),
            (("site", "add", OTHER_SITE, "--tz", "PST"), "expected WIB, WITA or WIT"),
            (("site", "set", SITE, "--overtime", "lots"), "expected hours a day"),
            (("site", "set", SITE, "--holiday", "31-12-2029"), "expected a date YYYY-MM-DD"),
        ]:
            code, out, err = cli(*args)
            assert code == 2 and words in err, (args, err)
            assert out == ""
        monkeypatch.setenv("LANG", "id_ID.UTF-8")
        code, _, err = cli("site", "add", UNKNOWN)
        assert code == 2 and "bukan kelurahan/desa dalam tabel wilayah" in err
        monkeypatch.setenv("LANG", "en_US.UTF-8")
        # The API refuses the same, for callers other than this command.
        import grpc

        from cetak.api.v1 import admin_pb2, admin_pb2_grpc

        with grpc.insecure_channel(conn[1]) as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                stub.UpsertSite(admin_pb2.Site(site_code=UNKNOWN, name="phantom"), timeout=30)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            with pytest.raises(grpc.RpcError) as refused:
                stub.UpsertSite(admin_pb2.Site(site_code=SITE, timezone="UTC"), timeout=30)
            assert "timezone" in refused.value.details()
        assert cli("site", "list", "--json")[1] == before

        code, out, err = cli("site", "set", SITE, "--name", "Kantor Kelurahan Depok",
                             "--hours", "sat=off", "--holiday", "2029-12-24..2029-12-26",
                             "--remove-holiday", "2029-12-31", "--tz", "WITA")
        assert code == 0, err
        assert out.startswith("updated: 32.76.01.1006 Kantor Kelurahan Depok (WITA): "
                              "Mon-Fri 08:00-16:00; overtime up to 3 h a day; 3 holidays")
        code, out, _ = cli("site", "set", SITE)        # nothing to change: nothing written
        assert code == 0 and out.startswith("unchanged: 32.76.01.1006 Kantor Kelurahan Depok")
        sites = json.loads(cli("site", "list", "--json")[1])["sites"]
        assert sites[0]["holidays"] == ["2029-12-24", "2029-12-25", "2029-12-26"]
        assert sites[0]["timezone"] == "Asia/Makassar" and sites[0]["printers_expected"] == 2
        code, out, _ = cli("site", "list")
        assert "Kantor Kelurahan Depok" in out and "Mon-Fri 08:00-16:00" in out
        assert "2029-12-24..2029-12-26" in out

        # Names in plan, status and report; the plan's hours follow the calendar.
        code, out, err = cli("plan", "pemilu")
        assert code == 0, err
        assert "Kantor Kelurahan Depok" in out and "Depok Jaya" in out
        plan = {s["site_code"]: s for s in json.loads(cli("plan", "pemilu", "--json")[1])["sites"]}
        assert 0 < plan[SITE]["working_hours_left"] < plan[OTHER_SITE]["working_hours_left"] / 2
        code, out, err = cli("campaign", "status", "pemilu")
        assert code == 0 and "Kantor Kelurahan Depok" in out and "Depok Jaya" in out, err
        status = json.loads(cli("campaign", "status", "pemilu", "--json")[1])
        assert {s["site_code"]: s["site_name"] for s in status["sites"]} == {
            SITE: "Kantor Kelurahan Depok", OTHER_SITE: "Depok Jaya"}
        assert cli("campaign", "report", "pemilu", "--out", str(tmp_path / "report"))[0] == 0
        report = (tmp_path / "report" / "progress.csv").read_text(encoding="utf-8")
        assert f"{SITE},Kantor Kelurahan Depok," in report
        assert f"{OTHER_SITE},Depok Jaya," in report

    # Audited: each change once, with what it became; the refusals wrote nothing.
    rows = sqlite3.connect(db).execute(
        "SELECT action, detail FROM audit_log WHERE action LIKE 'site.%'").fetchall()
    assert [a for a, _ in rows] == ["site.add", "site.set"]
    assert json.loads(rows[1][1])["name"] == "Kantor Kelurahan Depok"
    r = run("audit", "verify", "--store", str(db), "--json")
    assert r.returncode == 0, r.stdout + r.stderr


def test_an_unknown_kelurahan_is_refused_by_the_real_command(tmp_path):
    with serving_controller(tmp_path / "controller.db") as conn:
        r = run("site", "add", UNKNOWN, *conn)
        assert r.returncode == 2, r.stderr
        assert UNKNOWN in r.stderr and "Traceback" not in r.stderr
        r = run("site", "list", "--json", *conn)
        assert r.returncode == 0 and json.loads(r.stdout) == {"sites": []}
