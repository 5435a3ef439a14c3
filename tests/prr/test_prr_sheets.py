"""PRR lists as Dinas offices save them: `;` or `,` CSV in UTF-8 (BOM or not) or cp1252,
CRLF, and .xlsx workbooks; the same records give the same verdicts in every form."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cetak.prr.bundle import bundle_prr
from cetak.prr.errors import HeaderError, InputUnusable
from cetak.prr.nik import EXCEL_NUMBER
from cetak.prr.reader import open_input
from cetak.prr.schema import DEFAULT_LIMITS, FIELDS
from cetak.prr.validate import open_prr
from cetak.prr.workbook import NIK_IN_NUMBER_CELL, cell_text
from tests.prr.prrdata import GOOD, TODAY, csv_text, person, validate
from tests.prr.sheets import (
    ERROR_LINES,
    FORMS,
    HELD,
    INVALID,
    RECORDS,
    VALID,
    delimited,
    write_form,
    write_xlsx,
)


def _cetak(*args: str) -> subprocess.CompletedProcess[str]:
    # This interpreter's own package, whatever `cetak` the PATH holds.
    return subprocess.run([sys.executable, "-m", "cetak.cli", *args], capture_output=True,
                          text=True, timeout=120)


def _verdicts(path: Path) -> dict:
    proc = _cetak("record", "validate", "--json", str(path))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    if path.suffix == ".jsonl":
        # JSON Lines has no header line: its records start on line 1, not 2.
        for e in out["errors"]:
            e["line"] += 1
        out["held"] = [dict(h, lines=[n + 1 for n in h["lines"]]) for h in out["held"]]
    return out


def test_the_same_verdicts_in_every_form(folder) -> None:
    verdicts = {form: _verdicts(write_form(folder, form)) for form in FORMS}
    plain = verdicts["csv"]
    assert (plain["valid"], plain["invalid"]) == (VALID, INVALID)
    assert [e["line"] for e in plain["errors"]] == ERROR_LINES
    assert [h["lines"] for h in plain["held"]] == HELD
    for form, out in verdicts.items():
        assert out == plain, form


@pytest.mark.parametrize("form", FORMS)
def test_records_read_alike_in_every_form(folder, form) -> None:
    """The rules-only path (validate_file) builds the same records, letters with accents
    intact, whatever the form; rt/rw typed as numbers in a workbook lose only their zeros."""
    def key(rec) -> tuple:  # noqa: ANN001
        return (rec.nik, rec.nama, rec.tempat_lahir, rec.tanggal_lahir, rec.alamat,
                int(rec.rt), int(rec.rw), rec.pekerjaan, rec.kategori, rec.alasan,
                rec.golongan_darah, rec.foto, rec.tanda_tangan)

    plain = validate(write_form(folder, "csv"))
    result = validate(write_form(folder, form))
    assert [key(r) for r in result.records] == [key(r) for r in plain.records]
    names = {r.nama for r in result.records}
    assert {"José Muñoz", "Ñoño Pérez"} <= names
    assert "Jl. Señor, Gg. 2; Blok C" in {r.alamat for r in result.records}


def test_the_semicolon_cp1252_file_is_read_as_such(folder) -> None:
    path = write_form(folder, "csv-semicolon-cp1252-crlf")
    assert b";" in path.read_bytes().split(b"\n")[0] and b"\r\n" in path.read_bytes()
    opened = open_input(path, DEFAULT_LIMITS)
    try:
        assert opened.rows.delimiter == ";"
        rows = list(opened.rows)
        assert opened.rows._lines.encoding == "cp1252"
    finally:
        opened.close()
    assert rows[1][1][FIELDS.index("nama")] == "José Muñoz"


def test_a_header_with_both_separators_is_unusable(folder) -> None:
    (folder / "prr.csv").write_text("nik;nama," + ",".join(FIELDS[2:]) + "\n")
    with pytest.raises(HeaderError, match="both ';' and ','"):
        validate(folder / "prr.csv")


def test_an_excel_sep_hint_line_names_the_separator(folder) -> None:
    text = "sep=;\r\n" + delimited([GOOD, person(2, rt="x")], ";", "\r\n")
    (folder / "prr.csv").write_text(text)
    result = validate(folder / "prr.csv")
    assert result.valid == 1
    assert [(e.line, e.field) for e in result.errors] == [(4, "rt")]  # physical lines
    (folder / "prr.csv").write_text("sep=;\n" + ";".join(FIELDS[1:]) + "\n")
    with pytest.raises(HeaderError, match="missing required column") as info:
        validate(folder / "prr.csv")
    assert info.value.line == 2


def test_a_line_of_only_separators_is_blank(folder) -> None:
    text = csv_text([GOOD]) + "," * (len(FIELDS) - 1) + "\n" + csv_text(
        [person(2, rt="x")]).split("\n", 1)[1]
    (folder / "prr.csv").write_text(text)
    result = validate(folder / "prr.csv")
    assert (result.valid, result.invalid) == (1, 1)
    assert [(e.line, e.field) for e in result.errors] == [(4, "rt")]


def test_mixed_encodings_are_unusable_with_the_line(folder) -> None:
    head = csv_text([GOOD])
    cp1252_then_utf8 = (head.encode() + csv_text([person(2, nama="José")]).split("\n", 1)[1]
                        .encode("cp1252") + csv_text([person(3, nama="Iñes")]).split("\n", 1)[1]
                        .encode("utf-8"))
    (folder / "prr.csv").write_bytes(cp1252_then_utf8)
    with pytest.raises(InputUnusable, match="mixes encodings") as info:
        validate(folder / "prr.csv")
    assert info.value.line == 4


def test_a_byte_neither_utf8_nor_cp1252_is_unusable(folder) -> None:
    (folder / "prr.csv").write_bytes(csv_text([GOOD]).encode() + b"\x81\x8d,x\n")
    with pytest.raises(InputUnusable, match="neither UTF-8 nor cp1252") as info:
        validate(folder / "prr.csv")
    assert info.value.line == 3


def test_excel_shortened_nik_in_a_csv_says_what_to_do(folder) -> None:
    rows = [person(1, nik="3,27601E+15"), person(2, nik="3.27601170899E+15")]
    path = folder / "prr.csv"
    path.write_text(delimited(rows, ";", "\r\n"))
    result = validate(path)
    assert [(e.line, e.field, e.reason) for e in result.errors] == [
        (2, "nik", EXCEL_NUMBER), (3, "nik", EXCEL_NUMBER)]
    assert "Text" in EXCEL_NUMBER


# Workbooks ----------------------------------------------------------------------------------

def test_a_nik_in_a_number_cell_is_refused_for_that_line(folder) -> None:
    rows = [dict(person(1)), dict(person(2), nik=int(person(2)["nik"])),
            dict(person(3), nik=float(person(3)["nik"]))]
    result = validate(write_xlsx(folder / "prr.xlsx", rows, raw=True))
    assert (result.valid, result.invalid) == (1, 2)
    assert [(e.line, e.field, e.reason) for e in result.errors] == [
        (3, "nik", NIK_IN_NUMBER_CELL), (4, "nik", NIK_IN_NUMBER_CELL)]
    assert "format the nik column as Text" in NIK_IN_NUMBER_CELL
    assert "15" in NIK_IN_NUMBER_CELL


def test_workbook_cells_become_csv_text() -> None:
    assert cell_text(None) == "" and cell_text("007") == "007"
    assert cell_text(7) == "7" and cell_text(7.0) == "7" and cell_text(7.5) == "7.5"
    assert cell_text(dt.datetime(1999, 8, 17)) == "1999-08-17"
    assert cell_text(dt.date(1999, 8, 17)) == "1999-08-17"
    assert cell_text(dt.datetime(1999, 8, 17, 9, 30)) == "1999-08-17 09:30:00"
    assert cell_text(True) == "TRUE"


def test_workbook_rows_are_numbered_as_excel_shows_them(folder) -> None:
    import openpyxl

    path = write_xlsx(folder / "prr.xlsx", [GOOD])
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    bad = person(2, rt="x")
    for column, field in enumerate(FIELDS, start=1):
        ws.cell(row=6, column=column, value=bad[field])  # rows 3-5 left empty
    ws.cell(row=7, column=1, value=person(3)["nik"])
    ws.cell(row=7, column=len(FIELDS) + 2, value="catatan")  # right of the header
    ws.cell(row=1, column=len(FIELDS) + 3, value=None)
    wb.save(path)
    result = validate(path)
    assert result.valid == 1
    assert [(e.line, e.field) for e in result.errors] == [(6, "rt"), (7, "(line)")]
    assert "column U" in result.errors[1].reason


def test_a_workbook_header_is_checked_like_a_csv_one(folder) -> None:
    with pytest.raises(HeaderError, match="missing required column"):
        validate(write_xlsx(folder / "a.xlsx", [GOOD], fields=FIELDS[1:]))
    with pytest.raises(HeaderError, match="unknown column"):
        validate(write_xlsx(folder / "b.xlsx", [GOOD], fields=FIELDS + ("hobi",)))
    # The optional columns may be left out, as in a CSV.
    fields = tuple(f for f in FIELDS if f not in ("golongan_darah", "alasan", "tanda_tangan"))
    assert validate(write_xlsx(folder / "c.xlsx", [GOOD], fields=fields)).valid == 1


def test_an_empty_workbook_is_unusable(folder) -> None:
    import openpyxl

    openpyxl.Workbook().save(folder / "prr.xlsx")
    with pytest.raises(InputUnusable, match="no header in row 1"):
        validate(folder / "prr.xlsx")


@pytest.mark.parametrize(("content", "reason"), [
    (b"nik,nama\n1,2\n", "not a zip container"),
    (b"", "not a zip container"),
    ("zip", "a part of the workbook is missing"),
])
def test_a_corrupt_workbook_is_unusable_without_a_traceback(folder, content, reason) -> None:
    path = folder / "prr.xlsx"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
    else:
        path.write_bytes(content)
    with pytest.raises(InputUnusable, match=reason):
        validate(path)
    proc = _cetak("record", "validate", "--json", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert reason in json.loads(proc.stdout)["unusable"]["reason"]


def test_a_workbook_that_is_a_zip_bomb_is_refused_before_expanding(folder) -> None:
    path = folder / "prr.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<c/>" * (4 << 20))
    with pytest.raises(InputUnusable, match="not a safe .xlsx workbook.*zip bomb"):
        validate(path)


def test_a_truncated_workbook_is_unusable(folder) -> None:
    path = write_form(folder, "xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputUnusable, match="workbook"):
        validate(path)


def test_a_workbook_is_read_streaming(folder) -> None:
    opened = open_input(write_form(folder, "xlsx"), DEFAULT_LIMITS)
    try:
        assert opened.format == "xlsx" and opened.rows._wb.read_only
        assert sum(1 for _ in opened.rows) == len(RECORDS)
        assert opened.bytes_read == opened.total_bytes
    finally:
        opened.close()


@pytest.mark.parametrize("form", ["xlsx", "csv-semicolon-cp1252-crlf"])
def test_a_bundle_carries_the_file_and_its_images(folder, tmp_path_factory, form) -> None:
    """`campaign import` bundles a file with the images it names: a workbook or a `;` cp1252
    CSV names them as well as a plain CSV, and the bundle validates as the file does."""
    path = write_form(folder, form)
    out = bundle_prr(path, tmp_path_factory.mktemp("upload") / "upload.zip")
    with zipfile.ZipFile(out) as zf:
        assert set(zf.namelist()) == {path.name, GOOD["foto"], GOOD["tanda_tangan"]}
    alone, bundled = validate(path), validate(out)
    assert (bundled.format, bundled.valid, bundled.invalid) == (
        alone.format, alone.valid, alone.invalid)
    assert bundled.errors == alone.errors


def test_a_workbook_in_a_deflated_zip(folder, tmp_path) -> None:
    path = write_form(folder, "xlsx")
    out = tmp_path / "out.zip"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(path, "data/prr.xlsx")
        for name in (GOOD["foto"], GOOD["tanda_tangan"]):
            zf.write(folder / name, f"data/{name}")
    result = validate(out)
    assert (result.format, result.valid, result.invalid) == ("xlsx", VALID, INVALID)


@pytest.mark.parametrize("form", FORMS)
def test_the_native_fast_path_takes_the_same_rows_in_every_form(folder, form) -> None:
    """Cells and decoded lines reach the C core as the same text as a plain CSV's: it vouches
    for the same plainly valid (ASCII) rows and leaves the same ones to the rules."""
    def taken(path: Path) -> tuple[list[int], list[int], int]:
        native: list[int] = []
        rules: list[int] = []
        with open_prr(path, native=True, today=TODAY) as run:
            for batch in run:
                native += batch.native.lines if batch.native else []
                rules += [r.line for r in batch.records]
        return native, rules, run.valid

    plain = taken(write_form(folder, "csv"))
    assert plain[0] and plain[1]  # both paths have work in RECORDS
    native, rules, valid = taken(write_form(folder, form))
    shift = 1 if form == "jsonl" else 0  # no header line
    assert ([n + shift for n in native], [n + shift for n in rules], valid) == plain
