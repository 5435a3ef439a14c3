"""Domain types of the ledger: plain data, no transport (no gRPC, no SQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class AttemptState(StrEnum):
    LEASED = "leased"
    PRINTING = "printing"
    PRINTED = "printed"
    SPOILED = "spoiled"
    FAILED_BEFORE_CARD = "failed_before_card"
    UNKNOWN = "unknown"


TERMINAL_STATES = frozenset({AttemptState.PRINTED, AttemptState.SPOILED,
                             AttemptState.FAILED_BEFORE_CARD, AttemptState.UNKNOWN})

# The attempt state graph (docs/design.md section 4); the store enforces the same graph by trigger.
# UNKNOWN leaves only through an admin resolution, never through an agent report.
AGENT_TRANSITIONS: dict[AttemptState, frozenset[AttemptState]] = {
    AttemptState.LEASED: frozenset({AttemptState.PRINTING, AttemptState.PRINTED,
                                    AttemptState.SPOILED, AttemptState.FAILED_BEFORE_CARD,
                                    AttemptState.UNKNOWN}),
    AttemptState.PRINTING: frozenset({AttemptState.PRINTED, AttemptState.SPOILED,
                                      AttemptState.UNKNOWN}),
}
RESOLUTION_TRANSITIONS = frozenset({AttemptState.PRINTED, AttemptState.SPOILED,
                                    AttemptState.FAILED_BEFORE_CARD})

# A blank's serial as an admin types it off the card: letters, digits and - / _ . #, at most
# 64, ending in the blank's number (serial ranges and destruction records count by it).
BLANK_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.#-]{0,62}[0-9]")

# States in which an attempt has consumed a blank.
BLANK_CONSUMING = frozenset({AttemptState.PRINTING, AttemptState.PRINTED,
                             AttemptState.SPOILED, AttemptState.UNKNOWN})


class RecordState(StrEnum):
    QUEUED = "queued"
    LEASED = "leased"
    PRINTED = "printed"
    HELD = "held"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class AckStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    FLAGGED = "flagged"


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    deadline_ms: int = 0
    budget_baru: int = 0
    budget_penggantian: int = 0
    created_ms: int = 0
    cancelled_ms: int = 0  # 0: running; else when an admin cancelled it
    cancel_reason: str = ""


@dataclass(frozen=True)
class NewRecord:
    record_id: str
    campaign_id: str
    nik: str
    site_code: str
    kategori: str
    alasan: str
    payload: bytes
    priority: int = 0
    state: RecordState = RecordState.QUEUED
    hold_reason: str = ""
    person_key: int = 0  # cetak.prr.text.person_key; 0: none (records made outside an import)


# The values of the dispatch path (a grant, an agent's report and its result, an attempt as
# read) are built thousands of times a second: slotted dataclasses, built in a third of the
# time a frozen one takes. They are values all the same: nothing changes one once built.
@dataclass(slots=True)
class LeaseGrant:
    lease_id: str
    campaign_id: str
    record_id: str
    epoch: int
    expires_ms: int
    payload: bytes
    priority: int = 0


@dataclass(slots=True)
class AgentEvent:
    """One report from an agent about one attempt (the domain form of JobEvent)."""

    event_id: str
    lease_id: str
    epoch: int
    record_id: str
    state: AttemptState
    attempt_id: str = ""
    reason: str = ""
    printer_id: str = ""
    blank_serial: str = ""
    occurred_ms: int = 0


@dataclass(slots=True)
class EventResult:
    event_id: str
    status: AckStatus
    detail: str = ""


@dataclass(slots=True)
class Attempt:
    lease_id: str
    record_id: str
    campaign_id: str
    site_code: str
    agent_id: str
    epoch: int
    expires_ms: int
    state: AttemptState
    reason: str = ""
    attempt_id: str = ""
    printer_id: str = ""
    blank_serial: str = ""
    kategori: str = "BARU"
    updated_ms: int = 0


@dataclass(frozen=True)
class RecordView:
    record_id: str
    campaign_id: str
    site_code: str
    state: RecordState
    hold_reason: str
    kategori: str
    epoch: int
    printed_ms: int
    attempts: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True)
class PrinterReport:
    """A printer as its agent's Hello describes it (the domain form of PrinterInfo)."""

    printer_id: str
    info: bytes                  # the PrinterInfo as sent, kept for ListPrinters and metrics
    cards_per_hour: float
    model: str = ""              # the printers.models name, "" when not reported
    retransfer: bool | None = None   # None: not reported (charged ribbon and film)


@dataclass(frozen=True)
class InventoryMovement:
    movement_id: str
    site_code: str
    item: str
    kind: str
    quantity: int
    serial_from: str = ""
    serial_to: str = ""
    reference: str = ""
    counterpart_site: str = ""
    at_ms: int = 0


@dataclass(frozen=True)
class SiteBlanks:
    """Blank conservation for one site (docs/design.md invariant 3)."""

    site_code: str
    received: int
    transferred_in: int
    transferred_out: int
    printed: int
    spoiled: int
    unknown: int
    in_flight: int
    destroyed: int

    @property
    def in_stock(self) -> int:
        return (self.received + self.transferred_in - self.transferred_out
                - self.printed - self.spoiled - self.unknown - self.in_flight)
