"""`cetak simulate SCENARIO`: a whole campaign in virtual time on the real controller code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario file (TOML, docs/simulate.md)")
    parser.add_argument("--json", action="store_true",
                        help="print the whole report as one JSON object on stdout")
    parser.add_argument("--out", type=Path,
                        help="write report.json, sites.csv, progress.png and finish.png here")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    parser.add_argument("--outage", action="append", default=[], metavar="'TARGET START/END'",
                        help="what if: one more outage, e.g. 'centre 2019-02-11T07:00/13:00'")
    parser.add_argument("--delivery", action="append", default=[],
                        metavar="'ITEM COUNT SITE WHEN'",
                        help="what if: one more delivery, e.g. 'blank 27750 * 2019-02-12T08:00'")
    parser.add_argument("--no-deliveries", action="append", default=[], metavar="ITEM",
                        choices=("blank", "ribbon", "film"),
                        help="what if: drop the scenario's deliveries of ITEM (then add "
                             "yours with --delivery, e.g. a late one)")
    parser.add_argument("--move", action="append", default=[], metavar="SITE:N:TO",
                        help="what if: N queued records of SITE print at TO from the start")
    parser.set_defaults(handler=_simulate)


def _fail(message: str) -> int:
    print(f"cetak simulate: {message}", file=sys.stderr)
    return 2


def _simulate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .errors import ScenarioError
    from .run import simulate
    from .scenario import load, with_delivery, with_move, with_outage, without_deliveries

    try:
        sc = load(args.scenario)
    except ScenarioError as exc:
        return _fail(f"{args.scenario}: {exc}")
    try:
        for item in args.no_deliveries:
            sc = without_deliveries(sc, item)
        for text in args.outage:
            sc = with_outage(sc, text)
        for text in args.delivery:
            sc = with_delivery(sc, text)
        for text in args.move:
            sc = with_move(sc, text)
    except ScenarioError as exc:
        return _fail(str(exc))
    if args.seed is not None:
        sc = replace(sc, seed=args.seed)
    if args.out is not None:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _fail(f"--out: {exc.strerror}: {args.out}")
    from cetak.controller.ledger import LedgerError
    from cetak.controller.store import StoreError

    try:
        summary, _, _ = simulate(sc, args.out)
    except KeyboardInterrupt:
        print("cetak simulate: interrupted; nothing was written", file=sys.stderr)
        return 130
    except OSError as exc:
        return _fail(f"cannot write the report or the temporary store: {exc.strerror}")
    except (LedgerError, StoreError) as exc:
        # The scenario asked the real ledger for something it refuses (e.g. a record move
        # from a site with nothing queued): said as the ledger says it.
        print(f"cetak simulate: the controller's ledger refused the scenario: {exc}",
              file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary)
    return 0


def _print_summary(s: dict) -> None:
    out = sys.stdout
    print(f"{s['scenario']}: {s['records']:,} records, {s['sites']} sites, "
          f"{s['printers']} printers; deadline {s['deadline']}", file=out)
    print(f"simulated {s['virtual_hours']} h in {s['wall_s']} s", file=out)
    for mode, label in (("cetak", "cetak (lease window)"), ("online_only", "the 2019 way")):
        r = s[mode]
        inv = r["invariants"]
        print(f"  {label}: {r['printed_by_deadline']:,} printed by the deadline, "
              f"{r['short_by_deadline']:,} short {r['short_why']}; finished "
              f"{r['finished_at'] or 'not within the run'}; "
              f"{r['sites_finished_by_deadline']}/{s['sites']} sites on time; "
              f"utilisation {r['utilisation_pct']} %; "
              f"duplicates {inv['duplicates']}, lost {inv['lost']}, "
              f"unrecorded {inv['unrecorded_prints']}, "
              f"blanks conserved {inv['blanks_conserved']}", file=out)
    for f in s["forecast"]:
        err = "n/a" if f["error_pct"] is None else f"{f['error_pct']} %"
        print(f"  forecast at hour {f['hour']}: ETA {f['eta'] or 'none'} (error {err})",
              file=out)
    for name, path in s.get("files", {}).items():
        print(f"  {name}: {path}", file=out)
