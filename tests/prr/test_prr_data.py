"""Packaged region table and synthetic records."""

from __future__ import annotations

import filecmp
from pathlib import Path

from cetak.prr.regions import depok_kelurahan, load_regions
from cetak.prr.synthetic import generate_records, make_photo, synthetic_rows, write_prr
from tests.prr.prrdata import validate

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


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


def test_packaged_copies_match_shared_data() -> None:
    from importlib import resources

    if not SHARED.is_dir():
        return  # an installed copy without the founders' folder beside it
    for name in ("wilayah-kemendagri.csv", "depok-wilayah.csv"):
        with resources.as_file(resources.files("cetak") / "data" / name) as packaged:
            assert filecmp.cmp(packaged, SHARED / name, shallow=False)


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
