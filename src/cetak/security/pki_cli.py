"""`cetak pki`: create a PKI folder and issue certificates."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="pki_command", metavar="SUBCOMMAND")

    init = sub.add_parser("init", help="create CA, controller, admin and document-signer "
                                       "certificates")
    _common(init)
    init.add_argument("--host", action="append", default=[], metavar="NAME_OR_IP",
                      help="another name or address of the controller (repeatable); "
                           "localhost, 127.0.0.1 and ::1 are always included")
    init.add_argument("--admin-name", default="admin", help="CN of the admin certificate")
    init.set_defaults(handler=_init)

    for role, site, what in (("agent", True, "a printer-host agent of one site"),
                             ("operator", True, "an operator of one site"),
                             ("auditor", False, "a read-only auditor")):
        issue = sub.add_parser(f"issue-{role}", help=f"issue a certificate for {what}")
        _common(issue)
        if site:
            issue.add_argument("--site", required=True, metavar="CODE",
                               help="site code, e.g. 32.76.01.1006")
        issue.add_argument("--name", required=True,
                           help=f"certificate CN; files {role}-NAME.pem / {role}-NAME.key")
        issue.add_argument("--days", type=int, default=None, help="validity in days")
        issue.set_defaults(handler=_issue, role=role)

    revoke = sub.add_parser("revoke", help="revoke a certificate (a stolen PC, a dismissed "
                                           "operator): the controller refuses it at once",
                            description="Adds the certificate to crl.pem in the PKI folder, "
                                        "signed by the CA. A controller serving with this "
                                        "folder re-reads it within seconds: the certificate's "
                                        "calls are refused and a connected agent is cut off. "
                                        "Copy crl.pem to the controller host when the CA is "
                                        "kept elsewhere.")
    revoke.add_argument("--dir", required=True, type=Path, help="the PKI folder (with ca.key)")
    revoke.add_argument("cert", type=Path, help="the certificate (.pem) to revoke")
    revoke.add_argument("--reason", default="key_compromise",
                        choices=["key_compromise", "affiliation_changed", "superseded",
                                 "cessation_of_operation", "unspecified"])
    revoke.add_argument("--json", action="store_true", help="one JSON object on stdout")
    revoke.set_defaults(handler=_revoke)

    revoked = sub.add_parser("revoked", help="list the certificates revoked in a PKI folder")
    revoked.add_argument("--dir", required=True, type=Path, help="the PKI folder")
    revoked.add_argument("--json", action="store_true", help="one JSON object on stdout")
    revoked.set_defaults(handler=_revoked)

    show = sub.add_parser("show", help="print the identity a certificate encodes")
    show.add_argument("cert", type=Path, help="a .pem certificate")
    show.add_argument("--json", action="store_true", help="one JSON object on stdout")
    show.set_defaults(handler=_show)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", required=True, type=Path, help="the PKI folder")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _init(args: argparse.Namespace) -> int:
    from cetak.security.errors import SecurityError
    from cetak.security.pki import init_pki

    try:
        issued = init_pki(args.dir, hosts=args.host, admin_name=args.admin_name,
                          force=args.force)
    except SecurityError as exc:
        print(f"cetak pki init: {exc}", file=sys.stderr)
        return 2
    _report(args, {"dir": str(args.dir), "issued": [i.as_json() for i in issued]})
    return 0


def _issue(args: argparse.Namespace) -> int:
    from cetak.security.errors import SecurityError
    from cetak.security.identity import Role
    from cetak.security.pki import CLIENT_DAYS, issue_client

    try:
        issued = issue_client(args.dir, Role(args.role), args.name, getattr(args, "site", None),
                              force=args.force, days=args.days or CLIENT_DAYS)
    except SecurityError as exc:
        print(f"cetak pki issue-{args.role}: {exc}", file=sys.stderr)
        return 2
    _report(args, {"dir": str(args.dir), "issued": [issued.as_json()]})
    return 0


def _show(args: argparse.Namespace) -> int:
    from cetak.security.errors import SecurityError
    from cetak.security.identity import identity_from_certificate
    from cetak.security.pki import load_certificate

    try:
        cert = load_certificate(args.cert)
        identity = identity_from_certificate(cert)
    except SecurityError as exc:
        print(f"cetak pki show: {exc}", file=sys.stderr)
        return 2
    out = {"name": identity.name, "role": identity.role.value, "site_code": identity.site_code,
           "actor": identity.actor, "serial": f"{cert.serial_number:x}",
           "not_after": cert.not_valid_after_utc.isoformat()}
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key}: {value}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from cetak.security.errors import SecurityError
    from cetak.security.revocation import crl_path, revoke

    try:
        entry = revoke(args.dir, args.cert, args.reason)
    except SecurityError as exc:
        print(f"cetak pki revoke: {exc}", file=sys.stderr)
        return 2
    out = {"serial": f"{entry.serial:x}", "revoked_at": entry.revoked_at.isoformat(),
           "reason": entry.reason, "crl": str(crl_path(args.dir))}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"revoked serial {out['serial']} ({entry.reason}) since {out['revoked_at']}; "
              f"list: {out['crl']}", file=sys.stderr)
    return 0


def _revoked(args: argparse.Namespace) -> int:
    from cetak.security.errors import SecurityError
    from cetak.security.revocation import revoked_list

    try:
        entries = revoked_list(args.dir)
    except SecurityError as exc:
        print(f"cetak pki revoked: {exc}", file=sys.stderr)
        return 2
    rows = [{"serial": f"{e.serial:x}", "revoked_at": e.revoked_at.isoformat(),
             "reason": e.reason} for e in entries]
    if args.json:
        print(json.dumps({"revoked": rows}))
    else:
        for row in rows:
            print(f"{row['serial']} {row['revoked_at']} {row['reason']}")
    return 0


def _report(args: argparse.Namespace, out: dict) -> None:
    if args.json:
        print(json.dumps(out))
        return
    for item in out["issued"]:
        site = f" site {item['site_code']}" if item["site_code"] else ""
        print(f"{item['role']} {item['name']}{site}: {item['cert']} (key {item['key']}), "
              f"serial {item['serial']}, valid until {item['not_after']}")

