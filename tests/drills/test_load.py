"""bench/load.py --quick: every agent stream connects and none fails. No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


def test_quick_load_holds_every_stream():
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.strip(), done.stderr[-3000:]
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    for key in ("agents", "connected", "event_ack_p50_ms", "event_ack_p99_ms",
                "controller_rss_mb_max", "controller_cpu_percent", "stream_errors"):
        assert key in result
    assert result["connected"] == result["agents"] == 100
    assert result["stream_errors"] == 0 and result["controller_stream_errors"] == 0
    assert result["events"] > 0 and result["bad_acks"] == 0
    assert result["duplicates"] == 0 and result["inconsistent"] == 0
    assert done.returncode == 0, done.stderr[-3000:]
