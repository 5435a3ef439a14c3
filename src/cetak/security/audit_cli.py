"""`cetak audit`: check that the audit log is intact (``verify``, on the store) and read it
(``show``, over the admin API, for admins and auditors).

Exit codes of ``verify``: 0 the chain holds, 1 problems found, 2 the store cannot be used.
``show``: 0 shown (also when nothing matched), 2 unusable input or refused.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="SUBCOMMAND")
    verify = sub.add_parser("verify", help="check the hash chain of a store's audit log")
    verify.add_argument("--store", required=True, metavar="URL",
                        help="sqlite:///path/to/file.db or a plain path")
    verify.add_argument("--anchor", metavar="SEQ:HASH",
                        help="an entry noted earlier (printed by a previous verify as 'head'); "
                             "shows removal of the newest entries or a rewritten chain")
    verify.add_argument("--json", action="store_true", help="one JSON object on stdout")
    verify.set_defaults(handler=_verify)

    from cetak.client import add_connection_options

    show = sub.add_parser("show", help="read the audit log: who did what, when (filters, "
                                       "--json, --csv)",
                          description="Entries of the controller's audit log, oldest first. "
                                      "Times are read in WIB unless they carry an offset; a "
                                      "date alone for --until means the end of that day.")
    show.add_argument("--since", metavar="TIME", help="from this date or date-time")
    show.add_argument("--until", metavar="TIME", help="up to this date or date-time")
    show.add_argument("--actor", default="", help="e.g. admin:admin, or a prefix: agent:*")
    show.add_argument("--action", default="", help="e.g. campaign.cancel, or a prefix: "
                                                   "lease.* / operator.")
    show.add_argument("--site", default="", metavar="CODE", help="entries about this site")
    show.add_argument("--record", default="", metavar="RECORD_ID",
                      help="entries about this record (and its print attempts)")
    which = show.add_mutually_exclusive_group()
    which.add_argument("--refused", action="store_true", help="only refused calls")
    which.add_argument("--allowed", action="store_true", help="only allowed ones")
    show.add_argument("--limit", type=int, default=1000, help="at most this many (max 10000)")
    form = show.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object on stdout")
    form.add_argument("--csv", action="store_true", help="CSV on stdout (for a spreadsheet)")
    add_connection_options(show)
    show.set_defaults(handler=_show)


def sqlite_path(url: str) -> str:
    """The file a store URL names.

    ``sqlite:///abs/path.db`` and SQLAlchemy's ``sqlite:////abs/path.db`` -> ``/abs/path.db``;
    ``sqlite:rel.db`` -> ``rel.db``; anything without a scheme is a path as it stands.
    """
    if url.startswith("sqlite:"):
        rest = url[len("sqlite:"):]
        if rest.startswith("//"):
            rest = rest[2:]
        # "//x" is not "/x" to sqlite's URI parser (it would be a host name).
        return "/" + rest.lstrip("/") if rest.startswith("//") else rest
    if "://" in url:
        raise ValueError(f"unsupported store {url.split('://', 1)[0]!r}; only sqlite for now")
    return url


def _verify(args: argparse.Namespace) -> int:
    import os
    import sqlite3
    import urllib.parse

    from cetak.security.audit import verify_chain
    from cetak.security.errors import AuditError
    from cetak.security.sqlite_audit import SqliteAuditSink

    anchor = None
    if args.anchor:
        seq, _, digest = args.anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            return _unusable(args, f"--anchor {args.anchor!r}: expected SEQ:64-hex-digit-hash")
        anchor = (int(seq), digest.lower())
    try:
        path = sqlite_path(args.store)
    except ValueError as exc:
        return _unusable(args, str(exc))
    if not path or not os.path.isfile(path):
        return _unusable(args, f"{path or args.store}: no such database file")
    try:
        # Read-only: verifying must never change (or create) what it verifies.
        conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return _unusable(args, f"{path}: {exc}")
    try:
        sink = SqliteAuditSink(conn, create=False)
        entries = list(sink.iter_entries())
        warnings = [f"append-only trigger {name} is missing"
                    for name in sink.missing_triggers()]
    except AuditError as exc:
        return _unusable(args, f"{path}: {exc}")
    finally:
        conn.close()

    problems = verify_chain(entries, anchor)
    head = {"seq": entries[-1].seq, "hash": entries[-1].hash} if entries else None
    if args.json:
        print(json.dumps({"ok": not problems, "store": args.store, "entries": len(entries),
                          "head": head, "warnings": warnings,
                          "problems": [{"seq": p.seq, "kind": p.kind, "message": p.message}
                                       for p in problems]}))
    else:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for problem in problems:
            print(f"PROBLEM {problem}")
        verdict = "OK" if not problems else f"{len(problems)} problem(s)"
        head_text = f", head {head['seq']}:{head['hash']}" if head else ""
        print(f"audit log {verdict}: {len(entries)} entries{head_text}")
    return EXIT_PROBLEMS if problems else EXIT_OK


def _unusable(args: argparse.Namespace, message: str) -> int:
    print(f"cetak audit verify: {message}", file=sys.stderr)
    if args.json:
        print(json.dumps({"ok": False, "store": args.store, "error": message}))
    return EXIT_UNUSABLE



def _bound(text: str | None, option: str, end_of_day: bool = False) -> int:
    from cetak.client import ClientError
    from cetak.timefmt import parse_ms

    if not text:
        return 0
    try:
        ms = parse_ms(text)
    except ValueError as exc:
        raise ClientError(f"cetak audit show: {option} {exc}") from None
    if end_of_day and len(text.strip()) == 10:  # a date: through its last millisecond
        ms += 24 * 3600 * 1000 - 1
    return ms


def _summary(action: str, detail: dict) -> str:
    """A detail in a line: a batch of facts by what they are, anything else as compact JSON
    (the full detail is in --json and --csv)."""
    facts = detail.get("facts") if action == "ledger.batch" else None
    if isinstance(facts, list):
        counts: dict[str, int] = {}
        for fact in facts:
            name = str(fact[1]) if isinstance(fact, list) and len(fact) == 3 else "?"
            counts[name] = counts.get(name, 0) + 1
        return f"{len(facts)} facts: " + ", ".join(f"{n} x{c}" for n, c in counts.items())
    return json.dumps(detail, ensure_ascii=False, separators=(", ", ": "))


def _show(args: argparse.Namespace) -> int:
    import csv

    from rich.markup import escape

    from cetak.api.v1 import admin_pb2
    from cetak.client import admin_call, site_zones
    from cetak.output import table
    from cetak.timefmt import campaign_zone, format_ms, zone

    if not 1 <= args.limit <= 10_000:
        print("cetak audit show: --limit: expected 1 to 10000", file=sys.stderr)
        return EXIT_UNUSABLE
    request = admin_pb2.ListAuditRequest(
        since_ms=_bound(args.since, "--since"), until_ms=_bound(args.until, "--until", True),
        actor=args.actor, action=args.action, site_code=args.site, record_id=args.record,
        limit=args.limit, allowed_only=args.allowed, refused_only=args.refused)
    r = admin_call(args, "audit show", "ListAuditEntries", request)
    entries = [{"seq": e.seq, "at_ms": e.at_ms, "actor": e.actor, "action": e.action,
                "allowed": e.allowed, "detail": json.loads(e.detail_json or "{}"),
                "hash": e.hash} for e in r.entries]
    if args.json:
        print(json.dumps({"entries": entries, "truncated": r.truncated}))
        return EXIT_OK
    shown_in = campaign_zone(site_zones(args, "audit show").values())
    if args.csv:
        from datetime import datetime

        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["seq", "time", "actor", "action", "allowed", "detail", "hash"])
        for e in entries:
            at = datetime.fromtimestamp(e["at_ms"] / 1000, zone(shown_in))
            out.writerow([e["seq"], at.isoformat(timespec="milliseconds"), e["actor"],
                          e["action"], "yes" if e["allowed"] else "REFUSED",
                          json.dumps(e["detail"], ensure_ascii=False), e["hash"]])
    else:
        table("Audit log", [("seq", "number"), ("time", "time"), ("actor", "id"),
                            ("action", "id"), ("allowed", "id"), ("detail", "text")],
              [[str(e["seq"]), format_ms(e["at_ms"], shown_in), e["actor"], e["action"],
                "yes" if e["allowed"] else "[red]REFUSED[/red]",
                escape(_summary(e["action"], e["detail"]))] for e in entries])
    if r.truncated:
        print(f"cetak audit show: more than {args.limit} entries match; narrow the search "
              "(--since, --action, ...) or raise --limit", file=sys.stderr)
    return EXIT_OK
