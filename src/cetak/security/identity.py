"""Who is calling: identities encoded in cetak certificates, and reading them back.

Encoding (written by `cetak.security.pki`, read here; both sides must agree):

- subject ``CN=<name>, OU=<role>, O=cetak``
- subjectAltName URI ``urn:cetak:role:<role>`` (always) and ``urn:cetak:site:<site code>``
  (agents and operators, exactly one)
- roles: ``admin``, ``operator``, ``auditor``, ``agent``, ``controller``; the document signer
  (``document-signer``) is not a calling identity and never parses as one.

The SAN URI is the authoritative role; the OU must say the same, so a certificate whose two
places disagree is refused rather than guessed at.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from cryptography import x509
from cryptography.x509.oid import NameOID

from cetak.security.errors import CertificateIdentityError

ROLE_URN_PREFIX = "urn:cetak:role:"
SITE_URN_PREFIX = "urn:cetak:site:"
ORGANIZATION = "cetak"

# Names end up in file names (agent-NAME.pem) and log lines: no slashes, spaces or dots first.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Site codes are Kemendagri region codes such as 32.76.01.1006; letters and dashes are allowed
# for test and training sites, but nothing that could break a URN or a path.
SITE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,31}$")


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    AUDITOR = "auditor"
    AGENT = "agent"
    CONTROLLER = "controller"


# Roles bound to one site: their certificate must carry exactly one site URI.
SITE_ROLES = frozenset({Role.AGENT, Role.OPERATOR})


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller: ``site_code`` is set for agents and operators, None otherwise."""

    name: str
    role: Role
    site_code: str | None = None
    # The certificate's serial, for the revocation list (not part of who the caller is).
    serial: int = field(default=0, compare=False)

    @property
    def actor(self) -> str:
        """How the audit log names this caller, e.g. ``agent:lab-1@32.76.01.1006``."""
        base = f"{self.role.value}:{self.name}"
        return f"{base}@{self.site_code}" if self.site_code else base


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise CertificateIdentityError(
            f"{name!r} is not a valid name (letters, digits, '.', '_', '-'; max 64)", "name")
    return name


def check_site_code(site_code: str) -> str:
    if not SITE_CODE_RE.fullmatch(site_code):
        raise CertificateIdentityError(
            f"{site_code!r} is not a valid site code (e.g. 32.76.01.1006)", "site_code")
    return site_code


def identity_from_certificate(cert: x509.Certificate) -> Identity:
    """Read the identity a cetak certificate encodes; raise CertificateIdentityError if none."""
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ous = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if len(cns) != 1:
        raise CertificateIdentityError("exactly one CN expected", "subject.CN")
    if len(ous) != 1:
        raise CertificateIdentityError("exactly one OU expected", "subject.OU")
    name = check_name(str(cns[0].value))
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    roles = [u[len(ROLE_URN_PREFIX):] for u in uris if u.startswith(ROLE_URN_PREFIX)]
    sites = [u[len(SITE_URN_PREFIX):] for u in uris if u.startswith(SITE_URN_PREFIX)]
    if len(roles) != 1:
        raise CertificateIdentityError(f"exactly one {ROLE_URN_PREFIX}* URI expected", "SAN")
    try:
        role = Role(roles[0])
    except ValueError:
        raise CertificateIdentityError(f"unknown role {roles[0]!r}", "SAN") from None
    if str(ous[0].value) != role.value:
        raise CertificateIdentityError(
            f"OU {ous[0].value!r} disagrees with role URI {role.value!r}", "subject.OU")
    if role in SITE_ROLES:
        if len(sites) != 1:
            raise CertificateIdentityError(
                f"a {role.value} certificate needs exactly one {SITE_URN_PREFIX}* URI", "SAN")
        return Identity(name, role, check_site_code(sites[0]), cert.serial_number)
    if sites:
        raise CertificateIdentityError(f"a {role.value} certificate names no site", "SAN")
    return Identity(name, role, None, cert.serial_number)


@functools.lru_cache(maxsize=1024)
def identity_from_pem(pem: bytes) -> Identity:
    """Parse a PEM certificate's identity; cached because every RPC of a peer sends the same."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise CertificateIdentityError(f"not a PEM certificate: {exc}", "certificate") from exc
    return identity_from_certificate(cert)


class _HasAuthContext(Protocol):
    def auth_context(self) -> Mapping[str, Iterable[bytes]]: ...


def identity_from_grpc_context(context: _HasAuthContext | Any) -> Identity | None:
    """The caller's identity from a grpc(.aio) ServicerContext, or None.

    None means: no TLS, no client certificate, or a certificate that encodes no valid cetak
    identity. Trusts the TLS layer to have verified the certificate against the CA, which
    `cetak.security.tls.server_credentials` guarantees (require_client_auth=True).
    gRPC exposes the peer as ``auth_context()``: property name -> list of bytes, with
    ``transport_security_type`` = [b"ssl"] and ``x509_pem_cert`` = [peer certificate PEM].
    """
    auth = context.auth_context() or {}
    if list(auth.get("transport_security_type", ())) != [b"ssl"]:
        return None
    pems = list(auth.get("x509_pem_cert", ()))
    if len(pems) != 1:
        return None
    try:
        return identity_from_pem(bytes(pems[0]))
    except CertificateIdentityError:
        return None
