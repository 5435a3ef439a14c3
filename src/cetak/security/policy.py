"""What each role may do: one table, one check.

- admin: every action except the agent's own (an admin certificate cannot pose as a printer
  host, so a leaked admin key cannot pull personal data as leases).
- auditor: read actions, any site, personal data masked; nothing that changes state.
- operator: the operator actions and reads of its own site only.
- agent: the agent stream actions of its own site only.
- controller: nothing (its certificate is for serving, never for calling).

Site-bound rules need the site the request is about; a site-bound identity asking without one
("all sites") is refused, never widened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cetak.security.errors import PermissionDenied
from cetak.security.identity import Identity, Role


class Action(StrEnum):
    # Agent stream (AgentService.Connect): the site is the agent's site / the job's site.
    AGENT_CONNECT = "agent.connect"
    LEASE_RECEIVE = "lease.receive"
    JOB_REPORT = "job.report"
    PRINTER_REPORT = "printer.report"
    # Operators at a site (OperatorAction arrives on the agent stream; inventory by admin API).
    OPERATOR_ACTION = "operator.action"
    INVENTORY_RECORD = "inventory.record"
    # Reads.
    CAMPAIGN_READ = "campaign.read"
    SITE_READ = "site.read"
    RECORD_READ = "record.read"
    AUDIT_READ = "audit.read"
    # Names, NIKs and birth dates of records (an adjudicator deciding a held record); the
    # other read actions see ids and counts only, personal data masked.
    PERSONAL_DATA_READ = "personal_data.read"
    # Admin only.
    CAMPAIGN_CREATE = "campaign.create"
    RECORDS_IMPORT = "records.import"
    SITE_UPSERT = "site.upsert"
    ATTEMPT_RESOLVE = "attempt.resolve"
    RECORDS_MOVE = "records.move"
    AGENT_RELEASE = "agent.release"
    BLANKS_DESTROY = "blanks.destroy"        # signs a destruction record (berita acara)
    RECORD_ADJUDICATE = "record.adjudicate"  # releases or rejects a possible duplicate person
    CAMPAIGN_UPDATE = "campaign.update"      # name, deadline, budgets
    CAMPAIGN_CANCEL = "campaign.cancel"


@dataclass(frozen=True, slots=True)
class Rule:
    any_site: frozenset[Role]   # roles allowed whatever the site
    own_site: frozenset[Role]   # roles allowed only when site_code == identity.site_code


def _rule(any_site: set[Role], own_site: set[Role] | None = None) -> Rule:
    return Rule(frozenset(any_site), frozenset(own_site or ()))


_A, _AU, _OP, _AG = Role.ADMIN, Role.AUDITOR, Role.OPERATOR, Role.AGENT

RULES: dict[Action, Rule] = {
    Action.AGENT_CONNECT: _rule(set(), {_AG}),
    Action.LEASE_RECEIVE: _rule(set(), {_AG}),
    Action.JOB_REPORT: _rule(set(), {_AG}),
    Action.PRINTER_REPORT: _rule(set(), {_AG}),
    Action.OPERATOR_ACTION: _rule({_A}, {_OP}),
    Action.INVENTORY_RECORD: _rule({_A}, {_OP}),
    # Campaign figures are counts without personal data; every human role may see them.
    Action.CAMPAIGN_READ: _rule({_A, _AU, _OP}),
    Action.SITE_READ: _rule({_A, _AU}, {_OP}),
    Action.RECORD_READ: _rule({_A, _AU}, {_OP}),
    Action.AUDIT_READ: _rule({_A, _AU}),
    # Auditors check the process, not the people: they see held records masked.
    Action.PERSONAL_DATA_READ: _rule({_A}, {_OP}),
    Action.CAMPAIGN_CREATE: _rule({_A}),
    Action.RECORDS_IMPORT: _rule({_A}),
    Action.SITE_UPSERT: _rule({_A}),
    Action.ATTEMPT_RESOLVE: _rule({_A}),
    Action.RECORDS_MOVE: _rule({_A}),
    Action.AGENT_RELEASE: _rule({_A}),
    Action.BLANKS_DESTROY: _rule({_A}),
    Action.RECORD_ADJUDICATE: _rule({_A}),
    Action.CAMPAIGN_UPDATE: _rule({_A}),
    Action.CAMPAIGN_CANCEL: _rule({_A}),
}

# What an auditor may do: every read but personal data.
READ_ACTIONS = frozenset({Action.CAMPAIGN_READ, Action.SITE_READ, Action.RECORD_READ,
                          Action.AUDIT_READ})

# AdminService method -> action, so the servicer asks one table (site from the request when the
# request names one: ListPrinters, RecordInventory, GetInventory; per record for LookupRecord).
ADMIN_RPC_ACTIONS: dict[str, Action] = {
    "CreateCampaign": Action.CAMPAIGN_CREATE,
    "ListCampaigns": Action.CAMPAIGN_READ,
    "ImportRecords": Action.RECORDS_IMPORT,
    "GetStatus": Action.CAMPAIGN_READ,
    "WatchProgress": Action.CAMPAIGN_READ,
    "UpsertSite": Action.SITE_UPSERT,
    "ListSites": Action.CAMPAIGN_READ,
    "ListPrinters": Action.SITE_READ,
    "RecordInventory": Action.INVENTORY_RECORD,
    "GetInventory": Action.SITE_READ,
    "LookupRecord": Action.RECORD_READ,
    "ListHeld": Action.RECORD_READ,
    "ResolveAttempt": Action.ATTEMPT_RESOLVE,
    "MoveRecords": Action.RECORDS_MOVE,
    "ReleaseAgent": Action.AGENT_RELEASE,
    # Campaign operations. A transfer is authorised at the sending site (its operator hands
    # the blanks over); the plan is counts only, like the status.
    "TransferInventory": Action.INVENTORY_RECORD,
    "DestroyBlanks": Action.BLANKS_DESTROY,
    "ListDestructionRecords": Action.SITE_READ,
    "AdjudicateRecord": Action.RECORD_ADJUDICATE,
    "PlanCampaign": Action.CAMPAIGN_READ,
    "UpdateCampaign": Action.CAMPAIGN_UPDATE,
    "CancelCampaign": Action.CAMPAIGN_CANCEL,
    "ListAuditEntries": Action.AUDIT_READ,
}


def allowed(identity: Identity | None, action: Action, site_code: str | None = None) -> bool:
    """True when `require` would pass."""
    try:
        require(identity, action, site_code)
    except PermissionDenied:
        return False
    return True


def require(identity: Identity | None, action: Action | str,
            site_code: str | None = None) -> Identity:
    """Return ``identity`` if it may do ``action`` on ``site_code``; else raise PermissionDenied.

    ``site_code``: the site the request or job belongs to; None or "" for "no site / all sites".
    """
    try:
        action = Action(action)
    except ValueError:
        # An action missing from the table is a programming error, but fail closed anyway.
        raise PermissionDenied("unknown action", actor=_actor(identity), action=str(action),
                               site_code=site_code) from None
    site_code = site_code or None
    if identity is None:
        raise PermissionDenied("no verified client certificate", actor=_actor(identity),
                               action=action.value, site_code=site_code)
    rule = RULES[action]
    if identity.role in rule.any_site:
        return identity
    if identity.role in rule.own_site:
        if site_code is None:
            reason = f"a {identity.role.value} may only act on its own site; none given"
        elif identity.site_code != site_code:
            reason = f"site {site_code} is not this {identity.role.value}'s site"
        else:
            return identity
        raise PermissionDenied(reason, actor=identity.actor, action=action.value,
                               site_code=site_code)
    raise PermissionDenied(f"role {identity.role.value} may not {action.value}",
                           actor=identity.actor, action=action.value, site_code=site_code)


def _actor(identity: Identity | None) -> str:
    return identity.actor if identity is not None else "anonymous"
