"""The national region table (kode wilayah Kemendagri), loaded once per process on first use.

The packaged CSV is 3.5 MB (91,600 rows); parsing it takes a few tens of milliseconds, so it is
read lazily (importing this module reads nothing) and cached: every validator shares one table.
Names are not unique ("Curug" is in two Depok kecamatan): everything is keyed by code.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from cetak.prr.errors import RegionDataError

# cetak/data is a plain folder of package data (not a package): resolve it under "cetak".
_DATA_PACKAGE = "cetak"
_DATA_FOLDER = "data"
NATIONAL_FILE = "wilayah-kemendagri.csv"
DEPOK_FILE = "depok-wilayah.csv"
DEPOK_CODE = "32.76"


@dataclass(frozen=True, slots=True)
class Kelurahan:
    """One kelurahan/desa with the names of the regions above it, as in the table (not capitals)."""

    code: str            # PP.RR.SS.NNNN
    name: str
    kecamatan_code: str  # PP.RR.SS
    kecamatan: str
    kabupaten_kota: str
    provinsi: str


class RegionTable:
    """Lookups by code over the rows (code, level, name) of a kode wilayah table."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        names: dict[str, str] = {}
        nik_prefixes: set[str] = set()
        kelurahan: set[str] = set()
        for code, level, name in rows:
            names[code] = name
            if level == "kecamatan":
                # A NIK carries the kecamatan code without dots: 32.76.01 -> 327601.
                nik_prefixes.add(code.replace(".", ""))
            elif len(code) == 13:
                kelurahan.add(code)
        self._names = names
        self._nik_prefixes = frozenset(nik_prefixes)
        self._kelurahan = frozenset(kelurahan)

    def __len__(self) -> int:
        return len(self._names)

    def is_kecamatan_nik_prefix(self, digits: str) -> bool:
        """True when `digits` (the first six digits of a NIK) is an existing kecamatan code."""
        return digits in self._nik_prefixes

    @property
    def kecamatan_nik_prefixes(self) -> frozenset[str]:
        """Every kecamatan code without dots (for hot loops that test membership directly)."""
        return self._nik_prefixes

    @property
    def kelurahan_codes(self) -> frozenset[str]:
        """Every kelurahan/desa code PP.RR.SS.NNNN."""
        return self._kelurahan

    def name(self, code: str) -> str | None:
        """Name of any region by its dotted code, or None."""
        return self._names.get(code)

    def has_kelurahan(self, code: str) -> bool:
        """True for an existing kelurahan/desa code PP.RR.SS.NNNN."""
        return code in self._kelurahan

    def kelurahan(self, code: str) -> Kelurahan | None:
        """The kelurahan/desa with that code and its kecamatan, kabupaten/kota and provinsi."""
        if not self.has_kelurahan(code):
            return None
        kec, kab, prov = code[:8], code[:5], code[:2]
        return Kelurahan(
            code=code,
            name=self._names[code],
            kecamatan_code=kec,
            kecamatan=self._names.get(kec, ""),
            kabupaten_kota=self._names.get(kab, ""),
            provinsi=self._names.get(prov, ""),
        )

    def kelurahan_under(self, prefix: str) -> list[Kelurahan]:
        """Every kelurahan/desa whose code starts with `prefix` (e.g. "32.76."), by code."""
        found = [self.kelurahan(code) for code in self._kelurahan if code.startswith(prefix)]
        return sorted((k for k in found if k is not None), key=lambda k: k.code)


def _read_rows(filename: str) -> list[tuple[str, str, str]]:
    try:
        resource = resources.files(_DATA_PACKAGE).joinpath(_DATA_FOLDER, filename)
        text = resource.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ModuleNotFoundError) as exc:
        raise RegionDataError(f"cannot read packaged {filename}: {exc}") from exc
    reader = csv.reader(io.StringIO(text))
    if next(reader, None) != ["code", "level", "name"]:
        raise RegionDataError(f"packaged {filename} lacks the header code,level,name")
    rows = []
    for row in reader:
        if len(row) != 3:
            raise RegionDataError(f"packaged {filename}: malformed row {reader.line_num}")
        rows.append((row[0], row[1], row[2]))
    return rows


@functools.cache
def load_regions() -> RegionTable:
    """The national table, parsed on first call and shared by the whole process."""
    return RegionTable(_read_rows(NATIONAL_FILE))


@functools.cache
def depok_kelurahan() -> tuple[Kelurahan, ...]:
    """The 63 kelurahan of Kota Depok (the demo's sites), by code, with their kecamatan."""
    table = load_regions()
    codes = [code for code, level, _ in _read_rows(DEPOK_FILE) if level == "kelurahan"]
    found = [table.kelurahan(code) for code in codes]
    missing = [c for c, k in zip(codes, found, strict=True) if k is None]
    if missing:
        raise RegionDataError(f"Depok kelurahan missing from the national table: {missing}")
    return tuple(sorted((k for k in found if k is not None), key=lambda k: k.code))
