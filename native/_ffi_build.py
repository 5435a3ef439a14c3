"""cffi API-mode build script for the native card core (named in setup.py's cffi_modules)."""

from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
SOURCES = sorted(str(p.relative_to(HERE.parent)) for p in (HERE / "src").glob("*.c"))

ffibuilder = FFI()
ffibuilder.cdef((HERE / "cdef.h").read_text())
ffibuilder.set_source(
    "cetak.native._core",
    '#include "cetak_core.h"',
    sources=SOURCES,
    include_dirs=[str(HERE / "include")],
    # -O3: the panel and compression loops are the hot path (bench/encode.py targets);
    # warnings are errors so the core stays clean under every compiler we build with.
    extra_compile_args=["-O3", "-std=c99", "-Wall", "-Wextra", "-Werror"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
