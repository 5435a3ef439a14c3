"""A cetak PKI folder: one CA and the certificates it issues.

Files (keys 0600, certificates 0644, folder 0700 when created here)::

    ca.pem / ca.key                           ECDSA P-256 CA (10 years, pathlen 0)
    controller.pem / controller.key           TLS server; SAN localhost, 127.0.0.1, ::1, --host
    admin.pem / admin.key                     TLS client, role admin
    document-signer.pem / document-signer.key signs chip data: keyUsage digitalSignature,
                                              EKU documentSigning (RFC 9336), never TLS
    agent-NAME.pem / agent-NAME.key           TLS client, role agent, one site
    operator-NAME.pem / operator-NAME.key     TLS client, role operator, one site
    auditor-NAME.pem / auditor-NAME.key       TLS client, role auditor

Identities are encoded as `cetak.security.identity` documents. Every certificate gets a random
128-bit serial (RFC 5280 asks for unique serials; random ones need no shared counter).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from cetak.security.errors import PkiError
from cetak.security.files import (
    CERT_MODE,
    KEY_MODE,
    ensure_dir,
    read_file,
    refuse_existing,
    write_atomic,
)
from cetak.security.identity import (
    ORGANIZATION,
    ROLE_URN_PREFIX,
    SITE_ROLES,
    SITE_URN_PREFIX,
    Role,
    check_name,
    check_site_code,
)

CA_DAYS = 3652
CONTROLLER_DAYS = 825
CLIENT_DAYS = 397           # a year and a bit: re-issued between yearly campaigns
DOCUMENT_SIGNER_DAYS = 1826
BACKDATE = dt.timedelta(minutes=10)  # tolerate hosts whose clocks lag the issuing machine

# RFC 9336 id-kp-documentSigning: says "signs documents" and is no TLS usage, so the key
# that signs chip data cannot authenticate a TLS connection.
DOCUMENT_SIGNING_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
DOCUMENT_SIGNER = "document-signer"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
_DNS_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?)+$")


@dataclass(frozen=True, slots=True)
class Issued:
    """One certificate written to the PKI folder."""

    role: str               # a Role value, or "ca" / "document-signer"
    name: str
    site_code: str | None
    cert_path: Path
    key_path: Path
    serial: int
    not_after: dt.datetime

    def as_json(self) -> dict[str, object]:
        return {"role": self.role, "name": self.name, "site_code": self.site_code,
                "cert": str(self.cert_path), "key": str(self.key_path),
                "serial": f"{self.serial:x}", "not_after": self.not_after.isoformat()}


def file_stem(role: Role | str, name: str) -> str:
    """The file name (without .pem/.key) of a certificate: see the module docstring."""
    role = str(role)
    if role in ("ca", Role.CONTROLLER.value, Role.ADMIN.value, DOCUMENT_SIGNER):
        return role
    return f"{role}-{check_name(name)}"


def cert_and_key_paths(pki_dir: Path | str, stem: str) -> tuple[Path, Path]:
    pki_dir = Path(pki_dir)
    return pki_dir / f"{stem}.pem", pki_dir / f"{stem}.key"


def init_pki(pki_dir: Path | str, *, hosts: Iterable[str] = (), admin_name: str = "admin",
             force: bool = False, now: dt.datetime | None = None) -> list[Issued]:
    """Create CA, controller, admin and document-signer certificates in ``pki_dir``.

    Refuses (PkiExistsError) when any of those files exists, unless ``force``.
    """
    pki_dir = Path(pki_dir)
    now = now or _now()
    check_name(admin_name)
    extra_hosts = [_parse_host(h) for h in hosts]
    stems = ["ca", Role.CONTROLLER.value, Role.ADMIN.value, DOCUMENT_SIGNER]
    ensure_dir(pki_dir)
    refuse_existing([p for s in stems for p in cert_and_key_paths(pki_dir, s)], force)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                         x509.NameAttribute(NameOID.COMMON_NAME, "cetak CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        _base_builder(ca_name, ca_name, ca_key.public_key(), now, dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    issued = [_write(pki_dir, "ca", "ca", None, ca_cert, ca_key, force)]

    controller_sans: list[x509.GeneralName] = [_parse_host(h) for h in DEFAULT_HOSTS]
    controller_sans += [h for h in extra_hosts if h not in controller_sans]
    issued.append(_issue(pki_dir, ca_cert, ca_key, Role.CONTROLLER, "controller", None, now,
                         CONTROLLER_DAYS, force, eku=[ExtendedKeyUsageOID.SERVER_AUTH],
                         extra_sans=controller_sans))
    issued.append(_issue(pki_dir, ca_cert, ca_key, Role.ADMIN, admin_name, None, now,
                         CLIENT_DAYS, force))

    # The document signer is not a caller: no role URI, so it never parses as an identity.
    ds_key = ec.generate_private_key(ec.SECP256R1())
    ds_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DOCUMENT_SIGNER),
                         x509.NameAttribute(NameOID.COMMON_NAME, DOCUMENT_SIGNER)])
    ds_cert = (
        _leaf_builder(ca_cert, ds_name, ds_key.public_key(), now, DOCUMENT_SIGNER_DAYS)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING_EKU]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    issued.append(_write(pki_dir, DOCUMENT_SIGNER, DOCUMENT_SIGNER, None, ds_cert, ds_key,
                         force))
    return issued


def issue_agent(pki_dir: Path | str, site_code: str, name: str, *, force: bool = False,
                days: int = CLIENT_DAYS, now: dt.datetime | None = None) -> Issued:
    """Write agent-NAME.pem/.key: a printer host of ``site_code``."""
    return issue_client(pki_dir, Role.AGENT, name, site_code, force=force, days=days, now=now)


def issue_operator(pki_dir: Path | str, site_code: str, name: str, *, force: bool = False,
                   days: int = CLIENT_DAYS, now: dt.datetime | None = None) -> Issued:
    """Write operator-NAME.pem/.key: a person working at ``site_code``."""
    return issue_client(pki_dir, Role.OPERATOR, name, site_code, force=force, days=days,
                        now=now)


def issue_auditor(pki_dir: Path | str, name: str, *, force: bool = False,
                  days: int = CLIENT_DAYS, now: dt.datetime | None = None) -> Issued:
    """Write auditor-NAME.pem/.key: read-only, all sites."""
    return issue_client(pki_dir, Role.AUDITOR, name, None, force=force, days=days, now=now)


def issue_client(pki_dir: Path | str, role: Role, name: str, site_code: str | None, *,
                 force: bool = False, days: int = CLIENT_DAYS,
                 now: dt.datetime | None = None) -> Issued:
    """Issue a TLS client certificate for ``role`` signed by the folder's CA."""
    pki_dir = Path(pki_dir)
    role = Role(role)
    check_name(name)
    if role in SITE_ROLES:
        if not site_code:
            raise PkiError(f"a {role.value} certificate needs a site code")
        check_site_code(site_code)
    elif site_code:
        raise PkiError(f"a {role.value} certificate names no site")
    if days < 1:
        raise PkiError(f"validity must be at least one day, not {days}")
    refuse_existing(list(cert_and_key_paths(pki_dir, file_stem(role, name))), force)
    ca_cert, ca_key = load_ca(pki_dir)
    return _issue(pki_dir, ca_cert, ca_key, role, name, site_code, now or _now(), days, force)


def load_ca(pki_dir: Path | str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = cert_and_key_paths(pki_dir, "ca")
    cert = load_certificate(cert_path)
    key = load_private_key(key_path)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError("CA key is not an EC key", key_path)
    return cert, key


def load_private_key(path: Path | str) -> PrivateKeyTypes:
    path = Path(path)
    try:
        return serialization.load_pem_private_key(read_file(path), password=None)
    except (ValueError, TypeError) as exc:
        raise PkiError(f"not an unencrypted PEM private key: {exc}", path) from exc


def load_certificate(path: Path | str) -> x509.Certificate:
    path = Path(path)
    try:
        return x509.load_pem_x509_certificate(read_file(path))
    except ValueError as exc:
        raise PkiError(f"not a PEM certificate: {exc}", path) from exc


def _issue(pki_dir: Path, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
           role: Role, name: str, site_code: str | None, now: dt.datetime, days: int,
           force: bool, *, eku: list[ObjectIdentifier] | None = None,
           extra_sans: list[x509.GeneralName] | None = None) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.value),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    sans: list[x509.GeneralName] = list(extra_sans or [])
    sans.append(x509.UniformResourceIdentifier(ROLE_URN_PREFIX + role.value))
    if site_code:
        sans.append(x509.UniformResourceIdentifier(SITE_URN_PREFIX + site_code))
    cert = (
        _leaf_builder(ca_cert, subject, key.public_key(), now, days)
        .add_extension(x509.ExtendedKeyUsage(eku or [ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _write(pki_dir, file_stem(role, name), role.value, site_code, cert, key, force,
                  name=name)


def _leaf_builder(ca_cert: x509.Certificate, subject: x509.Name,
                  public_key: ec.EllipticCurvePublicKey, now: dt.datetime,
                  days: int) -> x509.CertificateBuilder:
    # A leaf never outlives its CA: verifiers would reject the tail end anyway.
    lifetime = min(dt.timedelta(days=days), ca_cert.not_valid_after_utc - now + BACKDATE)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        _base_builder(subject, ca_cert.subject, public_key, now, lifetime)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
    )


def _base_builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
                  now: dt.datetime, lifetime: dt.timedelta) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now - BACKDATE + lifetime))


def _key_usage(cert_sign: bool = False) -> x509.KeyUsage:
    # ECDSA leaves only sign (TLS handshakes, chip data); a CA only signs certificates and CRLs.
    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
                         decipher_only=False)


def _write(pki_dir: Path, stem: str, role: str, site_code: str | None, cert: x509.Certificate,
           key: ec.EllipticCurvePrivateKey, force: bool, *, name: str | None = None) -> Issued:
    cert_path, key_path = cert_and_key_paths(pki_dir, stem)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # Key first: a certificate on disk always has its key beside it.
    write_atomic(key_path, key_pem, KEY_MODE, force=force)
    write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), CERT_MODE,
                 force=force)
    return Issued(role=role, name=name or stem, site_code=site_code, cert_path=cert_path,
                  key_path=key_path, serial=cert.serial_number,
                  not_after=cert.not_valid_after_utc)


def _parse_host(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _DNS_RE.fullmatch(host):
        raise PkiError(f"--host {host!r} is neither an IP address nor a DNS name")
    return x509.DNSName(host.lower().rstrip("."))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
