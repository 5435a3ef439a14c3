"""docs/prr-format.md says what `cetak record validate` answers on the example files it ships;
the real command, run from the repository's root, must answer exactly that."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cetak.prr.bundle import bundle_prr
from cetak.prr.schema import FIELDS

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "prr-format.md"
EXAMPLES = REPO / "docs" / "examples"
# The exit status the page gives for each example (0 all valid, 1 some invalid).
EXIT = {"docs/examples/prr-example.csv": 0, "docs/examples/prr-errors.csv": 1}


def _validate(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cetak", "record", "validate", *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def _transcripts() -> list[tuple[str, str]]:
    """(file, expected stdout) of every `$ cetak record validate FILE` block in the page."""
    text = DOC.read_text("utf-8")
    found = []
    for block in re.findall(r"```text\n(.*?)```", text, flags=re.S):
        first, _, rest = block.partition("\n")
        if first.startswith("$ cetak record validate "):
            found.append((first.removeprefix("$ cetak record validate ").strip(), rest))
    return found


def test_the_page_shows_both_examples() -> None:
    assert sorted(f for f, _ in _transcripts()) == sorted(EXIT)
    text = DOC.read_text("utf-8")
    for name in EXIT:
        assert f"({name.removeprefix('docs/')})" in text  # linked from the page


@pytest.mark.parametrize("file,expected", _transcripts(), ids=lambda v: Path(v).name)
def test_validate_says_what_the_page_says(file: str, expected: str) -> None:
    proc = _validate(file)
    assert proc.stdout == expected, proc.stdout + proc.stderr
    assert proc.returncode == EXIT[file], proc.stderr
    assert f"Exit status {EXIT[file]}." in DOC.read_text("utf-8")


def test_example_verdicts_in_json() -> None:
    ok = _validate("--json", "docs/examples/prr-example.csv")
    assert ok.returncode == 0
    assert json.loads(ok.stdout) == {"errors": [], "held": [], "valid": 4, "invalid": 0}
    bad = json.loads(_validate("--json", "docs/examples/prr-errors.csv").stdout)
    assert (bad["valid"], bad["invalid"]) == (3, 13)
    assert bad["held"] == [{"lines": [12, 13],
                            "reason": "same name and birth date under different NIKs"}]
    # one error per broken line, each line named in the page's table of typical errors
    lines = [e["line"] for e in bad["errors"]]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 16, 17]


def test_the_jsonl_example_holds_the_same_records() -> None:
    import csv

    with (EXAMPLES / "prr-example.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    objects = [json.loads(line) for line in
               (EXAMPLES / "prr-example.jsonl").read_text("utf-8").splitlines()]
    assert objects == rows and list(rows[0]) == list(FIELDS)
    proc = _validate("docs/examples/prr-example.jsonl")
    assert (proc.returncode, proc.stdout) == (0, "4 valid (0 held for adjudication), 0 invalid\n")


def test_the_example_as_an_upload_zip_is_valid(tmp_path: Path) -> None:
    # What `cetak campaign import` sends: the file and the images it names, in one archive.
    upload = bundle_prr(EXAMPLES / "prr-example.csv", tmp_path / "upload.zip")
    with zipfile.ZipFile(upload) as zf:
        assert sorted(zf.namelist()) == ["foto/p001.jpg", "foto/p002.jpg", "foto/p003.jpg",
                                         "prr-example.csv", "ttd/s001.png"]
    proc = _validate(str(upload))
    assert (proc.returncode, proc.stdout) == (0, "4 valid (0 held for adjudication), 0 invalid\n")


def test_an_excel_semicolon_export_reads_like_the_comma_file(tmp_path: Path) -> None:
    # The page: a CSV's separator is `,` or `;`, as the header line shows; the verdicts are
    # the same, line for line.
    text = (EXAMPLES / "prr-example.csv").read_text("utf-8")
    (tmp_path / "excel.csv").write_text(text.replace(",", ";"), "cp1252")
    for images in ("foto", "ttd"):
        shutil.copytree(EXAMPLES / images, tmp_path / images)
    semicolon = _validate(str(tmp_path / "excel.csv"), "--json")
    comma = _validate(str(EXAMPLES / "prr-example.csv"), "--json")
    assert semicolon.returncode == comma.returncode == 0, semicolon.stderr
    assert json.loads(semicolon.stdout) == json.loads(comma.stdout)


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    # The page: golongan_darah, alasan and tanda_tangan may be absent from the header.
    import csv

    with (EXAMPLES / "prr-example.csv").open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["kategori"] == "BARU"]
    keep = [f for f in FIELDS if f not in ("golongan_darah", "alasan", "tanda_tangan")]
    with (tmp_path / "min.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, keep, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    shutil.copytree(EXAMPLES / "foto", tmp_path / "foto")
    proc = _validate(str(tmp_path / "min.csv"))
    assert (proc.returncode, proc.stdout) == (0, "2 valid (0 held for adjudication), 0 invalid\n")
    missing = [f for f in keep if f != "nama"]
    with (tmp_path / "no-nama.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, missing, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    proc = _validate(str(tmp_path / "no-nama.csv"))
    assert proc.returncode == 2 and "missing required column(s): nama" in proc.stderr
