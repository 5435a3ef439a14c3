"""`cetak record status NIK`, `record adjudicate RECORD_ID`, `record held` and
`record resolve ATTEMPT_ID`, over the admin API.

This module builds the `record` group: the file commands (`validate`, `generate`) come from
cetak.prr.cli, the lookups below go over the admin API. Output names the
record, its kelurahan and state, never the citizen's name: a NIK is all the caller gave.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from cetak.client import add_connection_options, admin_call

# Exit codes: 0 found / done, 1 not found or refused, 2 bad input.


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `record` subcommands to `parser`."""
    from cetak.prr.cli import add_subcommands as add_file_subcommands

    sub = parser.add_subparsers(dest="record_command", metavar="SUBCOMMAND")
    add_file_subcommands(sub)
    add_subcommands(sub)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def add_subcommands(sub: argparse._SubParsersAction) -> None:
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

    held = sub.add_parser("held", help="list held records: possible duplicates to adjudicate "
                                       "and print attempts whose outcome is unknown",
                          description="Records held, with the attempt to resolve when the "
                                      "outcome of a print is unknown (`cetak record resolve "
                                      "ATTEMPT_ID`).")
    held.add_argument("--campaign", default="", help="only this campaign")
    held.add_argument("--site", default="", help="only this kelurahan code")
    held.add_argument("--json", action="store_true")
    add_connection_options(held)
    held.set_defaults(handler=_held)

    resolve = sub.add_parser("resolve", help="decide a print attempt whose outcome is unknown",
                             description="Decide an unknown print attempt from what was "
                                         "found at the printer. printed: the card exists and "
                                         "is good; spoiled: a blank was used, no good card; "
                                         "not-fed: no blank was used. Spoiled and not-fed put "
                                         "the record back in the queue.")
    resolve.add_argument("attempt_id")
    outcome = resolve.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--printed", dest="resolution", action="store_const",
                         const="printed", help="the card was found and is good")
    outcome.add_argument("--spoiled", dest="resolution", action="store_const",
                         const="spoiled", help="a blank was consumed, no good card")
    outcome.add_argument("--not-fed", dest="resolution", action="store_const",
                         const="not_fed", help="no blank was consumed")
    resolve.add_argument("--evidence", required=True,
                         help="what was found (kept in the audit log), e.g. \"card in the "
                              "output hopper, counter 10233\"")
    resolve.add_argument("--json", action="store_true")
    add_connection_options(resolve)
    resolve.set_defaults(handler=_resolve)


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


def _reason_of_state(r) -> str:  # noqa: ANN001 - a RecordSummary without `why`
    """The reason a summary's state and hold reason alone give (ListHeld's records)."""
    from cetak.api.v1 import common_pb2

    from .blockers import HOLD_REASONS

    if r.state == common_pb2.HELD:
        return HOLD_REASONS.get(r.hold_reason, "held")
    return {common_pb2.RECORD_PRINTED: "printed", common_pb2.RECORD_LEASED: "leased",
            common_pb2.REJECTED: "rejected", common_pb2.CANCELLED: "cancelled"}.get(
        r.state, "queued")


def describe(r) -> dict:
    """A RecordSummary as what a front-desk clerk needs to tell the citizen: `reason` (why it
    is where it is, blockers.py) with its numbers, and the words for it in Bahasa Indonesia
    (`summary_id`) and English (`summary`)."""
    from cetak.api.v1 import common_pb2

    from .status_text import record_text

    state = common_pb2.RecordState.Name(r.state).removeprefix("RECORD_").lower()
    reason = r.why.reason if r.HasField("why") and r.why.reason else _reason_of_state(r)
    detail = {k: int(getattr(r.why, k)) for k in ("budget", "budget_used",
                                                   "queued_in_category", "blanks_available",
                                                   "queued_at_site")
              if getattr(r.why, k)}
    kategori = common_pb2.Category.Name(r.kategori) if r.kategori else ""
    spoiled = sum(1 for a in r.attempts if a.state == common_pb2.SPOILED)
    d = {"record_id": r.record_id, "campaign_id": r.campaign_id, "site_code": r.site_code,
         "kelurahan": _kelurahan(r.site_code), "state": state, "hold_reason": r.hold_reason,
         "kategori": kategori, "reason": reason, "reason_detail": detail,
         "printed_ms": r.printed_ms, "attempts": len(r.attempts), "spoiled_attempts": spoiled}
    lines = record_text(_words(d), "id")
    d["summary_id"], d["summary"] = lines[0], lines[-1]
    return d


def _words(d: dict) -> dict:
    place = d["site_code"] + (f" ({d['kelurahan']})" if d["kelurahan"] else "")
    return {**d, "place": place, "printed_at": _when(d["printed_ms"]),
            "reason": "printable" if d["reason"] == "queued" else d["reason"]}


def say(d: dict) -> str:
    """describe()'s record in the chosen language, then English on the next line."""
    from .status_text import record_text

    return "\n    ".join(record_text(_words(d)))


def _status(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    if not (len(args.nik) == 16 and args.nik.isdigit()):
        print("cetak record status: NIK: expected 16 digits", file=sys.stderr)
        return 2
    r = admin_call(args, "record status", "LookupRecord",
                   admin_pb2.LookupRecordRequest(nik=args.nik, campaign_id=args.campaign))
    if r is None:
        return 1
    records = [describe(x) for x in r.records]
    if args.json:
        print(json.dumps({"found": bool(records), "records": records}))
    elif records:
        for d in records:
            print(f"{d['campaign_id']} {d['record_id']}: {say(d)}")
    if not records:
        print("cetak record status: no record with that NIK"
              + (" in that campaign" if args.campaign else ""), file=sys.stderr)
        return 1
    return 0


def _adjudicate(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    if not args.reason.strip():
        print("cetak record adjudicate: --reason must say why", file=sys.stderr)
        return 2
    r = admin_call(args, "record adjudicate", "AdjudicateRecord", admin_pb2.AdjudicateRequest(
        record_id=args.record_id, release=args.release, reason=args.reason))
    return 1 if r is None else _show_record(args, r.record)


def _show_record(args: argparse.Namespace, record) -> int:  # noqa: ANN001 - RecordSummary
    d = describe(record)
    if args.json:
        print(json.dumps(d))
    else:
        print(f"{d['record_id']}: {say(d)}", file=sys.stderr)
    return 0


def _unknown_attempt(r) -> str:  # noqa: ANN001 - a RecordSummary
    from cetak.api.v1 import common_pb2

    return next((a.attempt_id for a in r.attempts if a.state == common_pb2.UNKNOWN), "")


def _held(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    r = admin_call(args, "record held", "ListHeld",
                   admin_pb2.ListHeldRequest(campaign_id=args.campaign, site_code=args.site))
    if r is None:
        return 1
    rows = [{**describe(x), "unknown_attempt_id": _unknown_attempt(x)} for x in r.records]
    if args.json:
        print(json.dumps({"held": rows}))
        return 0
    for d in rows:
        then = (f"; resolve: cetak record resolve {d['unknown_attempt_id']} "
                "--printed|--spoiled|--not-fed --evidence ...") if d["unknown_attempt_id"] \
            else (f"; decide: cetak record adjudicate {d['record_id']} --release|--reject "
                  "--reason ...") if d["hold_reason"] == "possible_duplicate_person" else ""
        print(f"{d['campaign_id']} {d['record_id']}: {d['summary']}{then}")
    print(f"{len(rows)} held", file=sys.stderr)
    return 0


def _resolve(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    if not args.evidence.strip():
        print("cetak record resolve: --evidence must say what was found", file=sys.stderr)
        return 2
    resolution = {"printed": admin_pb2.RESOLVED_PRINTED, "spoiled": admin_pb2.RESOLVED_SPOILED,
                  "not_fed": admin_pb2.RESOLVED_NOT_FED}[args.resolution]
    r = admin_call(args, "record resolve", "ResolveAttempt", admin_pb2.ResolveAttemptRequest(
        attempt_id=args.attempt_id, resolution=resolution, evidence=args.evidence))
    return 1 if r is None else _show_record(args, r.record)
