"""`cetak chip ...`: verify chip files (`<record>.chip`) written by printers.

`verify` exit codes: 0 every hash and the signature check out, 1 any mismatch or malformed
content, 2 the file or certificate cannot be read or no trust anchor was given.
Output names data groups and problems only, never the personal data inside.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD, EXIT_UNUSABLE = 0, 1, 2


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `chip` subcommands to `parser`."""
    sub = parser.add_subparsers(dest="chip_command", metavar="SUBCOMMAND")
    verify = sub.add_parser(
        "verify", help="check a chip file's data group hashes and signature",
        description="Check every data group hash and the security object's ECDSA signature. "
                    "Trust: --cert (the document-signer certificate) or --ca (the CA that "
                    "issued the certificate embedded in the chip file). Exit 0 when all "
                    "checks pass, 1 on any mismatch, 2 when an input cannot be read.")
    verify.add_argument("file", metavar="FILE")
    verify.add_argument("--cert", metavar="PATH", help="document-signer certificate (PEM)")
    verify.add_argument("--ca", metavar="PATH", help="CA certificate (PEM) that issued the "
                                                     "signer certificate embedded in FILE")
    verify.add_argument("--json", action="store_true",
                        help='print one JSON object {"ok","problems","groups",...}')
    verify.set_defaults(handler=_verify)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_UNUSABLE


def _read(path: str | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _Unusable(f"cannot read {what} {path}: {exc.strerror}") from exc


class _Unusable(Exception):
    pass


def _verify(args: argparse.Namespace) -> int:
    from cetak.card.chip import verify_chip_data

    try:
        if args.cert is None and args.ca is None:
            raise _Unusable("give --cert (document-signer certificate) or --ca")
        data = _read(args.file, "chip file")
        cert = _read(args.cert, "certificate")
        ca = _read(args.ca, "CA certificate")
    except _Unusable as exc:
        print(f"cetak chip verify: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc)}))
        return EXIT_UNUSABLE
    assert data is not None
    report = verify_chip_data(data, cert, ca_certificate_pem=ca)
    if args.json:
        print(json.dumps({"file": args.file, **report.as_json()}))
    else:
        for group in report.groups:
            state = "ok" if group.hash_ok else "HASH MISMATCH"
            print(f"{group.name} ({group.size} bytes): {state}")
        print(f"signature: {'ok' if report.signature_ok else 'NOT VERIFIED'}"
              + (f" ({report.signer})" if report.signer else ""))
        for problem in report.problems:
            print(f"problem: {problem}")
        print("OK" if report.ok else "FAILED")
    return EXIT_OK if report.ok else EXIT_BAD
