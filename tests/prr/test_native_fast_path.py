"""The C core's PRR fast path must accept only what the rules accept, and encode it as
CardRecordEncoder does, byte for byte; files validate and import the same with it or without."""

from __future__ import annotations

import csv
import datetime as dt
import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cetak.controller.import_prepare import End, prepared
from cetak.prr import schema, text
from cetak.prr.cardrecord import CardRecordEncoder
from cetak.prr.regions import load_regions
from cetak.prr.rules import RecordRules
from cetak.prr.schema import FIELDS
from cetak.prr.validate import _fast_path, open_prr
from tests.prr.prrdata import GOOD, TODAY, jpeg, person, png
from tests.prr.test_prr_fastpath import EDGES, MEDIA

REGIONS = load_regions()
# Edges of what the C code computes itself: dates (leap days, the century, the bounds), the
# NIK's date and sex digits, and names whose duplicate-detection key strips punctuation.
NATIVE_EDGES = {
    **EDGES,
    "nik": [*EDGES["nik"], "3276012902000001", "3276016902000001", "3276010101000001",
            "3276013112990001", "3276012902010001", "3276015708990001"],
    "nama": [*EDGES["nama"], "Siti-Aminah", "siti  aminah", "O'Neil", "Budi.", "Budi '", "A",
             "A b-c", "Ab,.-Cd", "BUDI SANTOSO", "budi santoso", "Budi\x1fX"],
    "tanggal_lahir": [*EDGES["tanggal_lahir"], "2000-02-29", "2001-02-29", "1900-01-01",
                      "1899-12-31", "2025-06-01", "2025-06-02", "1999-13-01", "1999-00-10",
                      "1999-08-00", "1999-08-32", "1999-08-1x"],
    "tempat_lahir": [*EDGES["tempat_lahir"], "Jakarta-Selatan", "Depok'"],
    "rt": [*EDGES["rt"], "999", "00"],
    "kelurahan_kode": [*EDGES["kelurahan_kode"], "11.01.01.2001", "32.76.01.100", "32-76-01-1007"],
    "golongan_darah": [*EDGES["golongan_darah"], "A ", "ab"],
    "alasan": [*EDGES["alasan"], "PERUBAHAN_DATA", "HILANG"],
    "pekerjaan": [*EDGES["pekerjaan"], "~!@#$%^&*()_+{}|:<>?", "guru"],
}
SHAS = ("a" * 64, "")


def _row(changes: dict[str, str]) -> tuple[str, ...]:
    return tuple(changes.get(f, GOOD[f]) for f in FIELDS)


@functools.cache
def _fast():
    return _fast_path(REGIONS, TODAY)


def _agree(rows: list[tuple[str, ...]]) -> int:
    """Every row the fast path takes: the rules take it too (given valid images), with the
    same NIK, person key and payload. Returns how many it took."""
    fast = _fast()
    checked = fast.check(rows)
    assert checked is not None
    data, spans = fast.encode(checked, "rtest", 7)
    rules, encoder = _rules()
    for j, values in enumerate(rows):
        if checked.kel[j] < 0:
            assert spans[2 * j + 1] == 0
            continue
        # Images are not the fast path's: ValidationRun takes its rows only with images the
        # rules already found valid. Give the rules valid ones.
        values = (*values[:17], GOOD["foto"], values[18] and GOOD["tanda_tangan"])
        record, errors = rules._check_full(2 + j, values)
        assert record is not None, errors
        assert fast.kelurahan_codes[checked.kel[j]] == record.kelurahan_kode
        assert checked.nik[j] == int(record.nik)
        assert checked.person_key[j] == text.person_key(record.nama, record.tanggal_lahir)
        ttd = SHAS[j % 2]
        payload = data[spans[2 * j]:spans[2 * j] + spans[2 * j + 1]]
        assert payload + encoder.image_fields(SHAS[0], ttd) == encoder.encode(
            record, f"rtest{7 + j:07x}", SHAS[0], ttd)
    return sum(k >= 0 for k in checked.kel)


@functools.cache
def _rules() -> tuple[RecordRules, CardRecordEncoder]:
    return RecordRules(REGIONS, MEDIA, today=TODAY), CardRecordEncoder(REGIONS)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={f: st.sampled_from(v)
                                                    for f, v in NATIVE_EDGES.items()}),
                min_size=1, max_size=12))
def test_native_fast_path_takes_only_what_the_rules_take(rows: list[dict[str, str]]) -> None:
    _agree([_row(changes) for changes in rows])


def test_plain_rows_take_the_fast_path() -> None:
    # The fast path is worth having only if it takes the ordinary rows (a woman's NIK too).
    rows = [_row({}), _row({"nik": "3276015708990001", "jenis_kelamin": "PEREMPUAN"}),
            _row({"kategori": "PENGGANTIAN", "alasan": "HILANG", "golongan_darah": "",
                  "nama": "Siti-Aminah", "rt": "0"}),
            _row({"nik": "3276012902000001", "tanggal_lahir": "2000-02-29"})]
    assert _agree(rows) == 4


def test_unplain_rows_are_left_to_the_rules() -> None:
    rows = [_row({"nama": "Zoë"}), _row({"nama": "Budi "}), _row({"tanggal_lahir": "2001-02-29"}),
            _row({"nik": "3276011708990000"}), _row({"kelurahan_kode": "32.76.01.9999"}),
            _row({"tanggal_lahir": "2025-06-02"}), _row({"nama": "Budi\x1fX"})]
    assert _agree(rows) == 0


def test_a_separator_inside_a_value_leaves_the_whole_batch_to_the_rules() -> None:
    fast = _fast()
    assert fast.check([_row({}), _row({"alamat": "Jl.\x1eX"}), _row({})]) is None
    assert fast.check([]) is not None


def _write_csv(path, rows: list[dict[str, str]], extra_lines: str = "") -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        f.write(extra_lines)


@pytest.fixture
def messy(tmp_path):
    """A file of every kind of row: plain, unplain but valid, invalid, duplicate NIKs (one
    of them the first to name an image), a possible duplicate person, a quoted line break."""
    (tmp_path / "foto").mkdir()
    (tmp_path / "ttd").mkdir()
    (tmp_path / "foto/p000.jpg").write_bytes(jpeg(240, 320))
    (tmp_path / "foto/p001.jpg").write_bytes(jpeg(240, 320, quality=50))
    (tmp_path / "ttd/s000.png").write_bytes(png(60, 20))
    rows = [person(n) for n in range(1, 40)]
    rows[5]["nama"] = "Zoë Santoso"
    rows[6]["alamat"] = " Jl. Padded "
    rows[7]["nik"] = "12345"
    rows[8]["nik"] = rows[2]["nik"]                   # duplicate of a plain row
    rows[9].update(nik=rows[3]["nik"], foto="foto/p001.jpg")  # duplicate, first with p001
    rows[10]["foto"] = "foto/p001.jpg"               # p001 found valid, never read yet
    rows[11]["nama"] = rows[1]["nama"].upper()        # same person as line 3, another NIK
    rows[12]["tanggal_lahir"] = "1999-08-18"
    rows[13]["alamat"] = "Jl.\nMultiline"
    rows[14]["kelurahan_kode"] = "32.76.01.9999"
    path = tmp_path / "prr.csv"
    _write_csv(path, rows)
    return path


@pytest.mark.parametrize("batch_size", [1, 4, 1000])
def test_validation_is_the_same_with_the_native_fast_path(messy, batch_size) -> None:
    def run(native: bool):
        with open_prr(messy, batch_size=batch_size, today=dt.date.today(), native=native) as r:
            errors = [e for batch in r for e in batch.errors]
            return r.valid, r.invalid, errors, r.holds

    with_native, without = run(True), run(False)
    assert with_native == without
    assert with_native[0] == 33 and with_native[3]


@pytest.mark.parametrize("batch_size", [1, 4, 1000])
def test_import_rows_are_the_same_with_the_native_fast_path(messy, batch_size) -> None:
    def rows(native: bool):
        out, errors, holds = [], [], None
        for item in prepared(messy, "rt", batch_size, native=native):
            if isinstance(item, End):
                holds = item.holds
                break
            errors += item.errors
            # The record id (first column, and the payload's first field) is numbered apart.
            out += [(line, row[1:5] + (row[5][2 + row[5][1]:], row[6]))
                    for line, row in zip(item.lines, item.rows, strict=True)]
        return out, sorted(errors), holds

    with_native, without = rows(True), rows(False)
    assert with_native == without
    lines = [line for line, _ in with_native[0]]
    assert lines == sorted(lines) and len(lines) == 33


def test_record_ids_are_unique_with_both_paths(messy) -> None:
    ids = [row[0] for item in prepared(messy, "rt", 4) if not isinstance(item, End)
           for row in item.rows]
    assert len(ids) == len(set(ids)) == 33


def test_limits_come_from_the_schema() -> None:
    # A name at the schema's limit is plain; one past it is the rules' to refuse.
    fast = _fast()
    checked = fast.check([_row({"nama": "A" * schema.NAMA_MAX}),
                          _row({"nama": "A" * (schema.NAMA_MAX + 1)})])
    assert checked is not None and checked.kel[0] >= 0 and checked.kel[1] == -1


def test_year_zero_is_left_to_the_rules_even_without_an_earliest_year() -> None:
    """With no earliest-year bound, a row born in year 0 reached the person key's shift of a
    negative ordinal (undefined behaviour; the UBSan driver's `year-zero` check stops there) and
    was taken. Python's dates start at year 1, so the rules refuse it: the fast path must
    leave it to them; year 1, the first date there is, it takes with the rules' key."""
    from cetak.native.prr import FastPath, Limits
    from cetak.prr.cardrecord import site_fields

    fast = FastPath(REGIONS.kecamatan_nik_prefixes, REGIONS.kelurahan_codes,
                    Limits(TODAY, 0, schema.NAMA_MAX, schema.TEMPAT_LAHIR_MAX,
                           schema.ALAMAT_MAX, schema.PEKERJAAN_MAX),
                    lambda code: site_fields(REGIONS, code))
    checked = fast.check([_row({"nik": "3276010101000001", "tanggal_lahir": "0000-01-01"}),
                          _row({"nik": "3276010101010001", "tanggal_lahir": "0001-01-01"})])
    assert checked is not None
    assert checked.kel[0] == -1
    assert checked.kel[1] >= 0
    assert checked.person_key[1] == text.person_key(GOOD["nama"], dt.date(1, 1, 1))
