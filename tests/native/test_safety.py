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
        pytest.skip("no C compiler on this machine (apt-get install gcc)")
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


SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
                 "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
# The driver's hand-made checks of spots that were fragile (fuzz/driver_main.c, CHECKS): each
# fails, or stops under a sanitizer, if its fix is undone.
CHECKS = {
    "header": "the Magicard job header into buffers of every size up to the one it needs: "
              "CETAK_E_LIMIT, no write past the buffer (ASan)",
    "year-zero": "a PRR row born in year 0 with no earliest year: no shift of a negative "
                 "value (UBSan), left to the Python rules",
    "decode-arrays": "decoder arrays one command, panel or dot short: CETAK_E_SPACE, no write "
                     "past them (ASan)",
    "many-commands": "streams of CETAK_MAX_COMMANDS tiny commands decode, one more is "
                     "CETAK_E_COMMANDS in both passes",
}


@pytest.fixture(scope="module")
def asan_driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("asan"), "driver-asan",
                  ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                   "-fno-sanitize-recover=all"])


def test_asan_ubsan_driver(asan_driver: Path, tmp_path: Path) -> None:
    """The hand-made checks, vendor captures, our own streams (both dialects, SIMD and scalar
    encoders), PRR rows and thousands of mutations of them through decoder, framers, TLV and
    the PRR fast path, under ASan + UBSan."""
    prr = tmp_path / "prr-batch"  # a seed for the PRR fast path: plain rows and a broken one
    prr.write_bytes(PRR_BATCH)
    result = subprocess.run([str(asan_driver), "-n", "3000", "-s", "7", *_vectors(), str(prr)],
                            capture_output=True, text=True, timeout=240,
                            env={**os.environ, **SANITIZER_ENV})
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.startswith("ok:")
    assert f"{len(CHECKS)} checks" in result.stdout


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_fragile_spot_under_sanitizers(asan_driver: Path, check: str) -> None:
    """One hand-made check alone (see CHECKS for what each drives), so a finding names it."""
    result = subprocess.run([str(asan_driver), "-t", check], capture_output=True, text=True,
                            timeout=120, env={**os.environ, **SANITIZER_ENV})
    assert result.returncode == 0, f"{CHECKS[check]}:\n{result.stderr[-4000:]}"
    assert result.stdout.strip() == f"ok: check {check}"


def test_valgrind_no_leaks_on_vectors(tmp_path: Path) -> None:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind is not installed (apt-get install valgrind)")
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
