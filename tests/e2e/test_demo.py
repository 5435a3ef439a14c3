"""`cetak demo` as a user runs it: the JSON verdict is computed, never assumed."""

from __future__ import annotations

import json
import subprocess

from cetak.procs import cetak_argv


def test_demo_small_mixed_dialects(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run(cetak_argv("demo", "--cards", "24", "--sites", "2",
                                  "--printers-per-site", "2", "--dialect", "mixed",
                                  "--time-scale", "200", "--out", str(out), "--json"),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    summary = json.loads(r.stdout)  # stdout holds exactly one JSON object
    assert summary["records"] == 24 and summary["printed"] == 24
    assert summary["duplicates"] == 0 and summary["lost"] == 0
    assert summary["blanks_balanced"] is True
    assert summary["sites"] == 2 and summary["printers"] == 4
    assert summary["chips_verified"] == 24 and summary["chips_failed"] == 0
    # the printers fed exactly the blanks their sites received, each once
    assert summary["serial_attention"] == [] and summary["attention"] == []
    pngs = list(out.glob("printers/*/*.front.png"))
    assert len(pngs) == 24
    # Both dialects really printed: each printer's physical log has cards.
    logs = [p for p in out.glob("printers/*/produced.jsonl") if p.read_text().strip()]
    assert len(logs) == 4


def test_demo_keeps_printing_while_the_controller_is_down(tmp_path):
    r = subprocess.run(cetak_argv("demo", "--cards", "60", "--sites", "2", "--time-scale", "60",
                                  "--outage-at", "3", "--outage-for", "5",
                                  "--out", str(tmp_path / "demo"), "--json"),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    summary = json.loads(r.stdout)
    assert summary["printed"] == summary["records"] == 60
    assert summary["duplicates"] == 0 and summary["lost"] == 0
    assert summary["blanks_balanced"] is True
    assert summary["outage_s"] >= 5
    assert summary["printed_during_outage"] > 0  # agents printed from their leased window
    assert 0 < summary["utilization_during_outage"] <= 1
