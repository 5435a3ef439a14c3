"""Simulation benchmark: the Depok 2019 scenario in virtual time, cetak and the 2019 way.

    python bench/simulate.py [--scenario examples/depok-2019.toml] [--json]
    -> {"records","sites","printers","virtual_hours","wall_s","speedup_vs_real_time",
        "cetak_finished_at","cetak_printed_by_deadline","online_only_printed_by_deadline",
        "forecast_error_h1_pct","forecast_error_h4_pct","duplicates","lost", ...}

Target (issue 24): the full Depok scenario (50,000 records, 64 sites) in <= 60 s on 2 cores,
with 0 duplicates and 0 lost. `wall_s` covers both runs (each on its own SQLite store in a
temporary folder) and the report; `--out DIR` also writes the CSV and PNG charts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "examples" / "depok-2019.toml")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from cetak.simulate.errors import ScenarioError
    from cetak.simulate.run import simulate
    from cetak.simulate.scenario import load

    try:
        sc = load(args.scenario)
    except ScenarioError as exc:
        print(f"bench/simulate.py: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    summary, _, _ = simulate(sc, args.out)
    errors = {f["hour"]: f["error_pct"] for f in summary["forecast"]}
    c, o = summary["cetak"], summary["online_only"]
    result = {
        "records": summary["records"], "sites": summary["sites"],
        "printers": summary["printers"], "virtual_hours": summary["virtual_hours"],
        "wall_s": summary["wall_s"],
        "speedup_vs_real_time": round(summary["virtual_hours"] * 3600
                                      / max(summary["wall_s"], 1e-9)),
        "cetak_finished_at": c["finished_at"],
        "cetak_printed_by_deadline": c["printed_by_deadline"],
        "online_only_printed_by_deadline": o["printed_by_deadline"],
        "forecast_error_h1_pct": errors.get(1), "forecast_error_h4_pct": errors.get(4),
        "duplicates": c["invariants"]["duplicates"] + o["invariants"]["duplicates"],
        "lost": c["invariants"]["lost"] + o["invariants"]["lost"],
        "unrecorded_prints": (c["invariants"]["unrecorded_prints"]
                              + o["invariants"]["unrecorded_prints"]),
        "cetak_short_why": c["short_why"], "online_only_short_why": o["short_why"],
        "forecast": summary["forecast"], "files": summary.get("files", {}),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
