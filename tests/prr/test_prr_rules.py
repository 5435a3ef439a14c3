"""Every per-record rule of docs/prr-format.md: a failing and a passing case each."""

from __future__ import annotations

import pytest

from tests.prr.prrdata import GOOD, validate

# (field, bad value, expected reason fragment). Changes apply to GOOD; the error is on `field`.
FAILING = [
    ("nik", "", "required"),
    ("nik", "327601170899001", "16 digits"),
    ("nik", "32760117089900011", "16 digits"),
    ("nik", "327601170899000A", "16 digits"),
    ("nik", "３２７６０１１７０８９９０００１", "16 digits"),  # full-width digits
    ("nik", "9999011708990001", "kecamatan"),
    ("nik", "3276013208990001", "birth date"),   # day 32
    ("nik", "3276011713990001", "birth date"),   # month 13
    ("nik", "3276010008990001", "birth date"),   # day 00
    ("nik", "3276013002990001", "birth date"),   # 30 February
    ("nik", "3276011708990000", "0000"),
    ("nama", "", "required"),
    ("nama", "Budi Santoso 2", "digit"),
    ("nama", "Budi S\u0663ntoso", "digit"),         # Arabic-Indic digit
    ("nama", "Budi\u200bSantoso", "invisible"),      # zero-width space
    ("nama", "Budi \u202eosotnaS", "invisible"),     # right-to-left override
    ("nama", "Budi\tSantoso", "invisible"),
    ("nama", "Budi\x00Santoso", "invisible"),
    ("nama", "Budi\u00a0Santoso", "invisible"),      # no-break space
    ("nama", "Budi \u3164", "invisible"),            # Hangul filler, a "letter" that is blank
    ("nama", "Budi_Santoso", "only letters"),
    ("nama", "Budi @ Santoso", "only letters"),
    ("nama", "Budi \U0001f600", "only letters"),
    ("nama", "-.'", "no letter"),
    ("nama", "A" * 61, "longer than 60"),
    ("tempat_lahir", "", "required"),
    ("tempat_lahir", "Depok 2", "digit"),
    ("tempat_lahir", "D" * 41, "longer than 40"),
    ("tempat_lahir", "PELAJAR/MAHASISWA", "only letters"),   # a valid pekerjaan, not a place
    ("tanggal_lahir", "", "required"),
    ("tanggal_lahir", "17-08-1999", "YYYY-MM-DD"),
    ("tanggal_lahir", "1999-8-17", "YYYY-MM-DD"),
    ("tanggal_lahir", "1999-02-30", "not a real date"),
    ("tanggal_lahir", "2099-08-17", "future"),
    ("tanggal_lahir", "1899-08-17", "before 1900"),
    ("tanggal_lahir", "1999-08-18", "agree"),
    ("tanggal_lahir", "1989-08-17", "agree"),
    ("jenis_kelamin", "", "required"),
    ("jenis_kelamin", "L", "must be one of"),
    ("jenis_kelamin", "PEREMPUAN", "agree"),
    ("golongan_darah", "C", "must be one of"),
    ("golongan_darah", "o", "must be one of"),
    ("alamat", "", "required"),
    ("alamat", "Jl. Margonda\nNo. 1", "invisible"),
    ("alamat", "Jl. Margonda\u200e No. 1", "invisible"),
    ("alamat", "J" * 101, "longer than 100"),
    ("rt", "", "required"),
    ("rt", "1234", "1-3 digits"),
    ("rt", "7a", "1-3 digits"),
    ("rw", "-1", "1-3 digits"),
    ("kelurahan_kode", "", "required"),
    ("kelurahan_kode", "32.76.01.9999", "not an existing"),
    ("kelurahan_kode", "32.76.01", "not an existing"),      # a kecamatan, not a kelurahan
    ("agama", "", "required"),
    ("agama", "Islam", "must be one of"),
    ("status_perkawinan", "MENIKAH", "must be one of"),
    ("pekerjaan", "", "required"),
    ("pekerjaan", "P" * 41, "longer than 40"),
    ("pekerjaan", "GURU\x07", "invisible"),
    ("kewarganegaraan", "", "required"),
    ("kewarganegaraan", "WNA", "only WNI"),
    ("kewarganegaraan", "INDONESIA", "must be WNI"),
    ("kategori", "", "required"),
    ("kategori", "LAMA", "must be one of"),
    ("alasan", "RUSAK", "empty for BARU"),
    ("status", "", "required"),
    ("status", "SFE", "SFE"),
    ("status", "DUPLICATE", "DUPLICATE"),
    ("status", "ADJUDICATE", "ADJUDICATE"),
    ("status", "prr", "unknown status"),
    ("foto", "", "required"),
    ("foto", "foto/none.jpg", "not found"),
    ("tanda_tangan", "ttd/none.png", "not found"),
]

PASSING = [
    {},
    {"nik": "3276015708990001", "jenis_kelamin": "PEREMPUAN"},          # +40 for women
    {"nik": "3276012902000001", "tanggal_lahir": "2000-02-29"},         # leap day
    {"nik": "3276011708990002", "nama": "Siti Nur'aini, S.Pd."},
    {"nama": "Ketut Ayu-Lestari"},
    {"nama": "Zoë Ñañez"},                                              # letters beyond ASCII
    {"nama": "Zoe\u0308"},                                              # decomposed: NFC first
    {"nama": "A" * 60, "tempat_lahir": "B" * 40},
    {"nama": "  Budi Santoso  "},                                       # padding is stripped
    {"golongan_darah": ""}, {"golongan_darah": "AB"}, {"golongan_darah": "-"},
    {"alamat": "Jl. Raya Sawangan No. 12/3, Blok C-4 #5"},
    {"rt": "0"}, {"rt": "123"}, {"rw": "1"},
    {"agama": "KEPERCAYAAN TERHADAP TUHAN YME"},
    {"status_perkawinan": "CERAI MATI"},
    {"pekerjaan": "PELAJAR/MAHASISWA"},
    {"kategori": "PENGGANTIAN", "alasan": "RUSAK"},
    {"kategori": "PENGGANTIAN", "alasan": "PERUBAHAN_DATA"},
    {"tanda_tangan": ""},
    {"foto": "./foto/p000.jpg"},
    {"foto": "foto\\p000.jpg"},                                         # Windows separator
]


def _one(write_csv, **changes: str):  # noqa: ANN202
    return validate(write_csv([dict(GOOD, **changes)]))


def _warm(write_csv, **changes: str):  # noqa: ANN202
    # After a valid record with the same birth date, photo and text values the validator takes
    # its fast path; the bad value must be caught there too (line 3).
    warm = dict(GOOD, nik=GOOD["nik"][:12] + "0999", nama="Warm Up")
    row = dict(GOOD, **changes)
    if row["nik"] == warm["nik"]:
        warm["nik"] = GOOD["nik"][:12] + "0998"
    return validate(write_csv([warm, row]))


@pytest.mark.parametrize("warmed", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize(("field", "value", "reason"), FAILING,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(FAILING)])
def test_rule_fails(write_csv, field: str, value: str, reason: str, warmed: bool) -> None:
    result = (_warm if warmed else _one)(write_csv, **{field: value})
    assert (result.valid, result.invalid) == ((1, 1) if warmed else (0, 1))
    fields = {e.field: e.reason for e in result.errors}
    assert field in fields, result.errors
    assert reason in fields[field]
    assert all(e.line == (3 if warmed else 2) for e in result.errors)


@pytest.mark.parametrize("warmed", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("changes", PASSING, ids=[str(i) for i in range(len(PASSING))])
def test_rule_passes(write_csv, changes: dict[str, str], warmed: bool) -> None:
    result = (_warm if warmed else _one)(write_csv, **changes)
    assert result.errors == []
    assert result.valid == (2 if warmed else 1)


def test_penggantian_needs_a_reason(write_csv) -> None:
    for alasan, reason in (("", "required for PENGGANTIAN"), ("BOSAN", "must be one of")):
        result = _one(write_csv, kategori="PENGGANTIAN", alasan=alasan)
        assert [(e.field, reason in e.reason) for e in result.errors] == [("alasan", True)]


def test_every_bad_field_is_reported_once(write_csv) -> None:
    result = _one(write_csv, nama="X1", rt="", agama="", status="SFE")
    assert sorted(e.field for e in result.errors) == ["agama", "nama", "rt", "status"]


def test_reasons_never_hold_personal_data(write_csv) -> None:
    row = dict(GOOD, nik="3276011708990000", nama="Rahasia 9", alamat="x" * 200,
               tanggal_lahir="1999-08-18", kewarganegaraan="PRIBADI")
    result = validate(write_csv([row]))
    assert result.errors
    for e in result.errors:
        for secret in ("3276011708990000", "Rahasia", "PRIBADI", "xxxx"):
            assert secret not in e.reason


def test_record_values(write_csv) -> None:
    rec = _one(write_csv, nama="  Budi  Santoso ", golongan_darah="").records[0]
    assert rec.nama == "Budi  Santoso"
    assert rec.golongan_darah == "-"
    assert rec.tanggal_lahir.isoformat() == "1999-08-17"
    assert rec.foto == "foto/p000.jpg"
    assert "Budi" not in repr(rec) and GOOD["nik"] not in repr(rec)


def test_absent_optional_columns_read_as_empty(write_csv) -> None:
    from cetak.prr.schema import FIELDS

    fields = tuple(f for f in FIELDS if f not in ("golongan_darah", "alasan", "tanda_tangan"))
    result = validate(write_csv([GOOD], fields=fields))
    assert result.valid == 1
    assert result.records[0].tanda_tangan == ""
