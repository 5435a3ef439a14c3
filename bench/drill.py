"""Fault drill: a campaign on real processes while the controller, agents, network and printers
fail, then every invariant checked against what the printers physically produced.

    python bench/drill.py [--quick] [--cards 2000] [--sites 4] [--controller-kills 5]
                          [--agent-kills 3] [--partitions 2] [--faults 10] [--seed 1] --json
    -> {"records", "printed", "cards_physically_printed", "duplicates", "lost",
        "unknown_unresolved", "blanks_balanced", "controller_kills", "agent_kills",
        "partitions", "printer_faults", "elapsed_s", ...}

Full size (the defaults) takes several minutes on two cores; --quick (200 cards, 4 sites, 2
controller kills, 1 agent kill, 1 partition, 4 faults) is the CI size. How it works:
drills/ and docs/reliability.md. stdout carries only the JSON with --json; logs go to
stderr. Exit status 0 when the invariants hold and every disruption asked for happened.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import shutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from cetak.drills.campaign import QUICK, DrillOptions, passed, run_drill

    defaults = DrillOptions()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the CI size (see above)")
    p.add_argument("--cards", type=int)
    p.add_argument("--sites", type=int)
    p.add_argument("--printers-per-site", type=int)
    p.add_argument("--controller-kills", type=int)
    p.add_argument("--agent-kills", type=int)
    p.add_argument("--partitions", type=int)
    p.add_argument("--faults", type=int, help="printer faults injected")
    p.add_argument("--seed", type=int)
    p.add_argument("--time-scale", type=float, help="virtual printers this many times faster")
    p.add_argument("--timeout", type=float, help="give up after this many seconds")
    p.add_argument("--out", type=Path, help="work folder (default: a temporary one, removed "
                   "after a passing run)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs, store)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    values = dict(QUICK) if args.quick else {}
    for f in dataclasses.fields(DrillOptions):
        given = getattr(args, f.name, None)
        if given is not None:
            values[f.name] = given
    opts = dataclasses.replace(defaults, **values)
    try:
        summary = run_drill(opts)
    except (RuntimeError, TimeoutError, ValueError) as exc:
        print(f"drill: {exc}", file=sys.stderr)
        return 1
    ok = passed(summary, opts)
    if ok and not args.keep and args.out is None:
        shutil.rmtree(summary["out_dir"], ignore_errors=True)
    else:
        logging.getLogger("drill").info("work folder kept: %s", summary["out_dir"])
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>28}: {value}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
