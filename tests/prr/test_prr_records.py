"""Across records (duplicate NIK, possible duplicate person), NIK properties, card records."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from cetak.prr import nik as nikrules
from cetak.prr.cardrecord import to_card_record
from cetak.prr.regions import load_regions
from cetak.prr.text import name_key, person_key
from tests.prr.prrdata import GOOD, person, validate

REGIONS = load_regions()
KECAMATAN = sorted(k.kecamatan_code.replace(".", "") for k in REGIONS.kelurahan_under("32.7"))


def test_duplicate_nik_second_occurrence_is_invalid(write_csv) -> None:
    rows = [person(1), person(2), dict(person(3), nik=person(1)["nik"]), person(4)]
    result = validate(write_csv(rows))
    assert (result.valid, result.invalid) == (3, 1)
    assert [(e.line, e.field) for e in result.errors] == [(4, "nik")]
    assert "earlier line" in result.errors[0].reason


def test_invalid_first_occurrence_does_not_claim_the_nik(write_csv) -> None:
    rows = [person(1, rt="x"), person(1)]
    result = validate(write_csv(rows))
    assert (result.valid, result.invalid) == (1, 1)


def test_same_person_under_different_niks_is_held_not_invalid(write_csv) -> None:
    rows = [person(1, nama="Siti Nur'aini"), person(2), person(3, nama="  siti  NURAINI"),
            person(4, nama="Siti-Nuraini."), person(5, nama="Siti Nuraini",
                                                    nik="3276011808990005",
                                                    tanggal_lahir="1999-08-18")]
    result = validate(write_csv(rows))
    assert (result.valid, result.invalid) == (5, 0)
    assert [h.lines for h in result.holds] == [(2, 4, 5)]
    assert result.holds[0].niks == (person(1)["nik"], person(3)["nik"], person(4)["nik"])
    assert "Siti" not in repr(result.holds[0])


def test_name_key() -> None:
    assert name_key("Siti Nur'aini, S.Pd.") == name_key("SITI  NURAINI S PD")
    assert name_key("Budi") != name_key("Budu")


def test_person_key_is_stable_and_compares_name_and_date() -> None:
    import datetime as dt

    day = dt.date(1990, 5, 17)
    # Stored with each record and compared across imports: the value may never change.
    assert person_key("Siti Nur'aini, S.Pd.", day) == PERSON_KEY_1990_05_17
    assert person_key("SITI  NURAINI S PD", day) == PERSON_KEY_1990_05_17
    assert person_key("Siti Nuraini", day) != PERSON_KEY_1990_05_17
    assert person_key("Siti Nur'aini, S.Pd.", dt.date(1990, 5, 18)) != PERSON_KEY_1990_05_17
    assert 0 < person_key("Z" * 60, dt.date(9999, 12, 31)) < 2**63  # a BIGINT


PERSON_KEY_1990_05_17 = 3120741200202302


NIK_PARTS = st.tuples(
    st.sampled_from(KECAMATAN),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 1, 1)),
    st.booleans(),
    st.integers(min_value=1, max_value=9999),
)


@given(NIK_PARTS)
def test_nik_roundtrip(parts) -> None:  # noqa: ANN001
    kec, birth, female, serial = parts
    nik = f"{kec}{nikrules.birth_code(birth, female)}{serial:04d}"
    assert nikrules.nik_problem(nik, REGIONS) is None
    parsed = nikrules.parse_nik(nik, REGIONS)
    assert parsed is not None
    assert (parsed.kecamatan, parsed.day, parsed.month, parsed.yy, parsed.female) == (
        kec, birth.day, birth.month, birth.year % 100, female)
    assert int(nik[6:8]) > 40 if female else int(nik[6:8]) <= 31


@given(NIK_PARTS)
def test_nik_serial_0000_is_refused(parts) -> None:  # noqa: ANN001
    kec, birth, female, _ = parts
    nik = f"{kec}{nikrules.birth_code(birth, female)}0000"
    assert "0000" in nikrules.nik_problem(nik, REGIONS)


@given(st.text(max_size=20).filter(lambda s: not (len(s) == 16 and s.isascii()
                                                  and s.isdigit())))
def test_nik_not_16_ascii_digits_is_refused(text: str) -> None:
    assert nikrules.nik_problem(text, REGIONS) in ("required", "must be 16 digits",
                                                   nikrules.EXCEL_NUMBER)


@given(NIK_PARTS, st.integers(min_value=32, max_value=40) | st.integers(72, 99))
def test_nik_impossible_day_is_refused(parts, day: int) -> None:  # noqa: ANN001
    kec, birth, _, serial = parts
    nik = f"{kec}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
    assert "birth date" in nikrules.nik_problem(nik, REGIONS)


@given(st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_nik_unknown_kecamatan_is_refused(prefix: str) -> None:
    nik = f"{prefix}1708990001"
    expected = None if REGIONS.is_kecamatan_nik_prefix(prefix) else \
        "digits 1-6 are not an existing kecamatan code"
    assert nikrules.nik_problem(nik, REGIONS) == expected


def test_card_record(write_csv) -> None:
    from cetak.api.v1.common_pb2 import PENGGANTIAN

    row = dict(GOOD, nama="Budi Santoso", rt="7", rw="12", kategori="PENGGANTIAN",
               alasan="HILANG", golongan_darah="")
    rec = validate(write_csv([row])).records[0]
    card = to_card_record(rec, REGIONS, record_id="r-1")
    assert (card.record_id, card.nik, card.nama, card.tempat_lahir) == (
        "r-1", GOOD["nik"], "BUDI SANTOSO", "DEPOK")
    assert (card.rt, card.rw, card.golongan_darah) == ("007", "012", "-")
    assert (card.kelurahan, card.kecamatan, card.kabupaten_kota, card.provinsi) == (
        "DEPOK JAYA", "PANCORAN MAS", "KOTA DEPOK", "JAWA BARAT")
    assert (card.kategori, card.alasan, card.issue_city) == (PENGGANTIAN, "HILANG", "DEPOK")
    assert card.alamat == "JL. MARGONDA RAYA NO. 100"
    assert card.foto.startswith(b"\xff\xd8\xff") and card.tanda_tangan.startswith(b"\x89PNG")


def test_card_record_from_zip_after_the_run_closed(tmp_path, media) -> None:
    from tests.prr.prrdata import csv_text, write_zip

    files = {"prr.csv": csv_text([GOOD]), **media}
    rec = validate(write_zip(tmp_path / "p.zip", files)).records[0]
    assert to_card_record(rec, REGIONS).foto == media["foto/p000.jpg"]


def test_card_record_when_the_photo_vanished(write_csv, folder) -> None:
    import pytest

    from cetak.prr.errors import MediaUnavailable

    rec = validate(write_csv([GOOD])).records[0]
    (folder / "foto" / "p000.jpg").unlink()
    with pytest.raises(MediaUnavailable, match="foto"):
        to_card_record(rec, REGIONS)


def _upb_payload(rec, record_id: str, foto_sha: str, ttd_sha: str) -> bytes:
    card = to_card_record(rec, REGIONS, record_id=record_id, with_images=False)
    card.foto_sha256, card.tanda_tangan_sha256 = foto_sha, ttd_sha
    return card.SerializeToString()


def test_card_record_encoder_matches_upb_byte_for_byte(write_csv) -> None:
    from cetak.prr.cardrecord import CardRecordEncoder

    rows = [
        GOOD,
        person(11, kategori="PENGGANTIAN", alasan="HILANG", golongan_darah="", rt="0",
               tanda_tangan=""),
        # Not ASCII; ß becomes SS in capitals (the text grows); a long address: lengths of
        # two varint bytes once UTF-8 encoded.
        person(2, nama="Siti Nurhaliza Ḿaßa", tempat_lahir="Bekasi Éé",
               alamat="Jl. " + "Ñ" * 90, pekerjaan="Karyawan swasta"),
        person(3, kategori="PENGGANTIAN", alasan="PERUBAHAN_DATA", rw="123",
               kelurahan_kode="32.76.01.1006", golongan_darah="AB"),
        person(4),
    ]
    recs = validate(write_csv(rows)).records
    assert len(recs) == len(rows)
    encoder = CardRecordEncoder(REGIONS)
    for round_ in range(2):  # the second round comes from the cached pieces
        for i, rec in enumerate(recs):
            record_id = f"r{round_}{i:07x}" + ("f" * 200 if i == 2 else "")
            foto, ttd = "a" * 64, ("b" * 64 if rec.tanda_tangan else "")
            assert encoder.encode(rec, record_id, foto, ttd) == \
                _upb_payload(rec, record_id, foto, ttd)
    assert encoder.encode(recs[0], "", "", "") == _upb_payload(recs[0], "", "", "")


def test_card_record_encoder_unknown_kelurahan(write_csv) -> None:
    import dataclasses

    import pytest

    from cetak.prr.cardrecord import CardRecordEncoder
    from cetak.prr.errors import RegionDataError

    rec = dataclasses.replace(validate(write_csv([GOOD])).records[0],
                              kelurahan_kode="99.99.99.9999")
    with pytest.raises(RegionDataError):
        CardRecordEncoder(REGIONS).encode(rec, "r", "a" * 64, "")
