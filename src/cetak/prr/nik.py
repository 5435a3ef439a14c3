"""NIK (Nomor Induk Kependudukan) rules: PPRRSS DDMMYY NNNN.

Digits 1-6 are the kecamatan code, 7-12 the birth date (40 added to DD for women), 13-16 a
serial that is never 0000.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from cetak.prr.regions import RegionTable

_SIXTEEN_DIGITS = re.compile(r"[0-9]{16}")
FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True, slots=True)
class NikParts:
    """The pieces of a well-formed NIK."""

    kecamatan: str   # six digits, PPRRSS
    day: int         # real day of month (40 already taken off for women)
    month: int
    yy: int          # two-digit year
    female: bool
    serial: str


def birth_code(birth: dt.date, female: bool) -> str:
    """Digits 7-12 of the NIK of someone born on `birth`."""
    day = birth.day + (FEMALE_DAY_OFFSET if female else 0)
    return f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"


@functools.lru_cache(maxsize=100_000)
def birth_code_problem(code: str) -> str | None:
    """Why six NIK digits DDMMYY are not a possible birth date, or None (cached: few values)."""
    day, month, yy = int(code[0:2]), int(code[2:4]), int(code[4:6])
    if day > FEMALE_DAY_OFFSET:
        day -= FEMALE_DAY_OFFSET
    if not 1 <= month <= 12 or day < 1:
        return "digits 7-12 are not a birth date DDMMYY"
    # Two-digit year: the date must exist in the 1900s or the 2000s (29 February).
    for century in (1900, 2000):
        try:
            dt.date(century + yy, month, day)
            return None
        except ValueError:
            continue
    return "digits 7-12 are not a birth date DDMMYY"


# What Excel writes into a CSV for a 16-digit number in a number cell ("3,27601E+15" under
# an Indonesian locale): the digits are gone, only the sheet's owner can put them back.
_EXCEL_NUMBER = re.compile(r"[0-9](?:[.,][0-9]*)?[eE]\+?[0-9]{1,3}")
EXCEL_NUMBER = ("written as a shortened number (Excel keeps only 15 digits of a number "
                "cell): format the nik column as Text, type the NIK again and export again")


def nik_problem(nik: str, regions: RegionTable) -> str | None:
    """Why `nik` breaks the NIK rules, or None. Never echoes the NIK."""
    if not nik:
        return "required"
    if not _SIXTEEN_DIGITS.fullmatch(nik):
        if _EXCEL_NUMBER.fullmatch(nik):
            return EXCEL_NUMBER
        return "must be 16 digits"
    if not regions.is_kecamatan_nik_prefix(nik[:6]):
        return "digits 1-6 are not an existing kecamatan code"
    problem = birth_code_problem(nik[6:12])
    if problem:
        return problem
    if nik[12:] == "0000":
        return "serial (digits 13-16) is 0000"
    return None


def parse_nik(nik: str, regions: RegionTable) -> NikParts | None:
    """The parts of a valid NIK, or None when it breaks a rule."""
    if nik_problem(nik, regions) is not None:
        return None
    day = int(nik[6:8])
    female = day > FEMALE_DAY_OFFSET
    return NikParts(
        kecamatan=nik[:6],
        day=day - FEMALE_DAY_OFFSET if female else day,
        month=int(nik[8:10]),
        yy=int(nik[10:12]),
        female=female,
        serial=nik[12:],
    )
