"""The real `cetak record` command: exit codes and the --json shape."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.prr.prrdata import GOOD, person


def _cetak(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("cetak")
    cmd = [exe] if exe else [sys.executable, "-m", "cetak.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONHASHSEED": "0"})


def test_validate_all_valid_exits_0(write_csv) -> None:
    path = write_csv([GOOD, person(2)])
    proc = _cetak("record", "validate", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["valid"], out["invalid"], out["errors"], out["held"]) == (2, 0, [], [])
    human = _cetak("record", "validate", str(path))
    assert human.returncode == 0 and "2 valid" in human.stdout


def test_validate_some_invalid_exits_1(write_csv) -> None:
    rows = [GOOD, person(2, alamat="a\nb"), person(3, nama="X1", status="SFE"), GOOD]
    proc = _cetak("record", "validate", "--json", str(write_csv(rows)))
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["valid"], out["invalid"]) == (1, 3)
    assert out["errors"] == [
        {"line": 3, "field": "alamat", "reason": "contains a control or invisible character"},
        {"line": 5, "field": "nama", "reason": "contains a digit"},
        {"line": 5, "field": "status", "reason": "SFE"},
        {"line": 6, "field": "nik", "reason": "NIK already appears on an earlier line"},
    ]
    assert GOOD["nik"] not in proc.stdout + proc.stderr


def test_validate_held_records(write_csv) -> None:
    rows = [person(1, nama="Ani"), person(2, nama="ANI")]
    proc = _cetak("record", "validate", "--json", str(write_csv(rows)))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["held"] == [
        {"lines": [2, 3], "reason": "same name and birth date under different NIKs"}]


@pytest.mark.parametrize("content", [
    b"nik,nama,hobi\n1,2,3\n",                              # unknown/missing columns
    "nik\n".encode("utf-16"),                               # not UTF-8
    None,                                                   # missing file
])
def test_validate_unusable_exits_2(folder, content) -> None:
    path = folder / "prr.csv"
    if content is not None:
        path.write_bytes(content)
    proc = _cetak("record", "validate", "--json", str(path))
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert out["unusable"]["reason"] and (out["valid"], out["invalid"]) == (0, 0)
    assert "unusable" in proc.stderr


def test_validate_unusable_midway_keeps_json_whole(write_csv, folder) -> None:
    path = write_csv([person(1, rt="x")] + [person(i) for i in range(2, 5)])
    path.write_bytes(path.read_bytes() + b"\x81\x8d,bad\n")  # neither UTF-8 nor cp1252
    proc = _cetak("record", "validate", "--json", str(path))
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert out["unusable"] == {"reason": out["unusable"]["reason"], "line": 6}
    assert out["errors"][0]["line"] == 2


def test_generate_then_validate(tmp_path) -> None:
    proc = _cetak("record", "generate", "--count", "40", "--out", str(tmp_path), "--seed", "5",
                  "--sites", "32.76.01.1006", "--format", "jsonl", "--json")
    assert proc.returncode == 0, proc.stderr
    path = json.loads(proc.stdout)["path"]
    check = _cetak("record", "validate", "--json", path)
    assert check.returncode == 0
    assert json.loads(check.stdout)["valid"] == 40
    bad = _cetak("record", "generate", "--count", "1", "--out", str(tmp_path), "--sites", "1")
    assert bad.returncode == 2
