"""Reading a PRR input into rows of field values with their physical line numbers.

Input is read as bytes, one physical line at a time with a length bound, and decoded per line:
memory stays bounded on hostile files and a non-UTF-8 byte is reported with its line. Lines are
split on "\\n" only, so line numbers match `wc -l`, editors, and `csv.reader.line_num`.

A row is `(line, values, problem)`: `values` is a tuple in `schema.FIELDS` order (absent
optional columns read as ""), or None with `problem = (field, reason)` when the line itself is
broken (wrong number of CSV fields, not a JSON object, ...).
"""

from __future__ import annotations

import csv
import io
import json
import operator
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cetak.prr.errors import ArchiveError, HeaderError, InputUnusable
from cetak.prr.media import FolderMedia, MediaSource, ZipMedia
from cetak.prr.schema import FIELDS, LINE_FIELD, REQUIRED_COLUMNS, Limits

Row = tuple[int, tuple[str, ...] | None, tuple[str, str] | None]

_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16/32 (UTF-32 LE starts like UTF-16 LE)
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_ ]{1,40}")
_DATA_SUFFIXES = (".csv", ".jsonl")


def _shown(name: str) -> str:
    # Header names come from the file; echo only plain ones so no stray data lands in errors.
    return repr(name) if _PLAIN_NAME.fullmatch(name) else "(unprintable name)"


class LineSource:
    """Physical lines of a binary stream, decoded as UTF-8, with a count of bytes consumed."""

    def __init__(self, fp: BinaryIO, limits: Limits) -> None:
        self._fp = fp
        self._max = limits.max_line_bytes
        self.line = 0
        self.bytes_read = 0

    def __iter__(self) -> Iterator[str]:
        readline = self._fp.readline
        limit = self._max + 1
        first = True
        while True:
            try:
                raw = readline(limit)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise InputUnusable(f"data cannot be read ({type(exc).__name__})",
                                    line=self.line + 1) from None
            if not raw:
                return
            self.line += 1
            self.bytes_read += len(raw)
            if first:
                first = False
                if raw.startswith(_OTHER_BOMS):
                    raise InputUnusable("file is UTF-16 or UTF-32; export it as UTF-8", line=1)
                if raw.startswith(_UTF8_BOM):
                    raw = raw[3:]
            if len(raw) >= limit and raw[-1] != 10:  # 10: b"\n"
                raise InputUnusable(f"line longer than {self._max} bytes", line=self.line)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputUnusable(
                    f"not UTF-8 (invalid byte at position {exc.start + 1} of the line); "
                    "export the file as UTF-8", line=self.line) from None


def _column_map(names: list[str], line: int) -> list[int]:
    """For each of FIELDS, its index among `names` (or -1 when absent); HeaderError if unfit."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise HeaderError(f"column {_shown(name)} appears twice", line=line)
        seen[name] = i
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise HeaderError("unknown column(s): " + ", ".join(_shown(n) for n in unknown),
                          line=line)
    missing = sorted(REQUIRED_COLUMNS - seen.keys())
    if missing:
        raise HeaderError("missing required column(s): " + ", ".join(missing), line=line)
    return [seen.get(f, -1) for f in FIELDS]


class CsvRows:
    """Rows of a CSV export. The header is read (and checked) on construction."""

    format = "csv"

    def __init__(self, lines: LineSource) -> None:
        self._lines = lines
        self._reader = csv.reader(iter(lines), strict=True)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            raise InputUnusable(f"CSV header cannot be parsed: {exc}", line=1) from None
        if not header:
            raise InputUnusable("empty file: no header line", line=1)
        self.columns = tuple(header)  # names are exact: no trimming, no case folding
        self._index = _column_map(list(self.columns), 1)

    def __iter__(self) -> Iterator[Row]:
        reader = self._reader
        width = len(self.columns)
        pick = operator.itemgetter(*self._index)
        # A record's line is the one it starts on: one past where the previous record ended.
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputUnusable(f"CSV structure broken ({exc})", line=start) from None
            line, start = start, reader.line_num + 1
            if not row:
                continue  # blank line
            if len(row) != width:
                yield line, None, (LINE_FIELD, f"has {len(row)} fields, header has {width}")
                continue
            row.append("")  # index -1 of an absent optional column reads this
            yield line, pick(row), None


class JsonlRows:
    """Rows of a JSON Lines export. The first object plays the header's part: unknown or
    missing keys there make the input unusable; on later lines they make that line invalid."""

    format = "jsonl"

    def __init__(self, lines: LineSource) -> None:
        self._it = iter(lines)
        self._lines = lines
        self._first: tuple[int, str] | None = None
        for text in self._it:
            if text.strip():
                self._first = (lines.line, text)
                break
        if self._first is None:
            raise InputUnusable("empty file: no JSON object", line=1)
        line, text = self._first
        obj = _loads(text)
        if not isinstance(obj, dict):
            raise InputUnusable("first line is not a JSON object", line=line)
        _column_map(list(obj), line)
        self.columns = tuple(obj)

    def __iter__(self) -> Iterator[Row]:
        if self._first is not None:
            line, text = self._first
            self._first = None
            yield self._row(line, text)
        lines = self._lines
        for text in self._it:
            if text.strip():
                yield self._row(lines.line, text)

    @staticmethod
    def _row(line: int, text: str) -> Row:
        obj = _loads(text)
        if obj is _BAD_JSON:
            return line, None, (LINE_FIELD, "not valid JSON")
        if not isinstance(obj, dict):
            return line, None, (LINE_FIELD, "not a JSON object")
        keys = obj.keys()
        if not keys <= _FIELD_SET:
            unknown = next(k for k in obj if k not in _FIELD_SET)
            return line, None, (LINE_FIELD, f"unknown field {_shown(unknown)}")
        if not REQUIRED_COLUMNS <= keys:
            return line, None, (min(REQUIRED_COLUMNS - keys), "field missing")
        values = tuple([obj.get(f, "") for f in FIELDS])
        if set(map(type, values)) != _ONLY_STR:  # rare: nulls or non-string values
            for field, value in zip(FIELDS, values, strict=True):
                if value is not None and type(value) is not str:
                    return line, None, (field, "must be a JSON string")
            values = tuple(["" if value is None else value for value in values])
        return line, values, None


_FIELD_SET = frozenset(FIELDS)
_ONLY_STR = {str}
_BAD_JSON = object()


def _loads(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _BAD_JSON


@dataclass
class OpenedInput:
    """An opened PRR input: its rows, where its images are, and progress counters."""

    rows: CsvRows | JsonlRows
    media: MediaSource
    lines: LineSource
    total_bytes: int
    _closers: list[object]

    @property
    def format(self) -> str:
        return self.rows.format

    def close(self) -> None:
        for obj in reversed(self._closers):
            obj.close()  # type: ignore[attr-defined]
        self._closers.clear()
        self.media.close()


def _rows_for(name: str, lines: LineSource) -> CsvRows | JsonlRows:
    lower = name.lower()
    if lower.endswith(".csv"):
        return CsvRows(lines)
    if lower.endswith(".jsonl"):
        return JsonlRows(lines)
    raise InputUnusable("unknown file type: expected .csv, .jsonl or .zip")


def open_input(path: str | os.PathLike[str], limits: Limits) -> OpenedInput:
    """Open a .csv, .jsonl or .zip PRR input and read its header; InputUnusable if unfit."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputUnusable(f"cannot read the file: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputUnusable("not a regular file")
    if path.lower().endswith(".zip"):
        return _open_zip(path, limits)
    fp = open(path, "rb", buffering=1 << 20)  # noqa: SIM115 - closed by OpenedInput.close
    try:
        lines = LineSource(fp, limits)
        rows = _rows_for(path, lines)
    except BaseException:
        fp.close()
        raise
    media = FolderMedia(os.path.dirname(os.path.abspath(path)))
    return OpenedInput(rows, media, lines, st.st_size, [fp])


def _open_zip(path: str, limits: Limits) -> OpenedInput:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"not a readable .zip archive ({exc})") from None
    try:
        data = _check_archive(zf, limits)
        # BufferedReader gives ZipExtFile a fast C readline.
        fp = io.BufferedReader(zf.open(data), buffer_size=1 << 20)  # type: ignore[arg-type]
        lines = LineSource(fp, limits)
        rows = _rows_for(data.filename, lines)
    except BaseException:
        zf.close()
        raise
    base = data.filename.rpartition("/")[0]
    return OpenedInput(rows, ZipMedia(path, base), lines, data.file_size, [zf, fp])


def _check_archive(zf: zipfile.ZipFile, limits: Limits) -> zipfile.ZipInfo:
    """The one data file of a safe archive; ArchiveError for anything an export never has."""
    infos = zf.infolist()
    if len(infos) > limits.max_archive_members:
        raise ArchiveError(f"more than {limits.max_archive_members} files in the archive")
    names: set[str] = set()
    total = 0
    data: list[zipfile.ZipInfo] = []
    for info in infos:
        name = info.filename
        if name in names:
            raise ArchiveError("the archive holds the same name twice")
        names.add(name)
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise ArchiveError("the archive holds a path leaving its root (zip-slip)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2/LZMA decompress without an output bound per call: refuse, exports use deflate.
            raise ArchiveError("the archive uses a compression other than stored or deflate")
        total += info.file_size
        if total > limits.max_archive_bytes:
            raise ArchiveError(f"archive expands beyond {limits.max_archive_bytes} bytes")
        if (info.file_size > 1024 * 1024
                and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)):
            raise ArchiveError("a file in the archive is compressed suspiciously well (zip bomb)")
        if not info.is_dir() and name.lower().endswith(_DATA_SUFFIXES):
            data.append(info)
    if not data:
        raise ArchiveError("the archive holds no .csv or .jsonl file")
    if len(data) > 1:
        raise ArchiveError("the archive holds more than one .csv/.jsonl file")
    if stat.S_ISLNK(data[0].external_attr >> 16):
        raise ArchiveError("the data file in the archive is a symbolic link")
    if data[0].flag_bits & 0x1:
        raise ArchiveError("the data file in the archive is encrypted")
    return data[0]
