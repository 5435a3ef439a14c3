"""PRR import into a campaign: all-or-nothing, skip-invalid, duplicates, holds."""

from __future__ import annotations

import csv

from cetak.controller.importer import import_or_report
from cetak.prr.synthetic import write_prr


def _rows(path):
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_import_valid_file(ledger, store, tmp_path):
    path = write_prr(tmp_path / "prr", 20, seed=3)
    out = import_or_report(ledger, "c1", path, False, 1)
    assert (out.valid, out.invalid, out.imported) == (20, 0, 20)
    assert sum(n for _s, state, n in store.record_counts("c1") if state == "queued") \
        + out.held == 20
    # Importing the same file again: every NIK is already in the campaign, nothing changes.
    again = import_or_report(ledger, "c1", path, False, 2)
    assert again.imported == 0 and again.invalid == 20
    assert {e.reason for e in again.errors} == {"NIK already in this campaign"}


def test_all_or_nothing_and_skip_invalid(ledger, store, tmp_path):
    path = write_prr(tmp_path / "prr", 10, seed=4)
    rows = _rows(path)
    header = rows[0]
    rows[3][header.index("nik")] = "12345"  # physical line 4
    _write(path, rows)
    out = import_or_report(ledger, "c1", path, False, 1)
    assert out.imported == 0 and out.invalid == 1
    assert (out.errors[0].line, out.errors[0].field) == (4, "nik")
    assert store.record_counts("c1") == []
    out = import_or_report(ledger, "c1", path, True, 1)
    assert out.imported == 9 and out.invalid == 1
