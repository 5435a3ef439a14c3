"""Reading a PRR input into rows of field values with their physical line numbers.

Text input is read as bytes, one physical line at a time with a length bound, and decoded per
line: memory stays bounded on hostile files and an undecodable byte is reported with its line.
Lines are split on "\\n" only, so line numbers match `wc -l`, editors, and
`csv.reader.line_num`.

CSV comes as Dinas offices save it: `,` or `;` between fields (Excel under an Indonesian locale
writes `;`), detected from the header line; UTF-8 with or without a BOM, or cp1252 (what
Excel's plain "CSV" is under a Western or Indonesian Windows); CRLF or LF. A `.xlsx` workbook
is read by cetak.prr.workbook. Every form hands the same row tuples on, so the rules and the
native fast path see the same values whatever the file was.

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
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from cetak.prr.errors import ArchiveError, HeaderError, InputUnusable
from cetak.prr.media import FolderMedia, MediaSource, ZipMedia
from cetak.prr.schema import FIELDS, LINE_FIELD, REQUIRED_COLUMNS, Limits

if TYPE_CHECKING:
    from cetak.prr.workbook import XlsxRows

Row = tuple[int, tuple[str, ...] | None, tuple[str, str] | None]

_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16/32 (UTF-32 LE starts like UTF-16 LE)
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_ ]{1,40}")
_SEP_HINT = re.compile(r"sep=([;,])\r?\n?")
_DATA_SUFFIXES = (".csv", ".jsonl", ".xlsx")
UNKNOWN_TYPE = ("unknown file type: expected .csv, .jsonl, .xlsx or .zip "
                "(save an .xls or .ods workbook as .xlsx)")


def shown(name: str) -> str:
    """A header name fit for an error message: header names come from the file, so only plain
    ones are echoed and no stray data lands in errors."""
    if not name:
        return "(empty name)"
    return repr(name) if _PLAIN_NAME.fullmatch(name) else "(unprintable name)"


class LineSource:
    """Physical lines of a binary stream, decoded, with a count of bytes consumed.

    UTF-8, or with `cp1252` also Windows-1252: the first line that is not plain ASCII decides
    (every line before it reads the same in both), and the rest of the file must agree."""

    def __init__(self, fp: BinaryIO, limits: Limits, *, cp1252: bool = False) -> None:
        self._fp = fp
        self._max = limits.max_line_bytes
        self._cp1252 = cp1252
        self.line = 0
        self.bytes_read = 0
        self.encoding = "ascii"  # until a line says otherwise: "utf-8" or "cp1252"

    def __iter__(self) -> Iterator[str]:
        readline = self._fp.readline
        limit = self._max + 1
        first = True
        decided = False
        cp1252 = False
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
                    decided, self.encoding = True, "utf-8"
            if len(raw) >= limit and raw[-1] != 10:  # 10: b"\n"
                raise InputUnusable(f"line longer than {self._max} bytes", line=self.line)
            if not decided and not raw.isascii():
                decided = True
                cp1252 = self._cp1252 and not _is_utf8(raw)
                self.encoding = "cp1252" if cp1252 else "utf-8"
            if cp1252:
                yield self._from_cp1252(raw)
                continue
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputUnusable(
                    f"not UTF-8 (invalid byte at position {exc.start + 1} of the line)"
                    + ("" if not self._cp1252 else
                       ", although earlier lines were: the file mixes encodings")
                    + "; export the file again as UTF-8", line=self.line) from None

    def _from_cp1252(self, raw: bytes) -> str:
        if not raw.isascii() and _is_utf8(raw):
            # cp1252 text is all but never valid UTF-8 too: this line was written otherwise.
            raise InputUnusable(
                "this line is UTF-8 but earlier lines were cp1252: the file mixes encodings; "
                "save the whole file again as CSV UTF-8", line=self.line)
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:  # the five bytes cp1252 leaves undefined
            raise InputUnusable(
                f"neither UTF-8 nor cp1252 (byte at position {exc.start + 1} of the line); "
                "save the file again as CSV UTF-8", line=self.line) from None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def column_map(names: list[str], line: int) -> list[int]:
    """For each of FIELDS, its index among `names` (or -1 when absent); HeaderError if unfit."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise HeaderError(f"column {shown(name)} appears twice", line=line)
        seen[name] = i
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise HeaderError("unknown column(s): " + ", ".join(shown(n) for n in unknown),
                          line=line)
    missing = sorted(REQUIRED_COLUMNS - seen.keys())
    if missing:
        raise HeaderError("missing required column(s): " + ", ".join(missing), line=line)
    return [seen.get(f, -1) for f in FIELDS]


class CsvRows:
    """Rows of a CSV export. The header is read (and checked) on construction; its line
    decides the separator."""

    format = "csv"

    def __init__(self, lines: LineSource) -> None:
        self._lines = lines
        it = iter(lines)
        first = next(it, None)
        # Excel's "sep=;" hint line, when a file has one, names the separator; the header
        # follows it. Physical line numbers count it.
        hint = _SEP_HINT.fullmatch(first or "")
        if hint:
            first = next(it, None)
        line = 2 if hint else 1
        if first is None:
            raise InputUnusable("empty file: no header line", line=line)
        self.delimiter = hint.group(1) if hint else _delimiter(first, line)
        # The header is one line (names hold no line break): parsed apart, so the records'
        # reader reads the lines straight from the source.
        try:
            header = next(csv.reader((first,), delimiter=self.delimiter, strict=True), None)
        except csv.Error as exc:
            raise InputUnusable(f"CSV header cannot be parsed: {exc}", line=line) from None
        self._before = line  # physical lines read before the records' reader starts
        self._reader = csv.reader(it, delimiter=self.delimiter, strict=True)
        if not header or header == [""]:
            raise InputUnusable("empty file: no header line", line=line)
        self.columns = tuple(header)  # names are exact: no trimming, no case folding
        self._index = column_map(list(self.columns), line)

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    def close(self) -> None:
        """Nothing of its own to release: the file is its opener's to close."""

    def __iter__(self) -> Iterator[Row]:
        reader = self._reader
        width = len(self.columns)
        pick = operator.itemgetter(*self._index)
        # A record's line is the one it starts on: one past where the previous record ended.
        base = 1 + self._before
        start = reader.line_num + base
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputUnusable(f"CSV structure broken ({exc})", line=start) from None
            line, start = start, reader.line_num + base
            if not row or not (row[0] or any(row)):
                continue  # blank line, or only separators (Excel writes them for emptied rows)
            if len(row) != width:
                yield line, None, (LINE_FIELD, f"has {len(row)} fields, header has {width}")
                continue
            row.append("")  # index -1 of an absent optional column reads this
            yield line, pick(row), None


def _delimiter(header: str, line: int) -> str:
    """`;` or `,`, from the header line: column names hold neither, so the one there is it."""
    semicolons, commas = header.count(";"), header.count(",")
    if semicolons and commas:
        raise HeaderError("the header line holds both ';' and ',': separate the column names "
                          "with one of them", line=line)
    return ";" if semicolons else ","


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
        column_map(list(obj), line)
        self.columns = tuple(obj)

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    def close(self) -> None:
        """Nothing of its own to release: the file is its opener's to close."""

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
            return line, None, (LINE_FIELD, f"unknown field {shown(unknown)}")
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

    rows: CsvRows | JsonlRows | XlsxRows
    media: MediaSource
    total_bytes: int
    _closers: list[object]

    @property
    def format(self) -> str:
        return self.rows.format

    @property
    def bytes_read(self) -> int:
        """How far the rows have got, in bytes of `total_bytes` (estimated for a workbook)."""
        return self.rows.bytes_read

    def close(self) -> None:
        for obj in reversed(self._closers):
            obj.close()  # type: ignore[attr-defined]
        self._closers.clear()
        self.media.close()


def _rows_for(name: str, fp: BinaryIO, size: int, limits: Limits
              ) -> CsvRows | JsonlRows | XlsxRows:
    lower = name.lower()
    if lower.endswith(".csv"):
        return CsvRows(LineSource(fp, limits, cp1252=True))
    if lower.endswith(".jsonl"):
        return JsonlRows(LineSource(fp, limits))  # JSON is UTF-8 by definition (RFC 8259)
    if lower.endswith(".xlsx"):
        from cetak.prr.workbook import XlsxRows  # openpyxl loads only for workbooks

        return XlsxRows(fp, size, limits)
    raise InputUnusable(UNKNOWN_TYPE)


def open_input(path: str | os.PathLike[str], limits: Limits) -> OpenedInput:
    """Open a .csv, .jsonl, .xlsx or .zip PRR input and read its header; InputUnusable if
    unfit."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputUnusable(f"cannot read the file: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputUnusable("not a regular file")
    if path.lower().endswith(".zip"):
        return _open_zip(path, limits)
    if not path.lower().endswith(_DATA_SUFFIXES):
        raise InputUnusable(UNKNOWN_TYPE)
    fp = open(path, "rb", buffering=1 << 20)  # noqa: SIM115 - closed by OpenedInput.close
    try:
        rows = _rows_for(path, fp, st.st_size, limits)
    except BaseException:
        fp.close()
        raise
    media = FolderMedia(os.path.dirname(os.path.abspath(path)))
    return OpenedInput(rows, media, st.st_size, [fp, rows])


def _open_zip(path: str, limits: Limits) -> OpenedInput:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"not a readable .zip archive ({exc})") from None
    closers: list[object] = [zf]
    try:
        data = _check_archive(zf, limits)
        if data.filename.lower().endswith(".xlsx"):
            # A workbook is itself a zip read by seeking; a member of a deflated archive
            # seeks by decompressing again from its start, so it is read from a private copy.
            fp: BinaryIO = _private_copy(zf, data)
        else:
            # BufferedReader gives ZipExtFile a fast C readline.
            fp = io.BufferedReader(zf.open(data), buffer_size=1 << 20)  # type: ignore[arg-type]
        closers.append(fp)
        rows = _rows_for(data.filename, fp, data.file_size, limits)
        closers.append(rows)
    except BaseException:
        for obj in reversed(closers):
            obj.close()  # type: ignore[attr-defined]
        raise
    base = data.filename.rpartition("/")[0]
    return OpenedInput(rows, ZipMedia(path, base), data.file_size, closers)


def _private_copy(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> BinaryIO:
    """`info`'s content in an unnamed temporary file (gone when closed, or if we die)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        with zf.open(info) as src:
            shutil.copyfileobj(src, out, 1 << 20)
        out.seek(0)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        out.close()
        raise ArchiveError(f"the workbook in the archive cannot be read ({type(exc).__name__})"
                           ) from None
    except BaseException:
        out.close()
        raise
    return out


def check_members(zf: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """The members of `zf` when it is safe to read; ArchiveError for what an export (or a
    workbook, also a zip) never has: too many files, zip-slip names, odd compression, bombs."""
    infos = zf.infolist()
    if len(infos) > limits.max_archive_members:
        raise ArchiveError(f"more than {limits.max_archive_members} files in the archive")
    names: set[str] = set()
    total = 0
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
    return infos


def _check_archive(zf: zipfile.ZipFile, limits: Limits) -> zipfile.ZipInfo:
    """The one data file of a safe archive; ArchiveError for anything an export never has."""
    data = [info for info in check_members(zf, limits)
            if not info.is_dir() and info.filename.lower().endswith(_DATA_SUFFIXES)]
    if not data:
        raise ArchiveError("the archive holds no .csv, .jsonl or .xlsx file")
    if len(data) > 1:
        raise ArchiveError("the archive holds more than one .csv/.jsonl/.xlsx file")
    if stat.S_ISLNK(data[0].external_attr >> 16):
        raise ArchiveError("the data file in the archive is a symbolic link")
    if data[0].flag_bits & 0x1:
        raise ArchiveError("the data file in the archive is encrypted")
    return data[0]
