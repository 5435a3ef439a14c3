"""TLS for gRPC: mutual TLS by default, plaintext only when explicitly asked for.

The controller serves with `server_credentials` (client certificate required, verified against
the PKI's CA); agents and the admin CLI connect with `channel_credentials` /
`secure_channel`. `add_port` and `open_channel` are the one place where ``--insecure``
turns into plaintext, each time with a warning in the log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc

from cetak.security.errors import PkiError, TlsConfigError
from cetak.security.files import read_file
from cetak.security.pki import cert_and_key_paths

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
# The name every controller certificate carries (pki.DEFAULT_HOSTS); used as the expected
# server name when the target is an address or a name the certificate does not list.
CONTROLLER_TLS_NAME = "localhost"


def _read(path: PathLike, what: str) -> bytes:
    try:
        return read_file(Path(path))
    except PkiError as exc:
        raise TlsConfigError(f"{what}: {exc}") from exc


def server_credentials(pki_dir: PathLike) -> grpc.ServerCredentials:
    """Controller credentials: controller.pem/.key, clients must present a CA-signed cert."""
    cert, key = cert_and_key_paths(pki_dir, "controller")
    ca = Path(pki_dir) / "ca.pem"
    return grpc.ssl_server_credentials(
        [(_read(key, "controller key"), _read(cert, "controller certificate"))],
        root_certificates=_read(ca, "CA certificate"),
        require_client_auth=True,
    )


def channel_credentials(ca: PathLike, cert: PathLike, key: PathLike) -> grpc.ChannelCredentials:
    """Client credentials: trust only ``ca``, present ``cert``/``key``."""
    return grpc.ssl_channel_credentials(
        root_certificates=_read(ca, "CA certificate"),
        private_key=_read(key, "client key"),
        certificate_chain=_read(cert, "client certificate"),
    )


def client_files(pki_dir: PathLike, stem: str) -> tuple[Path, Path, Path]:
    """(ca.pem, STEM.pem, STEM.key) in a PKI folder; stem e.g. "admin" or "agent-lab-1"."""
    cert, key = cert_and_key_paths(pki_dir, stem)
    return Path(pki_dir) / "ca.pem", cert, key


def client_channel_credentials(pki_dir: PathLike, identity: str = "admin"
                               ) -> tuple[grpc.ChannelCredentials, str | None]:
    """(credentials, target name override) for the certificate ``identity`` in ``pki_dir``.

    ``identity`` is the file stem: "admin", "auditor-NAME", "operator-NAME", "agent-NAME".
    The override is the name every controller certificate carries, so any address works.
    That is safe because only the controller certificate has the serverAuth usage, which
    the client checks: an agent's or operator's certificate cannot pose as the controller.
    Add the override as the channel option ``grpc.ssl_target_name_override``.
    """
    return channel_credentials(*client_files(pki_dir, identity)), CONTROLLER_TLS_NAME


def secure_channel(target: str, ca: PathLike, cert: PathLike, key: PathLike, *,
                   server_name: str | None = CONTROLLER_TLS_NAME,
                   options: Sequence[tuple[str, Any]] = ()) -> grpc.aio.Channel:
    """A grpc.aio channel with mutual TLS.

    ``server_name``: the name checked against the controller certificate's SAN instead of
    the target's host (default "localhost", which every controller certificate carries, so
    127.0.0.1:PORT and [::1]:PORT work); None checks the target's own host name.
    """
    opts = list(options)
    if server_name:
        opts.append(("grpc.ssl_target_name_override", server_name))
    return grpc.aio.secure_channel(target, channel_credentials(ca, cert, key), options=opts)


def add_port(server: grpc.aio.Server, address: str, pki_dir: PathLike | None, *,
             insecure: bool = False) -> int:
    """Bind ``address`` with mutual TLS from ``pki_dir``, or plaintext with ``insecure``.

    Returns the bound port (bind "127.0.0.1:0" in tests). Without a PKI folder and without
    ``insecure`` it refuses: plaintext never happens by omission.
    """
    if not insecure and pki_dir is None:
        raise TlsConfigError("no PKI folder given; pass --pki DIR (or --insecure)")
    try:
        if insecure:
            log.warning("serving %s WITHOUT TLS (--insecure): callers are not authenticated "
                        "and traffic, including personal data, is readable on the network",
                        address)
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, server_credentials(pki_dir))
    except RuntimeError as exc:  # grpc's way of saying the address cannot be bound
        raise TlsConfigError(f"cannot bind {address}: {exc}") from exc
    if port == 0:
        raise TlsConfigError(f"cannot bind {address}")
    return port


def open_channel(target: str, *, ca: PathLike | None = None, cert: PathLike | None = None,
                 key: PathLike | None = None, insecure: bool = False,
                 server_name: str | None = CONTROLLER_TLS_NAME,
                 options: Sequence[tuple[str, Any]] = ()) -> grpc.aio.Channel:
    """Client-side twin of `add_port`: mutual TLS unless ``insecure`` (warned in the log)."""
    if insecure:
        log.warning("connecting to %s WITHOUT TLS (--insecure): the controller is not "
                    "authenticated and traffic is readable on the network", target)
        return grpc.aio.insecure_channel(target, options=list(options))
    if ca is None or cert is None or key is None:
        raise TlsConfigError("CA, certificate and key are all needed for TLS (or --insecure)")
    return secure_channel(target, ca, cert, key, server_name=server_name, options=options)
