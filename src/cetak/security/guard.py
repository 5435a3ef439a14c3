"""One call for servicers: who is calling, may they, and write it down.

    identity = await authorize(context, Action.CAMPAIGN_CREATE, audit=audit_log)

aborts the RPC with PERMISSION_DENIED when `require` refuses, after recording the refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import grpc

from cetak.security.audit import AuditLog
from cetak.security.errors import PermissionDenied
from cetak.security.identity import Identity, identity_from_grpc_context
from cetak.security.policy import ADMIN_RPC_ACTIONS, Action, require
from cetak.security.revocation import Revocations

AdminAuthorizer = Callable[[grpc.aio.ServicerContext, str, str], Awaitable[Identity]]


class HelloLike(Protocol):
    """What `agent_authorizer` reads of the agent's Hello (agent_pb2.Hello fits)."""

    agent_id: str
    site_code: str


def check_not_revoked(identity: Identity | None, action: str, site_code: str | None,
                      revocations: Revocations | None) -> None:
    """PermissionDenied when the caller's certificate is on the revocation list."""
    if revocations is not None and identity is not None and identity.serial \
            and revocations.is_revoked(identity.serial):
        raise PermissionDenied("certificate revoked", actor=identity.actor, action=action,
                               site_code=site_code)


async def authorize(context: grpc.aio.ServicerContext, action: Action,
                    site_code: str | None = None, *, audit: AuditLog | None = None,
                    audit_allowed: bool = True, detail: Mapping[str, Any] | None = None,
                    fallback: Identity | None = None,
                    revocations: Revocations | None = None) -> Identity:
    """The verified caller if allowed; otherwise abort with PERMISSION_DENIED (never returns).

    ``audit``: record the decision (refusals always; allowed calls when ``audit_allowed``,
    which high-rate agent actions turn off — their state changes are audited by the store).
    ``fallback``: the identity to assume when the connection has no verified certificate;
    only for a controller started with --insecure, which must decide who plaintext callers are.
    ``revocations``: certificates on this list are refused whatever their role.
    """
    identity = identity_from_grpc_context(context) or fallback
    try:
        check_not_revoked(identity, action.value, site_code, revocations)
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


def admin_authorizer(audit: AuditLog | None = None,
                     revocations: Revocations | None = None) -> AdminAuthorizer:
    """``await authorize(context, "CreateCampaign", site_code)`` for AdminServicer methods.

    The method name is looked up in `ADMIN_RPC_ACTIONS` (an unknown name is refused);
    ``site_code`` is the request's site ("" when it names none). Every call, allowed or
    refused, is recorded on ``audit`` when one is given.
    """

    async def authorize_admin(context: grpc.aio.ServicerContext, method: str,
                              site_code: str = "") -> Identity:
        action = ADMIN_RPC_ACTIONS.get(method)
        if action is None:
            identity = identity_from_grpc_context(context)
            actor = identity.actor if identity is not None else "anonymous"
            if audit is not None:
                audit.record(actor, f"rpc.{method}", allowed=False,
                             detail={"reason": "method not in the permission table"})
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"{actor} may not call {method}: not in the permission table")
            raise AssertionError("unreachable: abort() raises")
        return await authorize(context, action, site_code or None, audit=audit,
                               detail={"method": method}, revocations=revocations)

    return authorize_admin


def agent_authorizer(audit: AuditLog | None = None, revocations: Revocations | None = None
                     ) -> Callable[[grpc.aio.ServicerContext, HelloLike], Identity]:
    """A check for AgentService.Connect's Hello: the certificate must be an agent's whose
    name is ``hello.agent_id`` and whose site is ``hello.site_code``.

    Synchronous (the servicer calls it without await): on refusal it sets the status to
    PERMISSION_DENIED and raises `PermissionDenied`, which grpc.aio turns into that status.
    Because the session's site is then the certificate's, the scheduler's per-site filter on
    the session is what keeps other sites' jobs (and reports about them) away from the agent.
    """

    def authorize_agent(context: grpc.aio.ServicerContext, hello: HelloLike) -> Identity:
        identity = identity_from_grpc_context(context)
        site_code = hello.site_code or None
        try:
            check_not_revoked(identity, Action.AGENT_CONNECT.value, site_code, revocations)
            require(identity, Action.AGENT_CONNECT, site_code)
            assert identity is not None
            if identity.name != hello.agent_id:
                raise PermissionDenied(
                    f"certificate names agent {identity.name!r}, hello says "
                    f"{hello.agent_id!r}", actor=identity.actor,
                    action=Action.AGENT_CONNECT.value, site_code=site_code)
        except PermissionDenied as exc:
            if audit is not None:
                audit.record(exc.actor, exc.action, allowed=False,
                             detail={"agent_id": hello.agent_id, "site_code": site_code,
                                     "reason": exc.reason})
            context.set_code(grpc.StatusCode.PERMISSION_DENIED)
            context.set_details(str(exc))
            raise
        if audit is not None:
            audit.record(identity.actor, Action.AGENT_CONNECT.value, allowed=True,
                         detail={"site_code": site_code})
        return identity

    return authorize_agent
