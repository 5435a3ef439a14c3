"""`cetak record status NIK` and `cetak record adjudicate RECORD_ID`, over the admin API.

Added to the one `record` group (cetak/prr/cli.py) by `add_subcommands`. Output names the
record, its kelurahan and state, never the citizen's name: a NIK is all the caller gave.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from cetak.client import add_connection_options, channel_from_args

# Exit codes: 0 found / done, 1 not found or refused, 2 bad input.
_HELD_WHY = {
    "possible_duplicate_person": "held for adjudication: possible duplicate person (same name "
                                 "and birth date under another NIK)",
    "unknown_outcome": "held: a print attempt's outcome is unknown until an operator "
                       "reconciles it",
    "rejected_duplicate_person": "rejected: duplicate person",
}


def add_subcommands(sub) -> None:
    status = sub.add_parser("status", help="where a citizen's card is (by NIK)",
                            description="Where a citizen's card is: queued at which "
                                        "kelurahan, printed when, ready for pickup, or held "
                                        "and why. Exit 1 when the NIK is not found.")
    status.add_argument("nik")
    status.add_argument("--campaign", default="", help="only this campaign")
    status.add_argument("--json", action="store_true")
    add_connection_options(status)
    status.set_defaults(handler=_status)

    adj = sub.add_parser("adjudicate", help="release or reject a record held as a possible "
                                            "duplicate person")
    adj.add_argument("record_id")
    decision = adj.add_mutually_exclusive_group(required=True)
    decision.add_argument("--release", action="store_true", help="queue it for printing")
    decision.add_argument("--reject", action="store_true", help="reject it")
    adj.add_argument("--reason", required=True, help="why (kept in the audit log)")
    adj.add_argument("--json", action="store_true")
    add_connection_options(adj)
    adj.set_defaults(handler=_adjudicate)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M") \
        if ms else ""


def _kelurahan(code: str) -> str:
    try:
        from cetak.prr.regions import load_regions

        kel = load_regions().kelurahan(code)
    except Exception:  # noqa: BLE001 - a name is a courtesy; the code is the answer
        return ""
    return kel.name if kel is not None else ""


def describe(r) -> dict:
    """A RecordSummary as what a front-desk clerk needs to tell the citizen."""
    from cetak.api.v1 import common_pb2

    state = common_pb2.RecordState.Name(r.state).removeprefix("RECORD_").lower()
    place = r.site_code + (f" ({name})" if (name := _kelurahan(r.site_code)) else "")
    if r.state == common_pb2.RECORD_PRINTED:
        text = f"printed {_when(r.printed_ms)} at {place}: ready for pickup at {place}"
    elif r.state == common_pb2.QUEUED:
        text = f"queued for printing at {place}"
    elif r.state == common_pb2.RECORD_LEASED:
        text = f"being printed at {place}"
    elif r.state == common_pb2.HELD:
        text = _HELD_WHY.get(r.hold_reason, f"held: {r.hold_reason}") + f" (site {place})"
    elif r.state == common_pb2.REJECTED:
        text = _HELD_WHY.get(r.hold_reason, f"rejected: {r.hold_reason or 'see audit log'}")
    else:
        text = state
    spoiled = sum(1 for a in r.attempts if a.state == common_pb2.SPOILED)
    return {"record_id": r.record_id, "campaign_id": r.campaign_id, "site_code": r.site_code,
            "kelurahan": _kelurahan(r.site_code), "state": state, "hold_reason": r.hold_reason,
            "printed_ms": r.printed_ms, "attempts": len(r.attempts), "spoiled_attempts": spoiled,
            "summary": text}


def _status(args: argparse.Namespace) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    if not (len(args.nik) == 16 and args.nik.isdigit()):
        print("cetak record status: NIK: expected 16 digits", file=sys.stderr)
        return 2
    stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    try:
        r = stub.LookupRecord(admin_pb2.LookupRecordRequest(nik=args.nik,
                                                            campaign_id=args.campaign))
    except grpc.RpcError as exc:
        print(f"cetak record status: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    records = [describe(x) for x in r.records]
    if args.json:
        print(json.dumps({"found": bool(records), "records": records}))
    elif records:
        for d in records:
            print(f"{d['campaign_id']} {d['record_id']}: {d['summary']}")
    if not records:
        print("cetak record status: no record with that NIK"
              + (" in that campaign" if args.campaign else ""), file=sys.stderr)
        return 1
    return 0


def _adjudicate(args: argparse.Namespace) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    if not args.reason.strip():
        print("cetak record adjudicate: --reason must say why", file=sys.stderr)
        return 2
    stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    try:
        r = stub.AdjudicateRecord(admin_pb2.AdjudicateRequest(
            record_id=args.record_id, release=args.release, reason=args.reason))
    except grpc.RpcError as exc:
        print(f"cetak record adjudicate: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    d = describe(r.record)
    if args.json:
        print(json.dumps(d))
    else:
        print(f"{d['record_id']}: {d['summary']}", file=sys.stderr)
    return 0
