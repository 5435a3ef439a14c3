"""Exceptions of `cetak.security`.

Tree (``SecurityError`` itself is never raised)::

    SecurityError
    ├── PkiError               a PKI folder or file cannot be written or read
    │   └── PkiExistsError     a file to be written already exists (use --force)
    ├── CertificateIdentityError  a certificate does not encode a valid cetak identity
    ├── TlsConfigError         TLS material missing or unusable, or plaintext not allowed
    ├── PermissionDenied       an identity may not do an action (servicers: PERMISSION_DENIED)
    └── AuditError             an audit sink is unusable or an entry is not acceptable
"""

from __future__ import annotations

from pathlib import Path


class SecurityError(Exception):
    """Base of every error raised by `cetak.security`; never raised directly."""


class PkiError(SecurityError):
    """A PKI file could not be written or read; ``path`` names it when known."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.path = path


class PkiExistsError(PkiError):
    """Refusing to overwrite an existing PKI file without ``force``."""


class CertificateIdentityError(SecurityError):
    """The certificate's subject/SAN do not encode a valid identity; ``field`` names the part."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TlsConfigError(SecurityError):
    """TLS cannot be set up as asked (missing files, or plaintext without --insecure)."""


class PermissionDenied(SecurityError):
    """``identity`` may not perform ``action`` (on ``site_code``).

    Servicers map it to ``grpc.StatusCode.PERMISSION_DENIED``; ``reason`` is safe to send back.
    """

    def __init__(self, reason: str, *, actor: str, action: str,
                 site_code: str | None = None) -> None:
        super().__init__(f"{actor} may not {action}"
                         + (f" on site {site_code}" if site_code else "") + f": {reason}")
        self.reason = reason
        self.actor = actor
        self.action = action
        self.site_code = site_code


class AuditError(SecurityError):
    """An audit sink cannot be used, or an entry cannot be recorded as given."""
