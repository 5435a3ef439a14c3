"""Fixtures: a private cupsd (`cupsd`) and an ippeveprinter (`ippeve`), each started for one
test and stopped by pid afterwards. They skip with the reason when the tools are missing, and
fail instead under CETAK_REQUIRE_ALL=1 (CI installs them with .ci/cups.sh)."""

from __future__ import annotations

import os

import pytest

from .servers import CupsServer, IppEvePrinter, missing_cups, missing_ippeveprinter


def _unavailable(why: str) -> None:
    if os.environ.get("CETAK_REQUIRE_ALL") == "1":
        pytest.fail(f"CUPS test required (CETAK_REQUIRE_ALL=1) but {why}; run .ci/cups.sh")
    pytest.skip(f"{why} (apt-get install cups cups-ipp-utils; .ci/cups.sh does it)")


@pytest.fixture
def cupsd():
    why = missing_cups()
    if why:
        _unavailable(why)
    server = CupsServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def ippeve():
    why = missing_ippeveprinter()
    if why:
        _unavailable(why)
    printer = IppEvePrinter()
    try:
        printer.start()
        yield printer
    finally:
        printer.cleanup()
