"""Conversions between API v1 messages and ledger domain values (servicers only translate)."""

from __future__ import annotations

from cetak.api.v1 import admin_pb2, agent_pb2, common_pb2

from .blockers import CategoryBudget, ReasonCounts, RecordReason
from .calendar import WorkingHours
from .model import (
    AckStatus,
    AgentEvent,
    Attempt,
    AttemptState,
    EventResult,
    InventoryMovement,
    LeaseGrant,
    PrinterReport,
    RecordState,
    RecordView,
)
from .sites import Site

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
    # Two per printed card: each field read once, positionally (AgentEvent's field order).
    event_id, lease_id, record_id = e.event_id, e.lease_id, e.record_id
    if not (event_id and lease_id and record_id):
        missing = next(n for n, v in (("event_id", event_id), ("lease_id", lease_id),
                                      ("record_id", record_id)) if not v)
        raise BadMessage(f"{missing}: required")
    # The dict first (states are truthy); the function only to name a bad one.
    state = _ATTEMPT_FROM_PB.get(e.state) or attempt_state_from_pb(e.state)
    return AgentEvent(event_id, lease_id, e.epoch, record_id, state, e.attempt_id, e.reason,
                      e.printer_id, e.blank_serial, e.occurred_at_ms)


def ack_to_pb(results: list[EventResult]) -> agent_pb2.ControllerMessage:
    return agent_pb2.ControllerMessage(ack=agent_pb2.Ack(events=[
        agent_pb2.EventAck(event_id=r.event_id, status=_ACK_TO_PB[r.status], detail=r.detail)
        for r in results]))


def lease_pb(g: LeaseGrant) -> agent_pb2.Lease:
    lease = agent_pb2.Lease(
        lease_id=g.lease_id, campaign_id=g.campaign_id, record_id=g.record_id, epoch=g.epoch,
        expires_at_ms=g.expires_ms, priority=g.priority)
    lease.record.MergeFromString(g.payload)  # parsed in place: no second copy of the record
    return lease


def attempt_to_pb(a: Attempt) -> admin_pb2.AttemptSummary:
    return admin_pb2.AttemptSummary(attempt_id=a.attempt_id or a.lease_id,
                                    state=_ATTEMPT_TO_PB[a.state], reason=a.reason,
                                    printer_id=a.printer_id, blank_serial=a.blank_serial,
                                    updated_ms=a.updated_ms)


def record_to_pb(v: RecordView, why: RecordReason | None = None) -> admin_pb2.RecordSummary:
    return admin_pb2.RecordSummary(
        record_id=v.record_id, campaign_id=v.campaign_id, site_code=v.site_code,
        state=_RECORD_TO_PB[v.state], hold_reason=v.hold_reason,
        kategori=KATEGORI_TO_PB.get(v.kategori, common_pb2.CATEGORY_UNSPECIFIED),
        attempts=[attempt_to_pb(a) for a in v.attempts], printed_ms=v.printed_ms,
        why=record_reason_to_pb(why) if why is not None else None)


def record_reason_to_pb(r: RecordReason) -> admin_pb2.RecordReason:
    return admin_pb2.RecordReason(
        reason=r.reason, budget=r.budget, budget_used=r.budget_used,
        queued_in_category=r.queued_in_category, blanks_available=r.blanks_available,
        queued_at_site=r.queued_at_site)


def queue_reasons_to_pb(c: ReasonCounts) -> admin_pb2.QueueReasons:
    return admin_pb2.QueueReasons(**c.to_dict())


def category_budget_to_pb(b: CategoryBudget) -> admin_pb2.CategoryBudget:
    return admin_pb2.CategoryBudget(kategori=b.kategori, budget=b.budget, used=b.used,
                                    left=-1 if b.left is None else b.left, queued=b.queued)


def movement_from_pb(m: admin_pb2.InventoryMovement, movement_id: str,
                     now_ms: int) -> InventoryMovement:
    if m.item not in ("blank", "ribbon", "film"):
        raise BadMessage(f"item: expected blank, ribbon or film, got {m.item!r}")
    if m.kind not in ("receive", "transfer_out", "transfer_in", "destroy", "adjust",
                      "spoil"):
        raise BadMessage(f"kind: unknown inventory movement {m.kind!r}")
    if not m.site_code:
        raise BadMessage("site_code: required")
    return InventoryMovement(movement_id=m.movement_id or movement_id, site_code=m.site_code,
                             item=m.item, kind=m.kind, quantity=m.quantity,
                             serial_from=m.serial_from, serial_to=m.serial_to,
                             reference=m.reference, counterpart_site=m.counterpart_site,
                             at_ms=m.at_ms or now_ms)


def printer_report(p: common_pb2.PrinterInfo) -> PrinterReport:
    """A Hello's PrinterInfo for the ledger. proto3 cannot tell "no retransfer" from "not
    said": a printer that names no model and no retransfer is of unknown kind."""
    retransfer = True if p.retransfer else (False if p.model else None)
    return PrinterReport(printer_id=p.printer_id, info=p.SerializeToString(),
                         cards_per_hour=p.cards_per_hour, model=p.model, retransfer=retransfer)


def movement_to_pb(m: InventoryMovement) -> admin_pb2.InventoryMovement:
    return admin_pb2.InventoryMovement(
        movement_id=m.movement_id, site_code=m.site_code, item=m.item, kind=m.kind,
        quantity=m.quantity, serial_from=m.serial_from, serial_to=m.serial_to,
        reference=m.reference, at_ms=m.at_ms, counterpart_site=m.counterpart_site)


def site_inventory_to_pb(s) -> admin_pb2.SiteInventory:
    """A controller.inventory.SiteStock as the API's SiteInventory."""
    b = s.blanks
    return admin_pb2.SiteInventory(
        site_code=s.site_code, blanks_received=b.received + b.transferred_in,
        blanks_in_stock=b.in_stock, blanks_printed=b.printed, blanks_spoiled=b.spoiled,
        blanks_unknown=b.unknown, blanks_transferred_out=b.transferred_out,
        blanks_destroyed=b.destroyed, ribbons_received=s.ribbons_received,
        films_received=s.films_received, ribbons_in_stock=s.ribbons_in_stock,
        films_in_stock=s.films_in_stock, blanks_awaiting_destruction=s.awaiting_destruction,
        blanks_transferred_in=b.transferred_in, blanks_received_direct=b.received,
        attention=s.attention,
        blank_ranges=[_range_to_pb(r) for r in s.ranges],
        stock_ranges=[_range_to_pb(r) for r in s.stock_ranges])


def _range_to_pb(r) -> admin_pb2.SerialRange:
    return admin_pb2.SerialRange(serial_from=r.serial_from, serial_to=r.serial_to,
                                 count=r.count)


def destruction_to_pb(d: dict) -> admin_pb2.DestructionRecord:
    return admin_pb2.DestructionRecord(
        number=d["number"], site_code=d["site_code"], place=d["place"],
        destroyed_at_ms=d["destroyed_ms"], count=d["count"], serials=d["serials"],
        witnesses=d["witnesses"], method=d["method"], created_by=d["created_by"],
        created_ms=d["created_ms"], movement_id=d["movement_id"],
        officers=[signatory_to_pb(x) for x in d.get("officers", [])],
        witness_signatories=[signatory_to_pb(x) for x in d.get("witness_signatories", [])])


def destruction_from_pb(m: admin_pb2.DestructionRecord) -> dict:
    return dict(number=m.number, site_code=m.site_code, place=m.place,
                destroyed_ms=m.destroyed_at_ms, count=m.count, serials=list(m.serials),
                witnesses=list(m.witnesses), method=m.method, created_by=m.created_by,
                created_ms=m.created_ms, movement_id=m.movement_id,
                officers=[signatory_from_pb(x) for x in m.officers],
                witness_signatories=[signatory_from_pb(x) for x in m.witness_signatories])


def signatory_to_pb(d: dict) -> admin_pb2.Signatory:
    """A signatory dict (name, nip, position) as the API's Signatory."""
    return admin_pb2.Signatory(name=d.get("name", ""), nip=d.get("nip", ""),
                               position=d.get("position", ""))


def signatory_from_pb(m: admin_pb2.Signatory) -> dict:
    return dict(name=m.name, nip=m.nip, position=m.position)


def plan_to_pb(p) -> admin_pb2.CampaignPlan:
    """A controller.planner.Plan as the API's CampaignPlan."""
    return admin_pb2.CampaignPlan(
        campaign_id=p.campaign_id, as_of_ms=p.as_of_ms, deadline_ms=p.deadline_ms,
        budget_baru_left=p.budget_baru_left, budget_penggantian_left=p.budget_penggantian_left,
        warnings=p.warnings,
        sites=[admin_pb2.SitePlan(**vars(s)) for s in p.sites],
        moves=[admin_pb2.PlanMove(kind=m.kind, item=m.item, from_site=m.from_site,
                                  to_site=m.to_site, quantity=m.quantity, reason=m.reason)
               for m in p.moves])


def site_from_pb(m: admin_pb2.Site) -> Site:
    return Site(site_code=m.site_code, name=m.name, kecamatan=m.kecamatan,
                hours=tuple(WorkingHours(h.weekday, h.start_minute, h.end_minute)
                            for h in m.hours),
                overtime_cap_minutes=m.overtime_cap_minutes, timezone=m.timezone,
                holidays=tuple(m.holidays), printers_expected=m.printers_expected)


def site_to_pb(s: Site) -> admin_pb2.Site:
    return admin_pb2.Site(
        site_code=s.site_code, name=s.name, kecamatan=s.kecamatan,
        hours=[admin_pb2.WorkingHours(weekday=h.weekday, start_minute=h.start_minute,
                                      end_minute=h.end_minute) for h in s.hours],
        overtime_cap_minutes=s.overtime_cap_minutes, timezone=s.timezone,
        holidays=list(s.holidays), printers_expected=s.printers_expected)


def campaign_to_pb(c) -> admin_pb2.Campaign:  # noqa: ANN001 - a model.Campaign
    return admin_pb2.Campaign(campaign_id=c.campaign_id, name=c.name, deadline_ms=c.deadline_ms,
                              budget_baru=c.budget_baru,
                              budget_penggantian=c.budget_penggantian,
                              created_ms=c.created_ms, cancelled_ms=c.cancelled_ms,
                              cancel_reason=c.cancel_reason)


def mask_name(name: str) -> str:
    """'Budi Santoso' -> 'B*** S******': the shape of the name, not the name."""
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in name.split())


def mask_nik(nik: str) -> str:
    """The kabupaten/kota (first 4 digits) and the serial (last 4); the birth date and the
    kecamatan masked."""
    return nik[:4] + "*" * max(len(nik) - 8, 0) + nik[-4:] if len(nik) > 8 else "*" * len(nik)


def held_person(record_id: str, campaign_id: str, site_code: str, state: str, payload: bytes,
                masked: bool) -> admin_pb2.HeldPerson:
    """One record's person as an adjudicator reads it (masked for a role that may not see
    personal data)."""
    card = common_pb2.CardRecord.FromString(payload)
    nik, nama, born = card.nik, card.nama, card.tanggal_lahir
    if masked:
        nik, nama, born = mask_nik(nik), mask_name(nama), "****-**-**" if born else ""
    return admin_pb2.HeldPerson(record_id=record_id, nik=nik, nama=nama, tanggal_lahir=born,
                                site_code=site_code, state=_RECORD_TO_PB[RecordState(state)],
                                campaign_id=campaign_id)
