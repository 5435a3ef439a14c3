"""bench/drill.py --quick on real processes: controller kills, an agent killed mid-card, a
partition and printer faults, then the invariants. No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "drill.py"


@pytest.mark.timeout(600)  # the drill gives up by itself after 300 s of campaign
def test_quick_drill_keeps_every_invariant():
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json"],
                          capture_output=True, text=True, timeout=540)
    assert done.stdout.strip(), done.stderr[-3000:]
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    for key in ("records", "printed", "cards_physically_printed", "duplicates", "lost",
                "unknown_unresolved", "blanks_balanced", "controller_kills", "agent_kills",
                "partitions", "printer_faults", "elapsed_s"):
        assert key in result
    assert result["duplicates"] == 0
    assert result["lost"] == 0
    assert result["unknown_unresolved"] == 0
    assert result["blanks_balanced"] is True
    assert result["printed"] == result["records"] == result["cards_physically_printed"]
    assert result["ledger_physical_mismatch"] == 0 and result["audit_chain_ok"]
    assert result["agents_not_reconnected"] == 0
    assert result["serial_attention"] == []  # every blank fed was one its site received, once
    assert result["controller_kills"] >= 2 and result["agent_kills"] >= 1
    assert result["partitions"] >= 1 and result["printer_faults"] >= 4
    assert done.returncode == 0, done.stderr[-3000:]
