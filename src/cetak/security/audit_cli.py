"""`cetak audit`: check that the audit log is intact.

Exit codes of ``verify``: 0 the chain holds, 1 problems found, 2 the store cannot be used.
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

