"""Reading a PRR list kept as an Excel workbook (.xlsx) into the same rows as a CSV.

The first sheet, its header in row 1, one record per row; a row's "line" is its row number,
as Excel shows it. Cells become the text a CSV of the same sheet would hold, so the rules and
the native fast path see the same values whatever the form: a date cell is YYYY-MM-DD, a whole
number is its digits (rt/rw typed as numbers), an empty cell is "". A NIK in a number cell is
refused: Excel keeps 15 significant digits of a number, so a 16-digit NIK typed into one may
already be wrong, and nothing can tell which.

The workbook is read streaming (openpyxl's read-only mode): rows are parsed as they are taken,
so a large sheet never sits in memory. Its zip container passes the same safety checks as an
uploaded archive before openpyxl opens it.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from cetak.prr.errors import ArchiveError, InputUnusable
from cetak.prr.reader import Row, check_members, column_map
from cetak.prr.schema import FIELDS, LINE_FIELD, Limits

NIK_IN_NUMBER_CELL = (
    "in a number cell: Excel keeps only 15 significant digits, so the NIK may already be "
    "wrong; format the nik column as Text, type the NIK again and save")
_NIK = FIELDS.index("nik")
_MIDNIGHT = dt.time()


def _openpyxl() -> Any:
    import warnings

    import openpyxl

    # Its warnings are about styles and extensions it skips (irrelevant to reading values);
    # they would reach the user's terminal as noise.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
    return openpyxl


def cell_text(value: object) -> str:
    """The text a CSV export of the sheet would hold for a cell's value."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel writes them
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return (value.date().isoformat() if value.time() == _MIDNIGHT
                else value.isoformat(sep=" "))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # a time or a duration: the rules will say what is wrong


def _blank(value: object) -> bool:
    return value is None or value == ""


class XlsxRows:
    """Rows of the first sheet of a workbook read from `fp` (seekable); the header (row 1) is
    read and checked on construction. `close()` releases the workbook (not `fp`)."""

    format = "xlsx"

    def __init__(self, fp: BinaryIO, size: int, limits: Limits) -> None:
        openpyxl = _openpyxl()
        self._size = size
        self._line = 0
        self._done = False
        try:
            with zipfile.ZipFile(fp) as container:
                check_members(container, limits)
        except ArchiveError as exc:
            raise InputUnusable(f"not a safe .xlsx workbook: {exc.reason}") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise InputUnusable(
                "not a readable .xlsx workbook (not a zip container); an old .xls or another "
                "file renamed to .xlsx must be saved again from Excel as .xlsx") from None
        fp.seek(0)
        try:
            self._wb = openpyxl.load_workbook(fp, read_only=True, data_only=True,
                                              keep_links=False)
        except Exception as exc:  # noqa: BLE001 - a foreign library's many errors, made ours
            raise InputUnusable(_unreadable(exc)) from None
        try:
            self._open_sheet()
        except BaseException:
            self.close()
            raise

    def _open_sheet(self) -> None:
        sheets = self._wb.worksheets
        if not sheets:
            raise InputUnusable("the workbook has no worksheet")
        sheet = sheets[0]
        # The row count a writer declared, for progress only: rows are read to the end even
        # when it is wrong (reset_dimensions), since a short one would cut records off.
        self._declared_rows = sheet.max_row if isinstance(sheet.max_row, int) else 0
        sheet.reset_dimensions()
        self._cells = sheet.iter_rows(values_only=True)
        header = self._next(1)
        names = [cell_text(v) for v in header or ()]
        while names and not names[-1]:
            names.pop()  # a used range often runs past the last column
        if not names:
            raise InputUnusable("empty workbook: no header in row 1 of the first sheet", line=1)
        self.columns = tuple(names)  # exact, as in a CSV header
        self._index = column_map(names, 1)

    def _next(self, line: int) -> tuple[object, ...] | None:
        try:
            return next(self._cells)
        except StopIteration:
            return None
        except Exception as exc:  # noqa: BLE001 - the sheet's XML broke off: made ours
            raise InputUnusable(_unreadable(exc, "the sheet cannot be read further"),
                                line=line) from None

    @property
    def bytes_read(self) -> int:
        """An estimate from the rows read and the rows the sheet declares (progress only)."""
        if self._done:
            return self._size
        if self._declared_rows <= 0:
            return 0
        return min(self._size, self._size * self._line // self._declared_rows)

    def close(self) -> None:
        wb, self._wb = getattr(self, "_wb", None), None
        if wb is not None:
            wb.close()

    def __iter__(self) -> Iterator[Row]:
        width = len(self.columns)
        index = self._index
        nik_at = index[_NIK]
        line = 1
        while True:
            cells = self._next(line + 1)
            if cells is None:
                self._done = True
                return
            line = self._line = line + 1
            if all(map(_blank, cells)):
                continue  # an empty row, as a blank line in a CSV
            if len(cells) > width:
                beyond = next((i for i in range(width, len(cells)) if not _blank(cells[i])),
                              None)
                if beyond is not None:
                    yield line, None, (LINE_FIELD, f"a value in column {_letter(beyond)}, "
                                                   "right of the header's last column")
                    continue
            if not _blank(nik := cells[nik_at] if nik_at < len(cells) else None) and (
                    type(nik) is not str):
                yield line, None, ("nik", NIK_IN_NUMBER_CELL)
                continue
            texts = [cell_text(v) for v in cells[:width]]
            texts.extend([""] * (width + 1 - len(texts)))  # short rows; [-1]: absent columns
            yield line, tuple([texts[i] for i in index]), None


def _letter(index: int) -> str:
    """The column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _unreadable(exc: Exception, what: str = "not a readable .xlsx workbook") -> str:
    # The type names the problem; messages of parsers may quote cell content, so they stay out.
    if isinstance(exc, (KeyError, OSError)):  # openpyxl's "no valid workbook part" too
        return (f"{what} (a part of the workbook is missing or cannot be read); open it in "
                "Excel and save it again as .xlsx")
    return f"{what} ({type(exc).__name__}); open it in Excel and save it again as .xlsx"
