"""Admin-side connection to a controller: one place that turns CLI options into a channel, and
the one place that turns what can go wrong on the way (no identity files, no controller, a
refusal) into one line for the person at the terminal.

Exit codes of every admin command (docs/admin-guide.md, "Exit codes"): 0 done; 1 done, with
problems found (a violation, a record not found); 2 unusable input or refused (a bad option,
a missing identity, an unreachable controller, any refusal by the controller).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import grpc

from cetak.i18n import N_, tr

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
DEFAULT_CONTROLLER = "127.0.0.1:7443"

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED = 0, 1, 2

UNREACHABLE = N_("cannot reach the controller at {address} — is it running? "
                 "(cetak controller serve)")
TLS_REFUSED = N_("the TLS connection to the controller at {address} failed: the controller "
                 "and this identity must come from the same PKI folder, and a revoked "
                 "certificate is refused ({details})")
TIMED_OUT = N_("the controller at {address} did not answer in time; try again, or look at "
               "its log")
PERMISSION = N_("refused by the controller: {details}")
UNAUTHENTICATED = N_("the controller does not accept this identity: {details}")
UNIMPLEMENTED = N_("the controller at {address} does not know this request (an older "
                   "version?); upgrade the controller")
CONTROLLER_FAILED = N_("the controller failed on this request: {details} (its log has the "
                       "details)")
BUSY = N_("the controller is busy: {details}")
NO_IDENTITY = N_("identity '{identity}': looked for {missing} and did not find it; "
                 "identities in {pki}: {available} (give --identity NAME, the file name "
                 "without .pem)")
NO_PKI_DIR = N_("--pki {pki}: no such folder (the folder `cetak pki init` wrote)")
UNREADABLE_IDENTITY = N_("identity '{identity}' in {pki}: {error}")
NEED_PKI = N_("give --pki DIR for mutual TLS, or --insecure")


class ClientError(Exception):
    """A command could not be done with the controller as asked: `message` is the one line
    the user reads, `exit_code` what the command exits with."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--controller", default=DEFAULT_CONTROLLER, metavar="HOST:PORT",
                        help="controller address")
    parser.add_argument("--pki", metavar="DIR", help="PKI folder holding ca.pem and the "
                        "client certificate (default identity: admin)")
    parser.add_argument("--identity", default="admin",
                        help="certificate name in the PKI folder (admin, auditor-NAME, ...)")
    parser.add_argument("--insecure", action="store_true", help="plaintext (tests and demos)")


_NOT_CLIENTS = ("ca", "controller", "document-signer")  # certificates that never call


def identities_in(pki: Path) -> list[str]:
    """The client identities a PKI folder holds: NAME for every NAME.pem beside a NAME.key."""
    try:
        return sorted(p.stem for p in pki.glob("*.pem")
                      if p.with_suffix(".key").is_file() and p.stem not in _NOT_CLIENTS)
    except OSError:
        return []


def check_identity(pki: str | Path, identity: str) -> tuple[Path, Path, Path]:
    """(ca.pem, IDENTITY.pem, IDENTITY.key) in `pki`, or ClientError naming the files looked
    for and the identities that are there."""
    from cetak.security.tls import client_files

    folder = Path(pki)
    if not folder.is_dir():
        raise ClientError(tr(NO_PKI_DIR, pki=folder))
    files = client_files(folder, identity)
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise ClientError(tr(NO_IDENTITY, identity=identity, missing=", ".join(missing),
                             pki=folder, available=", ".join(identities_in(folder)) or "-"))
    return files


def open_channel(address: str, *, pki: str | Path | None = None, identity: str = "admin",
                 insecure: bool = False) -> grpc.Channel:
    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
    if insecure or not pki:
        if not insecure:
            raise ClientError(tr(NEED_PKI))
        return grpc.insecure_channel(address, options=options)
    from cetak.security.errors import SecurityError
    from cetak.security.pki import load_certificate, load_private_key
    from cetak.security.tls import client_channel_credentials

    ca, cert, key = check_identity(pki, identity)
    try:
        # Read here so a damaged file is named; grpc would only fail the handshake later.
        load_certificate(ca)
        load_certificate(cert)
        load_private_key(key)
        credentials, target_override = client_channel_credentials(pki, identity)
    except SecurityError as exc:  # present but unreadable (mode, a folder in its place)
        raise ClientError(tr(UNREADABLE_IDENTITY, identity=identity, pki=pki,
                             error=exc)) from exc
    if target_override:
        options.append(("grpc.ssl_target_name_override", target_override))
    return grpc.secure_channel(address, credentials, options=options)


def channel_from_args(args: argparse.Namespace) -> grpc.Channel:
    return open_channel(args.controller, pki=args.pki, identity=args.identity,
                        insecure=args.insecure)


def admin_call(args: argparse.Namespace, command: str, method: str, request: object,
               timeout: float | None = None) -> object:
    """AdminService.`method`(`request`) on the controller the CLI options name: the reply.
    Anything that goes wrong is a ClientError with one line for `cetak COMMAND` (the CLI's
    main prints it and exits 2)."""
    from cetak.api.v1 import admin_pb2_grpc

    channel = channel_from_args(args)
    try:
        return getattr(admin_pb2_grpc.AdminServiceStub(channel), method)(request,
                                                                         timeout=timeout)
    except grpc.RpcError as exc:
        raise ClientError(f"cetak {command}: {describe_rpc_error(exc, args.controller)}") \
            from exc
    finally:
        channel.close()


def site_zones(args: argparse.Namespace, command: str) -> dict[str, str]:
    """Site code -> its time zone, as the controller's site registry keeps it (times are
    shown in the zone of the site they are about)."""
    from cetak.api.v1 import admin_pb2

    sites = admin_call(args, command, "ListSites", admin_pb2.ListSitesRequest())
    return {s.site_code: s.timezone for s in sites.sites}


def describe_rpc_error(exc: grpc.RpcError, address: str = "") -> str:
    """One line saying what a failed call means for the user (and what to do)."""
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    details = " ".join(str((exc.details() if hasattr(exc, "details") else "") or "").split())
    address = address or DEFAULT_CONTROLLER
    if code == grpc.StatusCode.UNAVAILABLE:
        lowered = details.lower()
        if any(word in lowered for word in ("ssl", "handshake", "certificate", "tls")):
            return tr(TLS_REFUSED, address=address, details=details)
        return tr(UNREACHABLE, address=address)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return tr(TIMED_OUT, address=address)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return tr(PERMISSION, details=details)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return tr(UNAUTHENTICATED, details=details)
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return tr(UNIMPLEMENTED, address=address)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return tr(BUSY, details=details)
    if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS):
        return tr(CONTROLLER_FAILED, details=details or code.name)
    # INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS, ...: the controller's
    # own reason names the problem.
    return details or code.name


def rpc_failure(command: str, exc: grpc.RpcError, address: str = "") -> int:
    """Say on stderr, in one line, why the controller did not do `cetak COMMAND`; the exit
    code for it, 2."""
    print(f"cetak {command}: {describe_rpc_error(exc, address)}", file=sys.stderr)
    return EXIT_REFUSED
