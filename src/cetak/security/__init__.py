"""Security building blocks: PKI, caller identities, the permission table, TLS, audit log.

Modules (grpc is imported only by `tls` and `guard`):

- `pki`: create a PKI folder and issue certificates (`cetak pki ...`, see `pki_cli`)
- `identity`: `Identity`, `Role`, the certificate encoding, `identity_from_grpc_context`
- `policy`: `Action`, `require`, the role table, `ADMIN_RPC_ACTIONS`
- `tls`: server/channel credentials, `add_port` / `open_channel` (plaintext only if asked)
- `guard`: `authorize` = identity + require + audit + PERMISSION_DENIED for servicers
- `audit`, `sqlite_audit`: hash-chained audit log, `cetak audit verify` (see `audit_cli`)
- `errors`: the exception tree
"""

from cetak.security.audit import (
    AuditEntry,
    AuditLog,
    AuditSink,
    MemoryAuditSink,
    Problem,
    chain_entry,
    verify_chain,
)
from cetak.security.errors import (
    AuditError,
    CertificateIdentityError,
    PermissionDenied,
    PkiError,
    PkiExistsError,
    SecurityError,
    TlsConfigError,
)
from cetak.security.identity import Identity, Role, identity_from_grpc_context
from cetak.security.policy import ADMIN_RPC_ACTIONS, Action, allowed, require
from cetak.security.sqlite_audit import SqliteAuditSink

__all__ = [
    "ADMIN_RPC_ACTIONS", "Action", "AuditEntry", "AuditError", "AuditLog", "AuditSink",
    "CertificateIdentityError", "Identity", "MemoryAuditSink", "PermissionDenied", "PkiError",
    "PkiExistsError", "Problem", "Role", "SecurityError", "SqliteAuditSink", "TlsConfigError",
    "allowed", "chain_entry", "identity_from_grpc_context", "require", "verify_chain",
]
