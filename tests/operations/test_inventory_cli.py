"""`cetak inventory` and `cetak plan` as an admin runs them (real processes, a controller on
loopback): stock that came only by transfer shows in the table and the plan as in the JSON;
a site code that names no kelurahan and no campaign's site is refused and changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess

from .conftest import OTHER_SITE, SITE, duplicate_person_file, serving_controller
from .conftest import run_cetak as run


def _table(*args: str) -> str:
    """A command's table as a wide terminal shows it (rich cuts at COLUMNS)."""
    from ..procs import cetak_argv

    r = subprocess.run(cetak_argv(*args), capture_output=True, text=True, timeout=120,
                       env={**os.environ, "COLUMNS": "250"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def _row(table: str, first: str) -> list[str]:
    """The cells of the line whose first cell is `first` (columns are set apart by at least
    two spaces; no cell holds two spaces in a row)."""
    line = next(line for line in table.splitlines()
                if line.strip().startswith(first.strip() + " "))
    return re.split(r"\s{2,}", line.strip())


def test_transferred_ribbons_count_in_show_and_plan(tmp_path):
    db = tmp_path / "controller.db"
    with serving_controller(db) as conn:
        assert run("campaign", "create", "pemilu", *conn).returncode == 0
        prr, _, _ = duplicate_person_file(tmp_path / "prr", 4, sites=[OTHER_SITE])
        assert run("campaign", "import", "pemilu", str(prr), *conn).returncode == 0
        for item in ("ribbon", "film"):
            r = run("inventory", "receive", SITE, "--item", item, "--quantity", "10", *conn)
            assert r.returncode == 0, r.stderr
            r = run("inventory", "transfer", "--from", SITE, "--to", OTHER_SITE, "--item",
                    item, "--quantity", "10", *conn)
            assert r.returncode == 0, r.stderr
        r = run("inventory", "show", "--json", *conn)
        there = {s["site_code"]: s for s in json.loads(r.stdout)["sites"]}[OTHER_SITE]
        assert (int(there["ribbons_in_stock"]), int(there["films_in_stock"])) == (10, 10)
        assert int(there["ribbons_received"]) == 10
        table = _table("inventory", "show", *conn)
        row = dict(zip(_row(table, " site "), _row(table, OTHER_SITE), strict=True))
        assert (row["ribbons"], row["films"]) == ("10", "10")
        r = run("plan", "pemilu", "--json", *conn)
        assert r.returncode == 0, r.stderr
        site = {s["site_code"]: s for s in json.loads(r.stdout)["sites"]}[OTHER_SITE]
        assert (int(site["ribbons_have"]), int(site["films_have"])) == (10, 10)


def test_an_unknown_site_code_is_refused_and_changes_nothing(tmp_path):
    db = tmp_path / "controller.db"
    with serving_controller(db) as conn:
        assert run("campaign", "create", "pemilu", *conn).returncode == 0
        prr, _, _ = duplicate_person_file(tmp_path / "prr", 4, sites=[SITE])
        assert run("campaign", "import", "pemilu", str(prr), *conn).returncode == 0
        assert run("inventory", "receive", SITE, "--quantity", "5", *conn).returncode == 0
        phantom = "32.76.99.9999"
        r = run("inventory", "receive", phantom, "--item", "ribbon", "--quantity", "10", *conn)
        assert r.returncode == 2, r.stderr
        assert phantom in r.stderr and "kelurahan_kode" in r.stderr
        assert "Traceback" not in r.stderr
        # A kelurahan-shaped typo in an existing kecamatan says where the right codes are.
        r = run("inventory", "receive", "32.76.01.1099", "--quantity", "5", *conn)
        assert r.returncode == 2 and "32.76.01.1006 .. 32.76.01.1011" in r.stderr, r.stderr
        r = run("inventory", "transfer", "--from", SITE, "--to", phantom, "--quantity", "1",
                *conn)
        assert r.returncode == 2 and phantom in r.stderr, r.stderr
        r = run("inventory", "show", "--json", *conn)
        sites = [s["site_code"] for s in json.loads(r.stdout)["sites"]]
        assert sites == [SITE]
        plan = json.loads(run("plan", "pemilu", "--json", *conn).stdout)
        assert [s["site_code"] for s in plan["sites"]] == [SITE]
        # A real kelurahan that no campaign uses yet (a delivery before the import) is taken.
        r = run("inventory", "receive", OTHER_SITE, "--quantity", "5", *conn)
        assert r.returncode == 0, r.stderr
