"""One set of PRR records written in every form a Dinas office saves a list in.

Valid and invalid records, a duplicate NIK, a held pair, names with letters cp1252 has
(é, ñ) and values holding the separators: the same records must give the same verdicts, line
for line, whatever the form.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from cetak.prr.schema import FIELDS
from tests.prr.prrdata import person

RECORDS: list[dict[str, str]] = [
    person(1),                                                    # line 2: valid
    person(2, nama="José Muñoz", tempat_lahir="Bogor"),           # 3: valid, non-ASCII
    person(3, rt="x"),                                            # 4: rt
    person(4, nama="X1", status="SFE"),                           # 5: nama, status
    person(5, alamat="Jl. Señor, Gg. 2; Blok C", pekerjaan="PELAJAR/MAHASISWA"),  # 6: valid
    person(1),                                                    # 7: NIK of line 2 again
    person(6, nama="Ani"),                                        # 8: held with line 9
    person(7, nama="ANI"),                                        # 9
    person(8, tanggal_lahir="1999-02-30"),                        # 10: not a real date
    person(9, kategori="PENGGANTIAN", alasan="RUSAK", rw="12"),   # 11: valid
    person(10, kelurahan_kode="99.99.99.9999"),                   # 12: kelurahan
    person(11, nama="Ñoño Pérez", golongan_darah=""),             # 13: valid
]
# What `cetak record validate --json` must say of RECORDS (checked in one form, compared
# across all).
VALID = 7
INVALID = 5
ERROR_LINES = [4, 5, 5, 7, 10, 12]
HELD = [[8, 9]]
FORMS = ("csv", "csv-semicolon-cp1252-crlf", "csv-bom", "jsonl", "xlsx")


def delimited(rows: list[dict[str, str]], delimiter: str, terminator: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([row.get(f, "") for f in FIELDS])
    return out.getvalue()


def _cell(field: str, value: str) -> object:
    """A value as an Excel user has it: dates as date cells, rt/rw as numbers."""
    if value == "":
        return None
    if field == "tanggal_lahir":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # not a real date: Excel keeps it as text
    if field in ("rt", "rw") and value.isdigit():
        return int(value)
    return value


def write_xlsx(path: Path, rows: list[dict[str, object]], fields: tuple[str, ...] = FIELDS,
               raw: bool = False) -> Path:
    """A workbook whose first sheet holds `fields` in row 1, then `rows` (as cells, or as
    they are with `raw`); a second sheet that must be ignored."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "PRR"
    ws.append(list(fields))
    for row in rows:
        ws.append([row.get(f) if raw else _cell(f, str(row.get(f, ""))) for f in fields])
    other = wb.create_sheet("Catatan")
    other.append(["bukan data"])
    wb.save(path)
    return path


def write_form(folder: Path, form: str, rows: list[dict[str, str]] = RECORDS) -> Path:
    """`rows` written in `form` (one of FORMS) into `folder`, beside its images."""
    if form == "csv":
        path = folder / "prr-comma.csv"
        path.write_bytes(delimited(rows, ",", "\n").encode("utf-8"))
    elif form == "csv-semicolon-cp1252-crlf":  # Excel "CSV" under an Indonesian locale
        path = folder / "prr-semicolon.csv"
        path.write_bytes(delimited(rows, ";", "\r\n").encode("cp1252"))
    elif form == "csv-bom":  # Excel "CSV UTF-8"
        path = folder / "prr-bom.csv"
        path.write_bytes(delimited(rows, ";", "\r\n").encode("utf-8-sig"))
    elif form == "jsonl":
        path = folder / "prr.jsonl"
        path.write_text("".join(json.dumps({f: row.get(f, "") for f in FIELDS}) + "\n"
                                for row in rows), encoding="utf-8")
    elif form == "xlsx":
        path = write_xlsx(folder / "prr.xlsx", rows)
    else:
        raise ValueError(form)
    return path
