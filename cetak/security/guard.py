"""One call for servicers: who is calling, may they, and write it down.

    identity = await authorize(context, Action.CAMPAIGN_CREATE, audit=audit_log)

aborts the RPC with PERMISSION_DENIED when `require` refuses, after recording the refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc

from cetak.security.audit import AuditLog
from cetak.security.errors import PermissionDenied
from cetak.security.identity import Identity, identity_from_grpc_context
from cetak.security.policy import Action, require


async def authorize(context: grpc.aio.ServicerContext, action: Action,
                    site_code: str | None = None, *, audit: AuditLog | None = None,
                    audit_allowed: bool = True, detail: Mapping[str, Any] | None = None,
                    fallback: Identity | None = None) -> Identity:
    """The verified caller if allowed; otherwise abort with PERMISSION_DENIED (never returns).

    ``audit``: record the decision (refusals always; allowed calls when ``audit_allowed``,
    which high-rate agent actions turn off — their state changes are audited by the store).
    ``fallback``: the identity to assume when the connection has no verified certificate;
    only for a controller started with --insecure, which must decide who plaintext callers are.
    """
    identity = identity_from_grpc_context(context) or fallback
    try:
        require(identity, action, site_code)
    except PermissionDenied as exc:
        if audit is not None:
            audit.record(exc.actor, action.value, allowed=False,
                         detail={**(detail or {}), "site_code": site_code,
                                 "reason": exc.reason})
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
        raise  # abort() raises; this keeps type checkers and readers certain
    assert identity is not None  # require() refuses None
    if audit is not None and audit_allowed:
        audit.record(identity.actor, action.value, allowed=True,
                     detail={**(detail or {}), "site_code": site_code})
    return identity


def permission_denied_status(exc: PermissionDenied) -> tuple[grpc.StatusCode, str]:
    """(code, details) for servicers that map errors themselves."""
    return grpc.StatusCode.PERMISSION_DENIED, str(exc)
