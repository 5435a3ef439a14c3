"""Reading inputs: headers, physical line numbers, encodings and hostile bytes, JSON Lines."""

from __future__ import annotations

import json

import pytest

from cetak.prr.errors import HeaderError, InputUnusable
from cetak.prr.schema import FIELDS, Limits
from cetak.prr.validate import open_prr, validate_file
from tests.prr.prrdata import GOOD, TODAY, csv_text, person, validate


def test_column_order_is_free(write_csv) -> None:
    result = validate(write_csv([GOOD], fields=tuple(reversed(FIELDS))))
    assert (result.valid, result.invalid) == (1, 0)


@pytest.mark.parametrize(("fields", "reason"), [
    (FIELDS + ("hobi",), "unknown column"),
    (tuple(f for f in FIELDS if f != "nik"), "missing required column(s): nik"),
    (FIELDS + ("nik",), "twice"),
    (tuple(f.upper() for f in FIELDS), "unknown column"),     # names are exact
    (("nik ",) + FIELDS[1:], "unknown column"),
])
def test_bad_header_is_unusable(write_csv, fields, reason) -> None:
    with pytest.raises(HeaderError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        validate(write_csv([GOOD], fields=fields))


def test_empty_file_is_unusable(folder) -> None:
    (folder / "prr.csv").write_bytes(b"")
    with pytest.raises(InputUnusable, match="empty"):
        validate(folder / "prr.csv")


def test_unknown_extension_is_unusable(folder) -> None:
    (folder / "prr.txt").write_text("nik\n")
    with pytest.raises(InputUnusable, match="unknown file type"):
        validate(folder / "prr.txt")


def test_missing_file_is_unusable(folder) -> None:
    with pytest.raises(InputUnusable, match="cannot read"):
        validate(folder / "nothing.csv")


def test_physical_line_numbers_with_multiline_quoted_fields(write_csv) -> None:
    rows = [
        person(1, alamat="Jl. Satu\nBaris dua"),   # lines 2-3, invalid (newline)
        person(2, nama="X9"),                      # line 4
        person(3, pekerjaan="A\nB\nC"),            # lines 5-7
        person(4, rt="x"),                         # line 8
    ]
    result = validate(write_csv(rows))
    assert [(e.line, e.field) for e in result.errors] == [
        (2, "alamat"), (4, "nama"), (5, "pekerjaan"), (8, "rt")]


def test_blank_lines_count_but_are_not_records(folder) -> None:
    text = csv_text([GOOD]) + "\n\n" + csv_text([person(2, rt="x")]).split("\n", 1)[1]
    (folder / "prr.csv").write_text(text)
    result = validate(folder / "prr.csv")
    assert result.valid == 1
    assert [(e.line, e.field) for e in result.errors] == [(5, "rt")]


def test_crlf_line_endings(folder) -> None:
    (folder / "prr.csv").write_bytes(csv_text([GOOD, person(2, rt="x")]).replace(
        "\n", "\r\n").encode())
    result = validate(folder / "prr.csv")
    assert result.valid == 1
    assert [(e.line, e.field) for e in result.errors] == [(3, "rt")]


def test_wrong_field_count_is_an_invalid_line(folder) -> None:
    text = csv_text([GOOD]) + "a,b,c\n" + csv_text([person(2)]).split("\n", 1)[1]
    (folder / "prr.csv").write_text(text)
    result = validate(folder / "prr.csv")
    assert (result.valid, result.invalid) == (2, 1)
    assert result.errors[0].line == 3 and "fields" in result.errors[0].reason


def test_utf8_bom_is_accepted(folder) -> None:
    (folder / "prr.csv").write_bytes(b"\xef\xbb\xbf" + csv_text([GOOD]).encode())
    assert validate(folder / "prr.csv").valid == 1


def test_utf16_is_unusable(folder) -> None:
    (folder / "prr.csv").write_bytes(csv_text([GOOD]).encode("utf-16"))
    with pytest.raises(InputUnusable, match="UTF-16"):
        validate(folder / "prr.csv")


def test_non_utf8_after_utf8_is_unusable_with_its_line(folder) -> None:
    # A file in cp1252 is read as such (tests/prr/test_prr_sheets.py); one whose earlier
    # lines were UTF-8 and a later one is not mixes encodings: nothing can be trusted.
    text = csv_text([person(1, nama="Sitï"), person(2, nama="Sitï")]).encode()
    head, _, last = text.rpartition(b"Sit\xc3\xaf")
    (folder / "prr.csv").write_bytes(head + "Sitï".encode("latin-1") + last)
    with pytest.raises(InputUnusable, match="not UTF-8.*mixes encodings") as info:
        validate(folder / "prr.csv")
    assert info.value.line == 3


def test_nul_bytes_make_the_field_invalid(folder) -> None:
    (folder / "prr.csv").write_bytes(csv_text([GOOD]).encode().replace(b"Santoso", b"San\0oso"))
    result = validate(folder / "prr.csv")
    assert [(e.line, e.field) for e in result.errors] == [(2, "nama")]


def test_huge_line_is_unusable_without_reading_it_whole(folder) -> None:
    path = folder / "prr.csv"
    path.write_text(csv_text([GOOD]) + "x" * 200_000 + "\n")
    with pytest.raises(InputUnusable, match="longer than") as info:
        validate_file(path, today=TODAY, limits=Limits(max_line_bytes=4096))
    assert info.value.line == 3


def test_unbalanced_quote_is_unusable(folder) -> None:
    text = csv_text([GOOD]) + '"' + ("a," * 40 + "\n") * 4000
    (folder / "prr.csv").write_text(text)
    with pytest.raises(InputUnusable, match="CSV structure") as info:
        validate(folder / "prr.csv")
    assert info.value.line == 3


def test_batches_stream_records(folder) -> None:
    rows = [person(i) for i in range(1, 26)] + [person(30, rt="x")]
    (folder / "prr.csv").write_text(csv_text(rows))
    with open_prr(folder / "prr.csv", batch_size=10, today=TODAY) as run:
        batches = list(run)
    assert [len(b.records) + b.invalid for b in batches] == [10, 10, 6]
    assert (run.valid, run.invalid) == (25, 1)
    assert batches[-1].bytes_read == run.total_bytes


# JSON Lines ---------------------------------------------------------------------------------

def test_jsonl_valid(write_jsonl) -> None:
    result = validate(write_jsonl([GOOD, person(2)]))
    assert (result.format, result.valid, result.invalid) == ("jsonl", 2, 0)


def test_jsonl_garbage_lines_are_invalid_lines(write_jsonl) -> None:
    lines = [GOOD, "{not json", "", "[1, 2]", "42", person(2, nama="X1"),
             json.dumps(person(3))[:-1], r'"\udcff"', person(4)]
    result = validate(write_jsonl(lines))
    assert (result.valid, result.invalid) == (2, 6)
    assert [(e.line, e.field) for e in result.errors] == [
        (2, "(line)"), (4, "(line)"), (5, "(line)"), (6, "nama"), (7, "(line)"), (8, "(line)")]


def test_jsonl_types_and_keys_per_line(write_jsonl) -> None:
    lines = [GOOD, dict(person(2), rt=7), dict(person(3), hobi="x"),
             {k: v for k, v in person(4).items() if k != "foto"}, dict(person(5), alasan=None),
             dict(person(6), golongan_darah=False), dict(person(7), rw=0)]
    result = validate(write_jsonl(lines))
    assert [(e.line, e.field, e.reason) for e in result.errors] == [
        (2, "rt", "must be a JSON string"), (3, "(line)", "unknown field 'hobi'"),
        (4, "foto", "field missing"), (6, "golongan_darah", "must be a JSON string"),
        (7, "rw", "must be a JSON string")]
    assert result.valid == 2


def test_jsonl_first_object_is_the_header(write_jsonl) -> None:
    with pytest.raises(HeaderError, match="unknown column"):
        validate(write_jsonl([dict(GOOD, hobi="x"), GOOD]))
    with pytest.raises(InputUnusable, match="not a JSON object"):
        validate(write_jsonl(["[]", GOOD]))


def test_jsonl_non_utf8_is_unusable(folder) -> None:
    (folder / "prr.jsonl").write_bytes(json.dumps(GOOD).encode() + b'\n{"nama": "\xff"}\n')
    with pytest.raises(InputUnusable, match="not UTF-8") as info:
        validate(folder / "prr.jsonl")
    assert info.value.line == 2
