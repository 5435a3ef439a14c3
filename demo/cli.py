"""`cetak demo`: run a whole small campaign end to end on this machine."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

log = logging.getLogger("cetak.demo")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cards", type=int, default=300, help="records to print (default 300)")
    parser.add_argument("--sites", type=int, default=4, help="Depok kelurahan taking part")
    parser.add_argument("--printers-per-site", type=int, default=1)
    parser.add_argument("--out", type=Path, help="output folder (default: a new temporary one)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout (logs stay on stderr)")
    parser.add_argument("--dialect", choices=("evolis", "magicard", "mixed"), default="evolis")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-scale", type=float, default=36.0,
                        help="run the virtual printers this many times faster than real ones")
    parser.add_argument("--outage-at", type=float, metavar="S",
                        help="SIGKILL the controller S seconds into the run ...")
    parser.add_argument("--outage-for", type=float, default=20.0, metavar="D",
                        help="... and restart it D seconds later")
    parser.add_argument("--metrics-port", type=int, default=0,
                        help="serve the controller's /metrics on this port")
    parser.add_argument("--linger", type=float, default=0.0, metavar="S",
                        help="keep the controller up S seconds after the campaign ends")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="give up after this many seconds")
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from cetak.procs import Terminated, exit_on_termination

    from .run import DemoOptions, print_summary, run_demo

    if args.cards < 1 or args.printers_per_site < 1:
        print("cetak demo: --cards and --printers-per-site must be at least 1", file=sys.stderr)
        return 2
    if not args.json and args.verbose == 0:
        logging.getLogger("cetak.demo").setLevel(logging.INFO)
    opts = DemoOptions(cards=args.cards, sites=args.sites,
                       printers_per_site=args.printers_per_site, out=args.out,
                       as_json=args.json, seed=args.seed, dialect=args.dialect,
                       time_scale=args.time_scale, outage_at=args.outage_at,
                       outage_for=args.outage_for, metrics_port=args.metrics_port,
                       linger=args.linger, timeout=args.timeout)
    try:
        with exit_on_termination():
            summary = run_demo(opts)
    except (Terminated, KeyboardInterrupt) as exc:
        print("cetak demo: dihentikan oleh sinyal; semua proses yang dimulainya telah dihentikan"
              " / stopped by a signal; every process it started has been stopped",
              file=sys.stderr)
        return int(exc.code) if isinstance(exc, Terminated) else 128 + signal.SIGINT
    except (RuntimeError, TimeoutError, ValueError) as exc:
        print(f"cetak demo: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary))
    else:
        print_summary(summary)
    ok = (summary["printed"] == summary["records"] and summary["duplicates"] == 0
          and summary["lost"] == 0 and summary["blanks_balanced"])
    return 0 if ok else 1
