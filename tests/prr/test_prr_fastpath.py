"""The fast path for clean records must agree with the full rules on every input."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from cetak.prr.media import MemoryMedia
from cetak.prr.regions import load_regions
from cetak.prr.rules import RecordRules
from cetak.prr.schema import FIELDS
from tests.prr.prrdata import GOOD, TODAY, jpeg, png

MEDIA = MemoryMedia({"foto/p000.jpg": jpeg(240, 320), "ttd/s000.png": png(60, 20),
                     "foto/small.jpg": jpeg(100, 100)})

# Values near the edges of each rule, to mix into a good row.
EDGES = {
    "nik": [GOOD["nik"], "3276015708990001", "3276011708990000", "3276011708991001",
            "9999011708990001", "327601170899000"],
    "nama": ["Budi", "A" * 60, "A" * 61, "Budi ", " Budi", "Budi1", "'Budi", "Bu_di", "Zoë"],
    "tempat_lahir": ["Depok", "D" * 40, "D" * 41, "PELAJAR/MAHASISWA", "Depok2", "-"],
    "tanggal_lahir": ["1999-08-17", "1999-08-18", "2099-08-17", "1999-8-17", " 1999-08-17"],
    "jenis_kelamin": ["LAKI-LAKI", "PEREMPUAN", "laki-laki", ""],
    "golongan_darah": ["", "-", "AB", "C", " A"],
    "alamat": ["Jl. X", "x" * 100, "x" * 101, "Jl.\tX", " Jl. X", "Jl. X "],
    "rt": ["7", "007", "0", "1000", "", " 7"],
    "rw": ["12", "0012", "a"],
    "kelurahan_kode": ["32.76.01.1007", "32.76.01.9999", "32.76.01"],
    "agama": ["ISLAM", "Islam"],
    "status_perkawinan": ["KAWIN", "kawin"],
    "pekerjaan": ["GURU", "P" * 40, "P" * 41, "PELAJAR/MAHASISWA", "Depok", " GURU"],
    "kewarganegaraan": ["WNI", "WNA"],
    "kategori": ["BARU", "PENGGANTIAN", ""],
    "alasan": ["", "RUSAK", "x"],
    "status": ["PRR", "SFE"],
    "foto": ["foto/p000.jpg", "foto/small.jpg", "./foto/p000.jpg", "foto/none.jpg", ""],
    "tanda_tangan": ["", "ttd/s000.png", "foto/small.jpg", "ttd/none.png"],
}


def _row(changes: dict[str, str]) -> tuple[str, ...]:
    return tuple(changes.get(f, GOOD[f]) for f in FIELDS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={f: st.sampled_from(v)
                                                    for f, v in EDGES.items()}),
                min_size=1, max_size=12))
def test_fast_path_agrees_with_full_rules(rows: list[dict[str, str]]) -> None:
    fast = RecordRules(load_regions(), MEDIA, today=TODAY)
    full = RecordRules(load_regions(), MEDIA, today=TODAY)
    for line, changes in enumerate(rows, start=2):
        values = _row(changes)
        got_fast = fast.check(line, values)
        got_full = full._check_full(line, values)
        assert got_fast == got_full, changes


def test_full_rules_agree_with_today() -> None:
    rules = RecordRules(load_regions(), MEDIA, today=dt.date(1999, 8, 16))
    record, errors = rules.check(2, _row({}))
    assert record is None and [e.field for e in errors] == ["tanggal_lahir"]
