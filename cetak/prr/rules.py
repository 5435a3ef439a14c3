"""Every per-record rule of shared/prr-format.md, applied to one row of field values.

Speed matters (a million records must validate well within a minute), so values that repeat
across records (dates, birth codes, photo paths) are checked once and cached, and ASCII text
takes a regular-expression fast path. Reasons name what is wrong, never the value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from cetak.prr import nik as nikrules
from cetak.prr import schema, text
from cetak.prr.errors import UnsafePath
from cetak.prr.images import image_problem
from cetak.prr.media import MediaSource, safe_relative_path
from cetak.prr.record import PrrRecord
from cetak.prr.regions import RegionTable

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RT_RW = re.compile(r"[0-9]{1,3}")
_MEDIA_CACHE_MAX = 4096

(I_NIK, I_NAMA, I_TEMPAT, I_TANGGAL, I_JK, I_GOLDAR, I_ALAMAT, I_RT, I_RW, I_KEL, I_AGAMA,
 I_KAWIN, I_KERJA, I_WN, I_KATEGORI, I_ALASAN, I_STATUS, I_FOTO, I_TTD) = range(19)
assert len(schema.FIELDS) == 19 and schema.FIELDS[I_TTD] == "tanda_tangan"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem: the physical line the record starts on, the field, and what is wrong."""

    line: int
    field: str
    reason: str


def _enum_problem(value: str, allowed: frozenset[str]) -> str | None:
    if not value:
        return "required"
    if value in allowed:
        return None
    return "must be one of " + ", ".join(sorted(allowed))


class RecordRules:
    """Checks rows against the rules; one instance per input (it caches per input)."""

    def __init__(self, regions: RegionTable, media: MediaSource | None,
                 limits: schema.Limits = schema.DEFAULT_LIMITS,
                 today: dt.date | None = None) -> None:
        self._regions = regions
        self._media = media
        self._limits = limits
        self._today = today or dt.date.today()
        self._dates: dict[str, tuple[dt.date | None, str | None]] = {}
        self._media_checks: dict[tuple[str, str], tuple[str, str | None]] = {}

    def check(self, line: int, v: tuple[str, ...]) -> tuple[PrrRecord | None, list[FieldError]]:
        """The record, or None and the errors (at most one per field) of the row `v`."""
        v = tuple([s.strip(" ") for s in v])
        errors: list[FieldError] = []

        def bad(index: int, reason: str) -> None:
            errors.append(FieldError(line, schema.FIELDS[index], reason))

        nik = v[I_NIK]
        nik_problem = nikrules.nik_problem(nik, self._regions)
        if nik_problem:
            bad(I_NIK, nik_problem)

        nama, tempat = v[I_NAMA], v[I_TEMPAT]
        if problem := text.name_problem(nama, schema.NAMA_MAX):
            bad(I_NAMA, problem)
        if problem := text.name_problem(tempat, schema.TEMPAT_LAHIR_MAX):
            bad(I_TEMPAT, problem)

        birth, problem = self._date(v[I_TANGGAL])
        if problem:
            bad(I_TANGGAL, problem)

        jk = v[I_JK]
        if problem := _enum_problem(jk, schema.JENIS_KELAMIN):
            bad(I_JK, problem)
        elif birth is not None and nik_problem is None:
            # Agreement with the NIK: the date part without the +40, then the sex.
            code = nik[6:12]
            day = int(code[:2])
            female_by_nik = day > nikrules.FEMALE_DAY_OFFSET
            if nikrules.birth_code(birth, female_by_nik) != code:
                bad(I_TANGGAL, "does not agree with the NIK birth date")
            if female_by_nik != (jk == "PEREMPUAN"):
                bad(I_JK, "does not agree with the NIK (day above 40 means PEREMPUAN)")

        goldar = v[I_GOLDAR] or "-"
        if goldar not in schema.GOLONGAN_DARAH:
            bad(I_GOLDAR, "must be one of A, B, AB, O, - or empty")

        if problem := text.free_text_problem(v[I_ALAMAT], schema.ALAMAT_MAX):
            bad(I_ALAMAT, problem)
        for index in (I_RT, I_RW):
            if not _RT_RW.fullmatch(v[index]):
                bad(index, "required" if not v[index] else "must be 1-3 digits")

        kel = v[I_KEL]
        if not kel:
            bad(I_KEL, "required")
        elif not self._regions.has_kelurahan(kel):
            bad(I_KEL, "not an existing kelurahan/desa code PP.RR.SS.NNNN")

        for index, allowed in ((I_AGAMA, schema.AGAMA), (I_KAWIN, schema.STATUS_PERKAWINAN),
                               (I_KATEGORI, schema.KATEGORI)):
            if problem := _enum_problem(v[index], allowed):
                bad(index, problem)
        if problem := text.free_text_problem(v[I_KERJA], schema.PEKERJAAN_MAX):
            bad(I_KERJA, problem)

        wn = v[I_WN]
        if wn != "WNI":
            bad(I_WN, "required" if not wn else
                "only WNI is accepted in a print drive" if wn.startswith("WNA") else
                "must be WNI")

        kategori, alasan = v[I_KATEGORI], v[I_ALASAN]
        if kategori == "PENGGANTIAN":
            if problem := _enum_problem(alasan, schema.ALASAN):
                bad(I_ALASAN, "required for PENGGANTIAN" if not alasan else problem)
        elif kategori == "BARU" and alasan:
            bad(I_ALASAN, "must be empty for BARU")

        status = v[I_STATUS]
        if status != schema.PRINTABLE_STATUS:
            bad(I_STATUS, "required" if not status else
                status if status in schema.KNOWN_STATUSES else "unknown status (not PRR)")

        foto = self._image(I_FOTO, v[I_FOTO], self._limits.foto_max_bytes, True)
        if foto[1]:
            bad(I_FOTO, foto[1])
        ttd: tuple[str, str | None] = ("", None)
        if v[I_TTD]:
            ttd = self._image(I_TTD, v[I_TTD], self._limits.tanda_tangan_max_bytes, False)
            if ttd[1]:
                bad(I_TTD, ttd[1])

        if errors:
            return None, errors
        assert birth is not None
        return PrrRecord(
            line, nik, text.normalise(nama), text.normalise(tempat), birth, jk, goldar,
            text.normalise(v[I_ALAMAT]), v[I_RT], v[I_RW], kel, v[I_AGAMA], v[I_KAWIN],
            text.normalise(v[I_KERJA]), wn, kategori, alasan, status, foto[0], ttd[0],
            self._media,
        ), errors

    def _date(self, value: str) -> tuple[dt.date | None, str | None]:
        cached = self._dates.get(value)
        if cached is None:
            cached = self._dates[value] = self._parse_date(value)
            if len(self._dates) > 200_000:  # hostile input: a distinct junk value per line
                self._dates.clear()
        return cached

    def _parse_date(self, value: str) -> tuple[dt.date | None, str | None]:
        if not value:
            return None, "required"
        if not _ISO_DATE.fullmatch(value):
            return None, "must be a date YYYY-MM-DD"
        try:
            date = dt.date.fromisoformat(value)
        except ValueError:
            return None, "not a real date"
        if date > self._today:
            return None, "in the future"
        if date.year < schema.EARLIEST_BIRTH_YEAR:
            return None, f"before {schema.EARLIEST_BIRTH_YEAR}"
        return date, None

    def _image(self, index: int, path: str, max_bytes: int,
               is_photo: bool) -> tuple[str, str | None]:
        """(normalised key, problem) for an image path; results cached per distinct path."""
        cache_key = (schema.FIELDS[index], path)
        cached = self._media_checks.get(cache_key)
        if cached is not None:
            return cached
        result = self._check_image(path, max_bytes, is_photo)
        if len(self._media_checks) >= _MEDIA_CACHE_MAX:
            # Drop the oldest entry: real exports have one photo per record, so old paths
            # rarely come back; synthetic ones reuse a handful.
            del self._media_checks[next(iter(self._media_checks))]
        self._media_checks[cache_key] = result
        return result

    def _check_image(self, path: str, max_bytes: int, is_photo: bool) -> tuple[str, str | None]:
        if not path:
            return "", "required"
        try:
            key = safe_relative_path(path)
        except UnsafePath as exc:
            return "", exc.reason
        if self._media is None:
            return key, "no folder or archive to read images from"
        limits = self._limits
        try:
            fp, size = self._media.open(key)
        except UnsafePath as exc:
            return key, exc.reason
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return key, "file not found"
        except (OSError, NotImplementedError, ValueError) as exc:
            return key, f"file cannot be read ({type(exc).__name__})"
        try:
            with fp:
                problem = image_problem(
                    fp, size, max_bytes=max_bytes,
                    min_width=limits.foto_min_width if is_photo else 0,
                    min_height=limits.foto_min_height if is_photo else 0,
                    max_pixels=limits.max_image_pixels)
        except (OSError, NotImplementedError, ValueError, EOFError) as exc:
            problem = f"file cannot be read ({type(exc).__name__})"
        return key, problem

