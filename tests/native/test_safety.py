"""Memory safety of the C core: the fuzz driver under AddressSanitizer + UBSan, valgrind's leak
check on the vendor captures, short atheris runs, and a warning-free build at -O2 and -O3."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EVOLIS_VECTORS, REPO

NATIVE = REPO / "native"
FUZZ = REPO / "fuzz"
SOURCES = sorted(str(p) for p in (NATIVE / "src").glob("*.c"))
DRIVER = [str(FUZZ / "fuzz_native.c"), str(FUZZ / "driver_main.c")]
WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{NATIVE / 'include'}"]


_PRR_ROW = ("3276011708990001", "Budi Santoso", "Depok", "1999-08-17", "LAKI-LAKI", "O",
            "Jl. Margonda Raya No. 100", "7", "007", "32.76.01.1007", "ISLAM", "BELUM KAWIN",
            "KARYAWAN SWASTA", "WNI", "BARU", "", "PRR", "foto/p000.jpg", "ttd/s000.png")
PRR_BATCH = ("\x1f".join(_PRR_ROW) + "\x1e" + "\x1f".join(_PRR_ROW[:18]) + "\x1e"
             + "\x1f".join(_PRR_ROW) + "\x1e").encode()


def _cc() -> str:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler on this machine")
    return cc


def _vectors() -> list[str]:
    return sorted(str(p) for p in EVOLIS_VECTORS.glob("*.prn"))


def _build(tmp_path: Path, name: str, flags: list[str]) -> Path:
    exe = tmp_path / name
    cmd = [_cc(), *WARNINGS, *flags, *DRIVER, *SOURCES, "-o", str(exe)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return exe


@pytest.mark.parametrize("opt", ["-O2", "-O3"])
def test_core_compiles_without_warnings(tmp_path: Path, opt: str) -> None:
    for source in SOURCES:
        cmd = [_cc(), *WARNINGS, opt, "-c", source, "-o", str(tmp_path / "x.o")]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr


def test_asan_ubsan_driver(tmp_path: Path) -> None:
    """Vendor captures, our own streams (both dialects, SIMD and scalar encoders), PRR rows and
    thousands of mutations of them through decoder, framers, TLV and the PRR fast path, under
    ASan + UBSan."""
    exe = _build(tmp_path, "driver-asan", ["-O1", "-g", "-fno-omit-frame-pointer",
                                           "-fsanitize=address,undefined",
                                           "-fno-sanitize-recover=all"])
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
    prr = tmp_path / "prr-batch"  # a seed for the PRR fast path: plain rows and a broken one
    prr.write_bytes(PRR_BATCH)
    result = subprocess.run([str(exe), "-n", "3000", "-s", "7", *_vectors(), str(prr)],
                            capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.startswith("ok:")


def test_valgrind_no_leaks_on_vectors(tmp_path: Path) -> None:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind is not installed")
    exe = _build(tmp_path, "driver", ["-O1", "-g"])
    result = subprocess.run(
        [valgrind, "-q", "--leak-check=full", "--errors-for-leak-kinds=all", "--error-exitcode=3",
         str(exe), "-n", "20", *_vectors()],
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.mark.parametrize("harness", ["fuzz_decode.py", "fuzz_tlv.py"])
def test_fuzz_harness_short_run(tmp_path: Path, harness: str) -> None:
    pytest.importorskip("atheris", reason="atheris is not installed (pip install atheris)")
    corpus = tmp_path / "corpus"
    subprocess.run([sys.executable, str(FUZZ / "make_seeds.py"), str(corpus)], check=True,
                   timeout=120)
    result = subprocess.run(
        [sys.executable, str(FUZZ / harness), str(corpus), "-runs=3000", "-max_total_time=20",
         "-seed=1"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done" in result.stderr
