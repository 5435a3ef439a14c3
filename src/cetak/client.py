"""Admin-side connection to a controller: one place that turns CLI options into a channel."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import grpc

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--controller", default="127.0.0.1:7443", metavar="HOST:PORT",
                        help="controller address")
    parser.add_argument("--pki", metavar="DIR", help="PKI folder holding ca.pem and the "
                        "client certificate (default identity: admin)")
    parser.add_argument("--identity", default="admin",
                        help="certificate name in the PKI folder (admin, auditor-NAME, ...)")
    parser.add_argument("--insecure", action="store_true", help="plaintext (tests and demos)")


def open_channel(address: str, *, pki: str | Path | None = None, identity: str = "admin",
                 insecure: bool = False) -> grpc.Channel:
    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
    if insecure or not pki:
        if not insecure:
            raise ValueError("give --pki DIR for mutual TLS, or --insecure")
        return grpc.insecure_channel(address, options=options)
    from cetak.security.tls import client_channel_credentials

    credentials, target_override = client_channel_credentials(pki, identity)
    if target_override:
        options.append(("grpc.ssl_target_name_override", target_override))
    return grpc.secure_channel(address, credentials, options=options)


def channel_from_args(args: argparse.Namespace) -> grpc.Channel:
    return open_channel(args.controller, pki=args.pki, identity=args.identity,
                        insecure=args.insecure)


def admin_call(args: argparse.Namespace, command: str, method: str, request: object,
               timeout: float | None = None) -> object | None:
    """AdminService.`method`(`request`) on the controller the CLI options name: the reply, or
    None once `cetak COMMAND: CODE: details` is on stderr (the caller exits 1)."""
    from cetak.api.v1 import admin_pb2_grpc

    stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    try:
        return getattr(stub, method)(request, timeout=timeout)
    except grpc.RpcError as exc:
        rpc_failure(command, exc)
        return None


def rpc_failure(command: str, exc: grpc.RpcError) -> int:
    """Say on stderr that the controller refused `cetak COMMAND` (code and its reason);
    the exit code for it, 1."""
    print(f"cetak {command}: {exc.code().name}: {exc.details()}", file=sys.stderr)
    return 1
