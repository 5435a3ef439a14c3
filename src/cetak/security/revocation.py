"""Revoked certificates: a CRL in the PKI folder, written by `cetak pki revoke`, read by the
controller.

A stolen laptop or a dismissed operator must lose access at once, long before the certificate
expires. The CA signs `crl.pem` (X.509 CRL, every certificate revoked so far); the controller
checks the serial of every caller against it (Revocations.is_revoked, on each admin call, on
each agent Hello, and on every connected agent stream), and reloads the file when it changes,
so no restart is needed. A CRL whose signature does not verify against the CA is never used:
at start the controller refuses to serve; later, it keeps the list it had and logs an error.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization

from cetak.security.errors import PkiError
from cetak.security.files import CERT_MODE, read_file, write_atomic
from cetak.security.identity import identity_from_certificate
from cetak.security.pki import load_ca, load_certificate

log = logging.getLogger(__name__)

CRL_FILE = "crl.pem"
CRL_DAYS = 365
REASONS = {
    "key_compromise": x509.ReasonFlags.key_compromise,      # stolen or copied key
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,  # moved, dismissed
    "superseded": x509.ReasonFlags.superseded,              # re-issued
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,  # site closed
    "unspecified": x509.ReasonFlags.unspecified,
}


@dataclass(frozen=True)
class Revoked:
    serial: int
    revoked_at: dt.datetime
    reason: str


def crl_path(pki_dir: Path | str) -> Path:
    return Path(pki_dir) / CRL_FILE


def revoke(pki_dir: Path | str, cert_path: Path | str, reason: str = "key_compromise",
           now: dt.datetime | None = None) -> Revoked:
    """Add the certificate at `cert_path` (issued by this PKI's CA) to the folder's CRL and
    sign it anew. Revoking twice keeps the first entry. PkiError when the certificate is not
    the CA's, the reason is unknown, or the present CRL does not verify."""
    if reason not in REASONS:
        raise PkiError(f"unknown reason {reason!r} (expected one of {', '.join(REASONS)})")
    ca_cert, ca_key = load_ca(pki_dir)
    cert = load_certificate(cert_path)
    if cert.issuer != ca_cert.subject or not _signed_by(cert, ca_cert):
        raise PkiError("not issued by this PKI's CA", Path(cert_path))
    if cert.subject == ca_cert.subject:
        raise PkiError("the CA itself cannot be revoked: make a new PKI", Path(cert_path))
    path = crl_path(pki_dir)
    entries = list(_load_crl(path, ca_cert)) if path.exists() else []
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    known = next((e for e in entries if e.serial_number == cert.serial_number), None)
    if known is None:
        entries.append(x509.RevokedCertificateBuilder()
                       .serial_number(cert.serial_number).revocation_date(now)
                       .add_extension(x509.CRLReason(REASONS[reason]), critical=False)
                       .build())
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(ca_cert.subject).last_update(now)
               .next_update(now + dt.timedelta(days=CRL_DAYS)))
    for entry in entries:
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca_key, hashes.SHA256())
    write_atomic(path, crl.public_bytes(serialization.Encoding.PEM), CERT_MODE, force=True)
    if known is not None:
        return Revoked(known.serial_number, known.revocation_date_utc, _reason_of(known))
    identity = identity_from_certificate(cert)
    log.info("revoked %s (serial %x): %s", identity.actor, cert.serial_number, reason)
    return Revoked(cert.serial_number, now, reason)


def revoked_list(pki_dir: Path | str) -> list[Revoked]:
    """Every entry of the folder's CRL (verified), oldest first; [] without a CRL."""
    path = crl_path(pki_dir)
    if not path.exists():
        return []
    ca_cert, _ = load_ca(pki_dir)
    return sorted((Revoked(e.serial_number, e.revocation_date_utc, _reason_of(e))
                   for e in _load_crl(path, ca_cert)), key=lambda r: r.revoked_at)


class Revocations:
    """The serials revoked by the CRL of a PKI folder, re-read when the file changes (looked
    at no more than every `recheck_s`). Construction fails (PkiError) on a CRL that does not
    verify, so a controller does not start believing nobody is revoked."""

    def __init__(self, pki_dir: Path | str, *, recheck_s: float = 2.0) -> None:
        self._path = crl_path(pki_dir)
        self._ca = load_certificate(Path(pki_dir) / "ca.pem")
        self._recheck_s = recheck_s
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._stamp = self._file_stamp()
        self._serials = self._read()

    def is_revoked(self, serial: int) -> bool:
        now = time.monotonic()
        if now - self._checked >= self._recheck_s:
            with self._lock:
                if now - self._checked >= self._recheck_s:
                    self._checked = now
                    self._reload()
        return serial in self._serials

    def _reload(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        try:
            serials = self._read()
        except PkiError as exc:
            log.error("certificate revocation list not used, the previous one stays: %s", exc)
            return
        self._stamp, self._serials = stamp, serials
        log.info("certificate revocation list reloaded: %d revoked", len(serials))

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _read(self) -> frozenset[int]:
        if not self._path.exists():
            return frozenset()
        return frozenset(e.serial_number for e in _load_crl(self._path, self._ca))


def _load_crl(path: Path, ca_cert: x509.Certificate) -> x509.CertificateRevocationList:
    try:
        crl = x509.load_pem_x509_crl(read_file(path))
    except ValueError as exc:
        raise PkiError(f"not a PEM certificate revocation list: {exc}", path) from exc
    if crl.issuer != ca_cert.subject or not crl.is_signature_valid(ca_cert.public_key()):
        raise PkiError("the revocation list is not signed by this PKI's CA", path)
    return crl


def _signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _reason_of(entry: x509.RevokedCertificate) -> str:
    try:
        flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return "unspecified"
    return next((name for name, value in REASONS.items() if value == flag), flag.name)
