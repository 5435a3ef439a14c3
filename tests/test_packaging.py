"""The package as users get it: generated code is fresh, a wheel carries the native core
and every data file the code reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_generated_protobuf_modules_are_fresh():
    r = subprocess.run([sys.executable, str(REPO / "proto" / "generate.py"), "--check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"run `python proto/generate.py`: {r.stderr}"


@pytest.mark.slow
def test_wheel_builds_native_core_and_ships_data(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "-w", str(tmp_path), str(REPO)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (wheel,) = tmp_path.glob("cetak-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("cetak/native/_core") and n.endswith(".so") for n in names)
    for expected in ("cetak/controller/store/migrations/0001_initial.sql",
                     "cetak/data/wilayah-kemendagri.csv", "cetak/data/depok-wilayah.csv",
                     "cetak/api/v1/agent_pb2.py", "cetak/controller/server.py",
                     "cetak/agent/config.py", "cetak/agent/console/static/console.html",
                     "cetak/i18n/locale/id/LC_MESSAGES/cetak.po",
                     "cetak/controller/store/migrations_pg/0001_initial.sql"):
        assert expected in names, expected
    assert any(n.startswith("cetak/card/fonts/") and n.endswith(".ttf") for n in names)
    assert any(n.startswith("cetak/card/templates/") for n in names)
