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
        return 1
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
        return 1
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
        return 1
    out = {"name": identity.name, "role": identity.role.value, "site_code": identity.site_code,
           "actor": identity.actor, "serial": f"{cert.serial_number:x}",
           "not_after": cert.not_valid_after_utc.isoformat()}
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key}: {value}")
    return 0


def _report(args: argparse.Namespace, out: dict) -> None:
    if args.json:
        print(json.dumps(out))
        return
    for item in out["issued"]:
        site = f" site {item['site_code']}" if item["site_code"] else ""
        print(f"{item['role']} {item['name']}{site}: {item['cert']} (key {item['key']}), "
              f"serial {item['serial']}, valid until {item['not_after']}")

