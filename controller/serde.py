"""Conversions between API v1 messages and ledger domain values (servicers only translate)."""

from __future__ import annotations

from cetak.api.v1 import admin_pb2, agent_pb2, common_pb2

from .model import (
    AckStatus,
    AgentEvent,
    Attempt,
    AttemptState,
    EventResult,
    InventoryMovement,
    LeaseGrant,
    RecordState,
    RecordView,
)

_ATTEMPT_TO_PB = {
    AttemptState.LEASED: common_pb2.LEASED,
    AttemptState.PRINTING: common_pb2.PRINTING,
    AttemptState.PRINTED: common_pb2.PRINTED,
    AttemptState.SPOILED: common_pb2.SPOILED,
    AttemptState.FAILED_BEFORE_CARD: common_pb2.FAILED_BEFORE_CARD,
    AttemptState.UNKNOWN: common_pb2.UNKNOWN,
}
_ATTEMPT_FROM_PB = {v: k for k, v in _ATTEMPT_TO_PB.items()}

_RECORD_TO_PB = {
    RecordState.QUEUED: common_pb2.QUEUED,
    RecordState.LEASED: common_pb2.RECORD_LEASED,
    RecordState.PRINTED: common_pb2.RECORD_PRINTED,
    RecordState.HELD: common_pb2.HELD,
    RecordState.REJECTED: common_pb2.REJECTED,
    RecordState.CANCELLED: common_pb2.CANCELLED,
}

_ACK_TO_PB = {
    AckStatus.APPLIED: agent_pb2.APPLIED,
    AckStatus.DUPLICATE: agent_pb2.DUPLICATE,
    AckStatus.FLAGGED: agent_pb2.FLAGGED,
}

KATEGORI_TO_PB = {"BARU": common_pb2.BARU, "PENGGANTIAN": common_pb2.PENGGANTIAN}
KATEGORI_FROM_PB = {v: k for k, v in KATEGORI_TO_PB.items()}


class BadMessage(ValueError):
    """A message that cannot be translated (missing or invalid field)."""


def attempt_state_from_pb(value: int) -> AttemptState:
    try:
        return _ATTEMPT_FROM_PB[value]
    except KeyError:
        raise BadMessage(f"state: not an attempt state ({value})") from None


def attempt_state_to_pb(state: AttemptState) -> int:
    return _ATTEMPT_TO_PB[state]


def event_from_pb(e: agent_pb2.JobEvent) -> AgentEvent:
    for name in ("event_id", "lease_id", "record_id"):
        if not getattr(e, name):
            raise BadMessage(f"{name}: required")
    return AgentEvent(event_id=e.event_id, lease_id=e.lease_id, epoch=e.epoch,
                      record_id=e.record_id, state=attempt_state_from_pb(e.state),
                      attempt_id=e.attempt_id, reason=e.reason, printer_id=e.printer_id,
                      blank_serial=e.blank_serial, occurred_ms=e.occurred_at_ms)


def ack_to_pb(results: list[EventResult]) -> agent_pb2.ControllerMessage:
    return agent_pb2.ControllerMessage(ack=agent_pb2.Ack(events=[
        agent_pb2.EventAck(event_id=r.event_id, status=_ACK_TO_PB[r.status], detail=r.detail)
        for r in results]))


def lease_to_pb(g: LeaseGrant) -> agent_pb2.ControllerMessage:
    record = common_pb2.CardRecord.FromString(g.payload)
    return agent_pb2.ControllerMessage(lease=agent_pb2.Lease(
        lease_id=g.lease_id, campaign_id=g.campaign_id, record_id=g.record_id, epoch=g.epoch,
        expires_at_ms=g.expires_ms, record=record, priority=g.priority))


def attempt_to_pb(a: Attempt) -> admin_pb2.AttemptSummary:
    return admin_pb2.AttemptSummary(attempt_id=a.attempt_id or a.lease_id,
                                    state=_ATTEMPT_TO_PB[a.state], reason=a.reason,
                                    printer_id=a.printer_id, blank_serial=a.blank_serial,
                                    updated_ms=a.updated_ms)


def record_to_pb(v: RecordView) -> admin_pb2.RecordSummary:
    return admin_pb2.RecordSummary(
        record_id=v.record_id, campaign_id=v.campaign_id, site_code=v.site_code,
        state=_RECORD_TO_PB[v.state], hold_reason=v.hold_reason,
        kategori=KATEGORI_TO_PB.get(v.kategori, common_pb2.CATEGORY_UNSPECIFIED),
        attempts=[attempt_to_pb(a) for a in v.attempts], printed_ms=v.printed_ms)


def movement_from_pb(m: admin_pb2.InventoryMovement, movement_id: str,
                     now_ms: int) -> InventoryMovement:
    if m.item not in ("blank", "ribbon", "film"):
        raise BadMessage(f"item: expected blank, ribbon or film, got {m.item!r}")
    if m.kind not in ("receive", "transfer_out", "transfer_in", "destroy", "adjust"):
        raise BadMessage(f"kind: unknown inventory movement {m.kind!r}")
    if not m.site_code:
        raise BadMessage("site_code: required")
    return InventoryMovement(movement_id=m.movement_id or movement_id, site_code=m.site_code,
                             item=m.item, kind=m.kind, quantity=m.quantity,
                             serial_from=m.serial_from, serial_to=m.serial_to,
                             reference=m.reference, counterpart_site=m.counterpart_site,
                             at_ms=m.at_ms or now_ms)


def movement_to_pb(m: InventoryMovement) -> admin_pb2.InventoryMovement:
    return admin_pb2.InventoryMovement(
        movement_id=m.movement_id, site_code=m.site_code, item=m.item, kind=m.kind,
        quantity=m.quantity, serial_from=m.serial_from, serial_to=m.serial_to,
        reference=m.reference, at_ms=m.at_ms, counterpart_site=m.counterpart_site)
