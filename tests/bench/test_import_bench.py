"""bench/import.py reduced: one JSON object on stdout, every generated record validated and
imported (through the import's worker process at this size). No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "import.py"


def _run(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(BENCH), "--json", *args],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # stdout is exactly one JSON object


def test_store_import_of_generated_records():
    # 30,000 records (~6 MB) is above the size from which the import uses a worker process.
    result = _run("--records", "30000")
    for key in ("records", "seconds", "records_per_s", "rss_mb", "baseline_seconds"):
        assert key in result
    assert result["import"] == "store"
    assert (result["records"], result["valid"], result["invalid"]) == (30000, 30000, 0)
    assert result["worker_rss_mb"] > 0  # the worker ran, and its memory is counted
    assert result["rss_mb"] > result["worker_rss_mb"]


@pytest.mark.parametrize("hook", ["none", "bare"])
def test_validation_only_and_bare_hooks(hook):
    result = _run("--records", "500", "--import", hook)
    assert (result["valid"], result["invalid"], result["import"]) == (500, 0, hook)
