"""bench/encode.py --quick: runs, prints one JSON object with the agreed keys, identical output.
No timing assertions: the figures are for the benchmark's own runs."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO


def test_quick_encode_bench() -> None:
    done = subprocess.run([sys.executable, str(REPO / "bench" / "encode.py"), "--quick", "--json"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    for key in ("cards", "native_ms_per_card", "reference_ms_per_card", "speedup", "identical",
                "threads_speedup", "dialects"):
        assert key in result
    assert result["identical"] is True
    assert set(result["dialects"]) == {"evolis", "magicard"}
