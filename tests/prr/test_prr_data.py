"""Packaged region table and synthetic records."""

from __future__ import annotations

from cetak.prr.regions import depok_kelurahan, load_regions
from cetak.prr.synthetic import generate_records, make_photo, synthetic_rows, write_prr
from tests.prr.prrdata import validate


def test_region_table() -> None:
    table = load_regions()
    assert table is load_regions()  # cached per process
    assert table.is_kecamatan_nik_prefix("327601")
    assert not table.is_kecamatan_nik_prefix("3276")
    assert not table.is_kecamatan_nik_prefix("327699")
    kel = table.kelurahan("32.76.02.1008")
    assert kel is not None
    assert (kel.name, kel.kecamatan, kel.kabupaten_kota, kel.provinsi) == (
        "Curug", "Cimanggis", "Kota Depok", "Jawa Barat")
    assert table.kelurahan("32.76.02") is None
    assert table.name("12.07.28.1007") == "Lubuk Pakam I,II"  # quoted comma in the CSV


def test_depok_kelurahan() -> None:
    depok = depok_kelurahan()
    assert len(depok) == 63
    assert len({k.kecamatan_code for k in depok}) == 11
    curug = [k for k in depok if k.name == "Curug"]
    assert {k.kecamatan for k in curug} == {"Cimanggis", "Bojongsari"}


def test_packaged_tables_are_the_recorded_copies() -> None:
    """The packaged tables are byte for byte the ones their README records (by SHA-256), with
    the counts per level that README and docs/prr-format.md state."""
    import csv
    import hashlib
    import io
    import re
    from collections import Counter
    from importlib import resources

    data = resources.files("cetak") / "data"
    readme = (data / "README.md").read_text(encoding="utf-8")
    recorded = dict(re.findall(r"\| `([\w.-]+\.csv)` \| `([0-9a-f]{64})` \|", readme))
    assert set(recorded) == {"wilayah-kemendagri.csv", "depok-wilayah.csv"}
    for name, digest in recorded.items():
        assert hashlib.sha256((data / name).read_bytes()).hexdigest() == digest, name
    rows = csv.reader(io.StringIO((data / "wilayah-kemendagri.csv").read_text("utf-8")))
    next(rows)
    levels = Counter(row[1] for row in rows)
    assert levels == {"provinsi": 38, "kabupaten_kota": 514, "kecamatan": 7285,
                      "kelurahan_desa": 83762}


def test_synthetic_is_deterministic_and_valid(tmp_path) -> None:
    a = list(synthetic_rows(300, seed=7))
    assert a == list(synthetic_rows(300, seed=7))
    assert a != list(synthetic_rows(300, seed=8))
    assert make_photo(7, 1) == make_photo(7, 1)
    path = write_prr(tmp_path / "csv", 300, seed=7)
    result = validate(path)
    assert (result.valid, result.invalid, result.holds) == (300, 0, [])
    kinds = {r.kategori for r in result.records}
    assert kinds == {"BARU", "PENGGANTIAN"}
    assert all(r.alasan for r in result.records if r.kategori == "PENGGANTIAN")
    assert {r.jenis_kelamin for r in result.records} == {"LAKI-LAKI", "PEREMPUAN"}


def test_synthetic_jsonl_and_sites(tmp_path) -> None:
    sites = ["32.76.03.1001", "32.76.02.1008"]
    path = write_prr(tmp_path, 50, sites=sites, seed=1, fmt="jsonl")
    result = validate(path)
    assert (result.format, result.valid) == ("jsonl", 50)
    table = load_regions()
    for rec in result.records:
        assert rec.kelurahan_kode in sites
        kel = table.kelurahan(rec.kelurahan_kode)
        assert rec.nik[:6] == kel.kecamatan_code.replace(".", "")


def test_generate_records_in_memory() -> None:
    from cetak.prr.cardrecord import to_card_record

    records = list(generate_records(20, seed=3))
    assert [r.line for r in records] == list(range(2, 22))
    assert len({r.nik for r in records}) == 20
    card = to_card_record(records[0], load_regions())
    assert card.foto.startswith(b"\xff\xd8")
