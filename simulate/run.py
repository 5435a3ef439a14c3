"""Both runs of a scenario (cetak, then the 2019 way) and their report."""

from __future__ import annotations

import time
from pathlib import Path

from .engine import RunResult, Simulation
from .report import build, write_files
from .scenario import Scenario


def simulate(sc: Scenario, out: Path | None = None,
             workdir: str | Path | None = None) -> tuple[dict, RunResult, RunResult]:
    """The report dict (with the files written into `out`, if given) and both runs."""
    started = time.perf_counter()
    cetak = Simulation(sc, workdir=workdir).run()
    online = Simulation(sc, online_only=True, workdir=workdir).run()
    summary = build(sc, cetak, online, time.perf_counter() - started)
    if out is not None:
        summary["files"] = write_files(sc, summary, cetak, online, out)
    return summary, cetak, online
