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


def _stored(store, campaign_id):
    """Every column of a campaign's records in import order, record ids left out (random
    per import) and the payload's record_id with them."""
    from cetak.api.v1.common_pb2 import CardRecord

    rows = store.connection.execute(
        "SELECT record_id, nik, site_code, kategori, alasan, priority, state, hold_reason, "
        "payload, imported_ms, epoch FROM records WHERE campaign_id=? ORDER BY prr_seq",
        (campaign_id,)).fetchall()
    out = []
    for record_id, *columns, payload, imported_ms, epoch in rows:
        card = CardRecord.FromString(payload)
        assert card.record_id == record_id
        card.record_id = ""
        out.append((*columns, card.SerializeToString(), imported_ms, epoch))
    return out


def test_worker_process_writes_the_same_rows(ledger, store, tmp_path, monkeypatch):
    from cetak.controller import importer
    from cetak.controller.model import Campaign

    monkeypatch.setattr(importer, "BATCH", 7)  # many frames from the worker
    path = write_prr(tmp_path / "prr", 60, seed=5)
    ledger.create_campaign(Campaign("c2", "Pemilu", created_ms=1))
    in_worker = importer.import_file(ledger, "c1", path, False, 3, worker=True)
    inline = importer.import_file(ledger, "c2", path, False, 3, worker=False)
    assert in_worker == inline and in_worker.imported == 60
    assert in_worker.worker_peak_rss_kib > 0 and inline.worker_peak_rss_kib == 0
    assert _stored(store, "c1") == _stored(store, "c2") and len(_stored(store, "c1")) == 60
    # Same NIKs again: the store's duplicate check applies to the worker's rows too.
    again = importer.import_or_report(ledger, "c1", path, True, 4)
    assert (again.imported, again.invalid) == (0, 60)
    assert {(e.field, e.reason) for e in again.errors} == {("nik", importer.ALREADY_IN_CAMPAIGN)}


def test_store_error_rolls_back_rows_already_written(ledger, store, tmp_path, monkeypatch):
    import pytest

    from cetak.controller import importer
    from cetak.controller.store import StoreError

    monkeypatch.setattr(importer, "BATCH", 5)
    path = write_prr(tmp_path / "prr", 40, seed=6)
    calls = []
    queue_records = store.queue_records

    def failing(*args):
        calls.append(len(args[1]))
        if len(calls) == 4:  # three batches are in the table by now
            raise StoreError("disk full")
        return queue_records(*args)

    monkeypatch.setattr(store, "queue_records", failing)
    with pytest.raises(StoreError, match="disk full"):
        importer.import_file(ledger, "c1", path, True, 1, worker=True)
    assert len(calls) == 4  # nothing ran after the failure
    assert store.record_counts("c1") == []
    assert store.connection.execute("SELECT COUNT(*) FROM media").fetchone() == (0,)
    assert not store.in_transaction


def test_unreadable_line_rolls_back_rows_the_worker_sent(ledger, store, tmp_path,
                                                              monkeypatch):
    import pytest

    from cetak.controller import importer
    from cetak.controller.importer import ImportRefused

    monkeypatch.setattr(importer, "BATCH", 5)
    path = write_prr(tmp_path / "prr", 40, seed=7)
    with path.open("ab") as f:
        # Neither UTF-8 nor cp1252: found after eight batches were written.
        f.write(b"\x81\x8d not text\n")
    with pytest.raises(ImportRefused, match="UTF-8"):
        importer.import_file(ledger, "c1", path, True, 1, worker=True)
    assert store.record_counts("c1") == []
    # The store is usable afterwards: the same file without the bad line imports.
    path.write_bytes(path.read_bytes().rsplit(b"\x81", 1)[0])
    assert importer.import_file(ledger, "c1", path, True, 2).imported == 40


def test_queue_records_in_statements_within_the_parameter_limit(ledger, store):
    import sqlite3

    from tests.controller.conftest import make_records

    store.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 99)  # 9 rows a statement
    records = make_records("c1", 25)
    with store.transaction():
        assert store.queue_records("c1", [(r.record_id, r.nik, r.site_code, r.kategori,
                                           r.alasan, r.payload, 0) for r in records], 3) == 25
    rows = store.connection.execute(
        "SELECT record_id, prr_seq, payload FROM records ORDER BY prr_seq").fetchall()
    assert [(rid, payload) for rid, _, payload in rows] == \
        [(r.record_id, r.payload) for r in records]
    assert [seq for _, seq, _ in rows] == list(range(rows[0][1], rows[0][1] + 25))


def test_a_worker_that_dies_changes_nothing(ledger, store, tmp_path, monkeypatch):
    import subprocess
    import sys

    import pytest

    from cetak.controller import import_prepare, importer

    path = write_prr(tmp_path / "prr", 20, seed=8)

    def dying(self, path, id_prefix, batch_size):  # noqa: ANN001 - WorkerBatches.__init__
        self._proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)

    monkeypatch.setattr(import_prepare.WorkerBatches, "__init__", dying)
    with pytest.raises(import_prepare.WorkerFailed, match="exit code 3"):
        importer.import_file(ledger, "c1", path, True, 1, worker=True)
    assert store.record_counts("c1") == [] and not store.in_transaction


def test_foreign_keys_are_checked_again_after_an_import(ledger, store, tmp_path):
    # The store turns the per-row foreign-key probe off while an import writes (bulk_load):
    # whatever the import's end, the connection checks them again after.
    import sqlite3

    import pytest

    path = write_prr(tmp_path / "prr", 10, seed=9)
    assert import_or_report(ledger, "c1", path, False, 1).imported == 10
    rows = _rows(path)
    rows[2][rows[0].index("nik")] = "12345"
    _write(path, rows)
    assert import_or_report(ledger, "c1", path, False, 1).imported == 0  # refused
    assert store.connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with pytest.raises(sqlite3.IntegrityError), store.transaction():  # and they hold
        store.connection.execute("INSERT INTO records (record_id, campaign_id, nik, site_code, "
                                 "kategori, prr_seq, state, payload, imported_ms) VALUES "
                                 "('x', 'no-such-campaign', '1', 's', 'BARU', 1, 'queued', "
                                 "x'', 1)")
