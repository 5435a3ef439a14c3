"""cffi API-mode build script for the native card core (named in setup.py's cffi_modules)."""

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
SOURCES = sorted(str(p.relative_to(HERE.parent)) for p in (HERE / "src").glob("*.c"))

# Warnings are errors in the project's own builds (CI and tests/native/test_safety.py set or
# use -Werror), never in the build a user runs: a newer compiler's new warning must not make
# `pip install .` fail.
WERROR = ["-Werror"] if os.environ.get("CETAK_WERROR") == "1" else []

ffibuilder = FFI()
ffibuilder.cdef((HERE / "cdef.h").read_text())
ffibuilder.set_source(
    "cetak.native._core",
    '#include "cetak_core.h"',
    sources=SOURCES,
    include_dirs=[str(HERE / "include")],
    # -O3: the panel and compression loops are the hot path (bench/encode.py targets).
    extra_compile_args=["-O3", "-std=c99", "-Wall", "-Wextra", *WERROR],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
