"""Printed values: how each template field is formatted from a CardRecord.

Every formatter returns the text exactly as printed (capitals, e-KTP date and RT/RW forms).
Errors name the record field a value came from, never the value itself.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from cetak.card.errors import FieldInvalid

# A CardRecord-like object: anything with the proto's attribute names works (tests, previews).
Record = object


@dataclass(frozen=True)
class FieldDef:
    source: str                          # the record field named in errors
    format: Callable[[Record], str]
    required: bool = True


def clean(record: Record, name: str, required: bool = True) -> str:
    """The field's text in capitals, refusing control and invisible characters."""
    value = str(getattr(record, name, "") or "").strip()
    if not value:
        if required:
            raise FieldInvalid(name, "missing")
        return ""
    for char in value:
        # Cc control, Cf format (zero-width, bidi overrides), Co/Cs/Cn: nothing printable.
        if unicodedata.category(char).startswith("C"):
            raise FieldInvalid(name, "contains control or invisible characters")
    return " ".join(value.upper().split())


def birth_date(record: Record) -> dt.date:
    return parse_date(record, "tanggal_lahir")


def parse_date(record: Record, name: str) -> dt.date:
    text = clean(record, name)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise FieldInvalid(name, "not a YYYY-MM-DD date") from exc


def _date_text(record: Record, name: str) -> str:
    return parse_date(record, name).strftime("%d-%m-%Y")


def _nik(record: Record) -> str:
    nik = clean(record, "nik")
    if len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        raise FieldInvalid("nik", "must be 16 digits")
    return nik


def _three_digits(record: Record, name: str) -> str:
    value = clean(record, name)
    if not (1 <= len(value) <= 3 and value.isascii() and value.isdigit()):
        raise FieldInvalid(name, "must be 1-3 digits")
    return f"{int(value):03d}"


def _tempat_tgl_lahir(record: Record) -> str:
    return f"{clean(record, 'tempat_lahir')}, {_date_text(record, 'tanggal_lahir')}"


def _provinsi(record: Record) -> str:
    value = clean(record, "provinsi")
    return value if value.startswith("PROVINSI ") else f"PROVINSI {value}"


def _kabupaten_kota(record: Record) -> str:
    value = clean(record, "kabupaten_kota")
    if value.startswith(("KOTA ", "KABUPATEN ", "KAB. ")):
        return value
    # Kemendagri codes: a regency/city code of 71 or more is a kota (city).
    code = str(getattr(record, "kelurahan_kode", "") or "").split(".")
    nik = str(getattr(record, "nik", "") or "")
    digits = code[1] if len(code) > 1 else nik[2:4]
    if digits.isdigit() and int(digits) >= 71:
        return f"KOTA {value}"
    return f"KABUPATEN {value}"


def _golongan_darah(record: Record) -> str:
    return clean(record, "golongan_darah", required=False) or "-"


def _plain(name: str) -> FieldDef:
    return FieldDef(source=name, format=lambda record: clean(record, name))


FIELDS: dict[str, FieldDef] = {
    "provinsi_header": FieldDef("provinsi", _provinsi),
    "kabupaten_kota_header": FieldDef("kabupaten_kota", _kabupaten_kota),
    "nik": FieldDef("nik", _nik),
    "nama": _plain("nama"),
    "tempat_tgl_lahir": FieldDef("tempat_lahir", _tempat_tgl_lahir),
    "jenis_kelamin": _plain("jenis_kelamin"),
    "golongan_darah": FieldDef("golongan_darah", _golongan_darah, required=False),
    "alamat": _plain("alamat"),
    "rt_rw": FieldDef("rt", lambda r: f"{_three_digits(r, 'rt')}/{_three_digits(r, 'rw')}"),
    "kelurahan": _plain("kelurahan"),
    "kecamatan": _plain("kecamatan"),
    "agama": _plain("agama"),
    "status_perkawinan": _plain("status_perkawinan"),
    "pekerjaan": _plain("pekerjaan"),
    "kewarganegaraan": _plain("kewarganegaraan"),
    "issue_city": _plain("issue_city"),
    "issue_date": FieldDef("issue_date", lambda r: _date_text(r, "issue_date")),
}


def format_field(record: Record, name: str) -> str:
    """The printed text of template field `name` for this record."""
    return FIELDS[name].format(record)
