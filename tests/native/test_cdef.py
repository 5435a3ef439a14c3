"""cdef.h (what cffi sees) mirrors include/cetak_core.h (what the C is compiled against): the
same constants with the same values and the same public functions, so a limit or error code
added to one is not missing or different in the other."""

from __future__ import annotations

import re

from cetak.native._core import lib

from .conftest import REPO

NATIVE = REPO / "native"
DEFINE = re.compile(r"^#define (CETAK_\w+) \(?(-?\d+)\)?", re.M)
FUNCTION = re.compile(r"^(?:int|size_t) (cetak_[a-z0-9_]+)\(", re.M)


def _without_comments(path: str) -> str:
    return re.sub(r"/\*.*?\*/", "", (NATIVE / path).read_text(), flags=re.S)


def test_cdef_mirrors_the_header() -> None:
    header, cdef = _without_comments("include/cetak_core.h"), _without_comments("cdef.h")
    header_defines = dict(DEFINE.findall(header))
    assert "CETAK_MAX_COMMANDS" in header_defines and "CETAK_E_COMMANDS" in header_defines
    assert dict(DEFINE.findall(cdef)) == header_defines
    assert set(FUNCTION.findall(cdef)) == set(FUNCTION.findall(header))
    for name, value in header_defines.items():
        assert getattr(lib, name) == int(value), name
