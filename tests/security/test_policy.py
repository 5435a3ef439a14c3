from __future__ import annotations

import pytest

from cetak.security import ADMIN_RPC_ACTIONS, Action, Identity, PermissionDenied, Role, require
from cetak.security.policy import READ_ACTIONS, RULES, allowed

from .conftest import OTHER_SITE, SITE

ADMIN = Identity("admin", Role.ADMIN)
AUDITOR = Identity("bpk", Role.AUDITOR)
OPERATOR = Identity("siti", Role.OPERATOR, SITE)
AGENT = Identity("lab-1", Role.AGENT, SITE)
CONTROLLER = Identity("controller", Role.CONTROLLER)
AGENT_ACTIONS = [Action.AGENT_CONNECT, Action.LEASE_RECEIVE, Action.JOB_REPORT,
                 Action.PRINTER_REPORT]
ADMIN_ONLY = [Action.CAMPAIGN_CREATE, Action.RECORDS_IMPORT, Action.SITE_UPSERT,
              Action.ATTEMPT_RESOLVE, Action.RECORDS_MOVE, Action.AGENT_RELEASE,
              Action.BLANKS_DESTROY, Action.RECORD_ADJUDICATE, Action.CAMPAIGN_UPDATE,
              Action.CAMPAIGN_CANCEL]


def test_every_action_has_a_rule_and_every_admin_rpc_an_action() -> None:
    assert set(RULES) == set(Action)
    assert set(ADMIN_RPC_ACTIONS) == {
        "CreateCampaign", "ListCampaigns", "ImportRecords", "GetStatus", "WatchProgress",
        "UpsertSite", "ListSites", "ListPrinters", "RecordInventory", "GetInventory",
        "LookupRecord", "ListHeld", "ResolveAttempt", "MoveRecords", "ReleaseAgent",
        "TransferInventory", "DestroyBlanks", "ListDestructionRecords", "AdjudicateRecord",
        "PlanCampaign", "UpdateCampaign", "CancelCampaign", "ListAuditEntries"}


@pytest.mark.parametrize("action", AGENT_ACTIONS)
def test_agent_only_on_its_own_site(action: Action) -> None:
    assert require(AGENT, action, SITE) is AGENT
    for site in (OTHER_SITE, None, ""):
        with pytest.raises(PermissionDenied):
            require(AGENT, action, site)
    for other in (ADMIN, AUDITOR, OPERATOR, CONTROLLER):
        assert not allowed(other, action, SITE)


@pytest.mark.parametrize("action", ADMIN_ONLY)
def test_admin_methods_refuse_everyone_else(action: Action) -> None:
    assert allowed(ADMIN, action)
    for other in (AUDITOR, OPERATOR, AGENT, CONTROLLER, None):
        with pytest.raises(PermissionDenied) as caught:
            require(other, action, SITE)
        assert caught.value.action == action.value


def test_auditor_reads_everything_changes_nothing() -> None:
    for action in Action:
        assert allowed(AUDITOR, action, OTHER_SITE) == (action in READ_ACTIONS)


def test_operator_acts_on_its_own_site_only() -> None:
    for action in (Action.OPERATOR_ACTION, Action.INVENTORY_RECORD, Action.SITE_READ,
                   Action.RECORD_READ):
        assert allowed(OPERATOR, action, SITE)
        assert not allowed(OPERATOR, action, OTHER_SITE)
        assert not allowed(OPERATOR, action, None)  # "all sites" is never widened to
    assert allowed(OPERATOR, Action.CAMPAIGN_READ)
    assert not allowed(OPERATOR, Action.AUDIT_READ)


def test_personal_data_for_admins_and_the_sites_own_operator_only() -> None:
    assert allowed(ADMIN, Action.PERSONAL_DATA_READ, OTHER_SITE)
    assert allowed(OPERATOR, Action.PERSONAL_DATA_READ, SITE)
    assert not allowed(OPERATOR, Action.PERSONAL_DATA_READ, OTHER_SITE)
    for other in (AUDITOR, AGENT, CONTROLLER):
        assert not allowed(other, Action.PERSONAL_DATA_READ, SITE)
    assert allowed(AUDITOR, Action.AUDIT_READ) and not allowed(OPERATOR, Action.AUDIT_READ)


def test_no_identity_and_unknown_actions_fail_closed() -> None:
    with pytest.raises(PermissionDenied, match="no verified client certificate"):
        require(None, Action.CAMPAIGN_READ)
    with pytest.raises(PermissionDenied, match="unknown action"):
        require(ADMIN, "campaign.delete-everything")
    assert require(ADMIN, "campaign.create") is ADMIN
