"""Every per-record rule of docs/prr-format.md, applied to one row of field values.

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
_FAST_DATES_MAX = 100_000
_FAST_TEXT_MAX = 10_000

# Fast-path shapes: they accept a subset of what the full rules accept (ASCII, no padding).
_FAST_NIK = re.compile(r"[0-9]{16}").fullmatch


def _fast_name(max_len: int):  # noqa: ANN202 - a compiled pattern's fullmatch
    # Starts with a letter (so it has one), no padding, at most max_len characters.
    return re.compile(rf"[A-Za-z](?:[A-Za-z '.,\-]{{0,{max_len - 2}}}[A-Za-z'.,\-])?").fullmatch


def _fast_text(max_len: int):  # noqa: ANN202
    return re.compile(rf"[\x21-\x7e](?:[\x20-\x7e]{{0,{max_len - 2}}}[\x21-\x7e])?").fullmatch


_FAST_NAME = _fast_name(schema.NAMA_MAX)
_FAST_TEMPAT = _fast_name(schema.TEMPAT_LAHIR_MAX)
_FAST_ALAMAT = _fast_text(schema.ALAMAT_MAX)
_FAST_KERJA = _fast_text(schema.PEKERJAAN_MAX)
_FAST_GOLDAR = schema.GOLONGAN_DARAH | {""}
_RT_RW_VALUES = frozenset(f"{n:0{w}d}" for w in (1, 2, 3) for n in range(10**w))

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
        # Fast-path memory of values already found valid in this input (bounded).
        self._kec = regions.kecamatan_nik_prefixes
        self._kel = regions.kelurahan_codes
        self._fast_dates: dict[str, tuple[str, str, dt.date]] = {}  # -> male code, female, date
        self._fast_foto: dict[str, str] = {}  # path as written -> normalised key
        self._fast_ttd: dict[str, str] = {}
        self._fast_tempat: set[str] = set()   # tempat_lahir values (they repeat a lot)
        self._fast_kerja: set[str] = set()    # pekerjaan values

    def check(self, line: int, v: tuple[str, ...]) -> tuple[PrrRecord | None, list[FieldError]]:
        """The record, or None and the errors (at most one per field) of the row `v`."""
        # Fast path for the common case: a clean, valid ASCII record, checked with as few
        # Python operations as possible. Anything it does not recognise at once (padding,
        # non-ASCII, a value not seen yet, any error) goes to the full check, which decides.
        (nik, nama, tempat, tgl, jk, goldar, alamat, rt, rw, kel, agama, kawin, kerja, wn,
         kategori, alasan, status, foto, ttd) = v
        dates = self._fast_dates.get(tgl)
        if (dates is not None and _FAST_NIK(nik) and nik[:6] in self._kec
                and nik[6:12] == dates[jk == "PEREMPUAN"] and jk in schema.JENIS_KELAMIN
                and nik[12:] != "0000"
                and _FAST_NAME(nama) and (tempat in self._fast_tempat or _FAST_TEMPAT(tempat))
                and goldar in _FAST_GOLDAR and _FAST_ALAMAT(alamat)
                and rt in _RT_RW_VALUES and rw in _RT_RW_VALUES and kel in self._kel
                and agama in schema.AGAMA and kawin in schema.STATUS_PERKAWINAN
                and (kerja in self._fast_kerja or _FAST_KERJA(kerja)) and wn == "WNI"
                and status == "PRR"
                and ((kategori == "BARU" and not alasan)
                     or (kategori == "PENGGANTIAN" and alasan in schema.ALASAN))):
            foto_key = self._fast_foto.get(foto)
            ttd_key = self._fast_ttd.get(ttd) if ttd else ""
            if foto_key is not None and ttd_key is not None:
                if len(self._fast_tempat) < _FAST_TEXT_MAX:
                    self._fast_tempat.add(tempat)
                if len(self._fast_kerja) < _FAST_TEXT_MAX:
                    self._fast_kerja.add(kerja)
                return PrrRecord(line, nik, nama, tempat, dates[2], jk, goldar or "-", alamat,
                                 rt, rw, kel, agama, kawin, kerja, wn, kategori, alasan, status,
                                 foto_key, ttd_key, self._media), []
        return self._check_full(line, v)

    @property
    def known_images(self) -> tuple[dict[str, str], dict[str, str]]:
        """Image paths as written that were already found valid in this input -> their keys
        (foto, tanda_tangan): a row whose other values are plainly valid needs no more."""
        return self._fast_foto, self._fast_ttd

    def _check_full(self, line: int, v: tuple[str, ...]
                    ) -> tuple[PrrRecord | None, list[FieldError]]:
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
        self._remember(v[I_TANGGAL], birth, v[I_FOTO], foto[0], v[I_TTD], ttd[0])
        return PrrRecord(
            line, nik, text.normalise(nama), text.normalise(tempat), birth, jk, goldar,
            text.normalise(v[I_ALAMAT]), v[I_RT], v[I_RW], kel, v[I_AGAMA], v[I_KAWIN],
            text.normalise(v[I_KERJA]), wn, kategori, alasan, status, foto[0], ttd[0],
            self._media,
        ), errors

    def _remember(self, tgl: str, birth: dt.date, foto: str, foto_key: str, ttd: str,
                  ttd_key: str) -> None:
        """Let the fast path accept these values next time: they were just found valid."""
        if tgl not in self._fast_dates:
            if len(self._fast_dates) >= _FAST_DATES_MAX:
                self._fast_dates.clear()
            self._fast_dates[tgl] = (nikrules.birth_code(birth, False),
                                     nikrules.birth_code(birth, True), birth)
        for cache, path, key in ((self._fast_foto, foto, foto_key), (self._fast_ttd, ttd, ttd_key)):
            if path and path not in cache:
                if len(cache) >= _MEDIA_CACHE_MAX:
                    del cache[next(iter(cache))]
                cache[path] = key

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

