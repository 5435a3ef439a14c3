"""`cetak plan CAMPAIGN [--json]`: blanks, ribbons and films each site needs, and what to move
where (controller/planner.py computes it on the controller, over the admin API)."""

from __future__ import annotations

import argparse
import json
import sys

from cetak.client import add_connection_options, admin_call


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("campaign")
    parser.add_argument("--spoil-allowance", type=float, default=0.0, metavar="FRACTION",
                        help="extra blanks per card for spoils (default 0.03)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_connection_options(parser)
    parser.set_defaults(handler=_plan)


def _plan(args: argparse.Namespace) -> int:
    from google.protobuf.json_format import MessageToDict

    from cetak.api.v1 import admin_pb2

    if not 0 <= args.spoil_allowance < 1:
        print("cetak plan: --spoil-allowance: expected a fraction in [0, 1)", file=sys.stderr)
        return 2
    p = admin_call(args, "plan", "PlanCampaign", admin_pb2.PlanRequest(
        campaign_id=args.campaign, spoil_allowance=args.spoil_allowance))
    if args.json:
        print(json.dumps(MessageToDict(p, preserving_proto_field_name=True,
                                       always_print_fields_with_no_presence=True)))
        return 0
    from cetak.output import say, table

    rows = []
    for s in p.sites:
        short = "[red]" if s.blanks_need > s.blanks_have else ""
        rows.append([
            s.site_code, s.site_name, str(s.demand),
            "down" if s.down else f"{s.cards_per_hour:.0f}",
            "-" if s.working_hours_left < 0 else f"{s.working_hours_left:.1f}",
            str(s.capacity), f"{short}{s.blanks_need}/{s.blanks_have}",
            f"{s.ribbons_need}/{s.ribbons_have}", f"{s.films_need}/{s.films_have}",
            f"[red]{s.behind_by}[/red]" if s.behind_by else "0"])
    table(f"Plan for campaign {p.campaign_id}",
          [("site", "id"), ("name", "text"), ("to\nprint", "number"), ("cards/h", "number"),
           ("hours\nleft", "number"), ("capacity", "number"),
           ("blanks\nneed/have", "number"), ("ribbons\nneed/have", "number"),
           ("films\nneed/have", "number"), ("behind", "number")], rows)
    for m in p.moves:
        what = ("move records" if m.kind == "move_records" else f"transfer {m.item}s")
        say(f"{what}: {m.quantity} {m.from_site} -> {m.to_site}  ({m.reason})")
    for w in p.warnings:
        say(f"[yellow]warning:[/yellow] {w}")
    return 0
