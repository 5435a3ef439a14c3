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

from cetak.client import add_connection_options, admin_call, site_zones

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
    resolve.add_argument("--serial", default="", metavar="BLANK_SERIAL",
                         help="the blank's serial as read off the card, when the attempt "
                              "names none (the agent stopped before it read it), so that "
                              "`inventory destroy --serials` accepts the spoiled blank, e.g. "
                              "KTP0001003")
    resolve.add_argument("--json", action="store_true")
    add_connection_options(resolve)
    resolve.set_defaults(handler=_resolve)


def _when(ms: int, zone: str = "") -> str:
    from cetak.timefmt import format_ms

    return format_ms(ms, zone, empty="")


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


def describe(r, zones: dict[str, str] | None = None) -> dict:  # noqa: ANN001
    """A RecordSummary as what a front-desk clerk needs to tell the citizen: `reason` (why it
    is where it is, blockers.py) with its numbers, and the words for it in Bahasa Indonesia
    (`summary_id`) and English (`summary`); times in the zone of the record's site, from
    `zones` (site code -> time zone)."""
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
         "printed_ms": r.printed_ms, "zone": (zones or {}).get(r.site_code, ""),
         "attempts": len(r.attempts), "spoiled_attempts": spoiled}
    lines = record_text(_words(d), "id")
    d["summary_id"], d["summary"] = lines[0], lines[-1]
    return d


def _words(d: dict) -> dict:
    place = d["site_code"] + (f" ({d['kelurahan']})" if d["kelurahan"] else "")
    return {**d, "place": place, "printed_at": _when(d["printed_ms"], d.get("zone", "")),
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
    zones = site_zones(args, "record status") if r.records else {}
    records = [describe(x, zones) for x in r.records]
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
    return _show_record(args, r.record)


def _show_record(args: argparse.Namespace, record) -> int:  # noqa: ANN001 - RecordSummary
    d = describe(record)
    if args.json:
        print(json.dumps(d))
    else:
        print(f"{d['record_id']}: {say(d)}")
    return 0


def _unknown_attempt(r) -> str:  # noqa: ANN001 - a RecordSummary
    from cetak.api.v1 import common_pb2

    return next((a.attempt_id for a in r.attempts if a.state == common_pb2.UNKNOWN), "")


def _person(p) -> dict:  # noqa: ANN001 - an admin_pb2.HeldPerson
    from cetak.api.v1 import common_pb2

    return {"record_id": p.record_id, "campaign_id": p.campaign_id, "site_code": p.site_code,
            "nik": p.nik, "nama": p.nama, "tanggal_lahir": p.tanggal_lahir,
            "state": common_pb2.RecordState.Name(p.state).removeprefix("RECORD_").lower()}


def _held(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    r = admin_call(args, "record held", "ListHeld",
                   admin_pb2.ListHeldRequest(campaign_id=args.campaign, site_code=args.site))
    details = {d.record_id: d for d in r.details}
    rows = []
    for x in r.records:
        d = details.get(x.record_id)
        rows.append({**describe(x), "unknown_attempt_id": _unknown_attempt(x),
                     "person": _person(d.person) if d else None,
                     "others": [_person(o) for o in d.others] if d else [],
                     "masked": bool(d and d.masked)})
    if args.json:
        print(json.dumps({"held": rows}))
        return 0
    from rich.markup import escape

    from cetak.output import say

    # A block per record: what an adjudicator compares is read down, not across.
    for d in rows:
        then = (f"cetak record resolve {d['unknown_attempt_id']} --printed|--spoiled|"
                "--not-fed --evidence ...") if d["unknown_attempt_id"] \
            else (f"cetak record adjudicate {d['record_id']} --release|--reject --reason ..."
                  if d["hold_reason"] == "possible_duplicate_person" else "")
        say(escape(f"{d['campaign_id']} {d['record_id']}: {d['summary']}"))
        if d["person"]:
            p = d["person"]
            say(escape(f"  person:      NIK {p['nik']}, {p['nama']}, born {p['tanggal_lahir']}"))
        for o in d["others"]:
            say(escape(f"  same person: {o['record_id']} ({o['state']} at {o['site_code']}): "
                       f"NIK {o['nik']}, {o['nama']}, born {o['tanggal_lahir']}"))
        if then:
            say(escape(f"  decide:      {then}"))
    print(f"{len(rows)} held", file=sys.stderr)
    if any(d["masked"] for d in rows):
        print("cetak record held: names, NIKs and birth dates are masked: this identity may "
              "not see personal data (admins may, and a site's own operator)", file=sys.stderr)
    return 0


def _resolve(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2
    from cetak.controller.model import BLANK_SERIAL

    if not args.evidence.strip():
        print("cetak record resolve: --evidence must say what was found", file=sys.stderr)
        return 2
    serial = args.serial.strip()
    if serial and not BLANK_SERIAL.fullmatch(serial):
        print(f"cetak record resolve: --serial {serial[:70]!r}: expected up to 64 letters, "
              "digits, '-', '/', '_', '.' or '#', ending in the blank's number (e.g. "
              "KTP0001003)", file=sys.stderr)
        return 2
    if serial and args.resolution == "not_fed":
        print("cetak record resolve: --serial names the blank the attempt used; --not-fed "
              "means it used none", file=sys.stderr)
        return 2
    resolution = {"printed": admin_pb2.RESOLVED_PRINTED, "spoiled": admin_pb2.RESOLVED_SPOILED,
                  "not_fed": admin_pb2.RESOLVED_NOT_FED}[args.resolution]
    r = admin_call(args, "record resolve", "ResolveAttempt", admin_pb2.ResolveAttemptRequest(
        attempt_id=args.attempt_id, resolution=resolution, evidence=args.evidence,
        blank_serial=serial))
    return _show_record(args, r.record)
