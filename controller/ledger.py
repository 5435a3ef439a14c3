"""The issuance ledger: leases, agent reports, resolutions — where correctness lives.

Every public method is one transaction on the store. The ledger knows no transport: it takes
domain values (controller/model.py) and a store, and returns domain values. Times are passed
in (unix ms) so tests and the state-machine test control the clock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cetak.security.audit import canonical_part, detail_of_parts

from .media import attach_media
from .model import (
    AGENT_TRANSITIONS,
    BLANK_CONSUMING,
    BLANK_SERIAL,
    RESOLUTION_TRANSITIONS,
    TERMINAL_STATES,
    AckStatus,
    AgentEvent,
    Attempt,
    AttemptState,
    Campaign,
    EventResult,
    InventoryMovement,
    LeaseGrant,
    NewRecord,
    PrinterReport,
    RecordState,
    RecordView,
)
from .scheduler import LeaseBudget, choose_records

if TYPE_CHECKING:  # the ledger works on any store: it imports none
    from .sites import Site
    from .store import SqliteStore

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000

# Facts of the dispatch hot path: gathered per transaction and written as one hash-chained
# entry (or a few, each under the audit log's size limit) just before the commit, instead of
# one chained entry per ledger call. Every other fact keeps an entry of its own.
BATCHED_ACTIONS = frozenset({"lease.grant", "lease.return", "lease.expire", "agent.report"})
BATCH_ACTION = "ledger.batch"
# A record's hold_reason once `campaign cancel` cancelled it (its state is `cancelled`).
CANCELLED_REASON = "campaign_cancelled"
BATCH_DETAIL_BYTES = 12 * 1024   # below cetak.security.audit.MAX_DETAIL_BYTES (16 KiB)


class AuditRecorder(Protocol):
    def record(self, actor: str, action: str, *, allowed: bool = True,
               detail: Mapping[str, object] | None = None,
               detail_text: str | None = None) -> object: ...


class LedgerError(Exception):
    """A ledger request was refused; the message says why (no personal data)."""


@dataclass(frozen=True)
class LeasePolicy:
    """How long leases live and how many an agent may hold."""

    lease_ms: int = 6 * HOUR_MS          # absolute expiry = grant time + lease_ms
    skew_margin_ms: int = 120_000        # clocks may disagree by this much
    window_hours: float = 4.0            # default hours of printing an agent holds
    min_window_per_printer: int = 2      # keeps a pipeline full even at low measured rates
    max_window: int = 5_000


@dataclass(frozen=True)
class HelloResult:
    window: int
    resend: list[LeaseGrant]
    revoke: list[str]


class Ledger:
    def __init__(self, store: SqliteStore, policy: LeasePolicy | None = None,
                 audit: AuditRecorder | None = None,
                 random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        # random_bytes: the noise of lease ids; a simulation injects a seeded source so that
        # a run (whose store orders by lease id) repeats exactly (cetak.simulate).
        self.store = store
        self._random_bytes = random_bytes
        self.policy = policy or LeasePolicy()
        self._audit_log = audit
        self._facts: list[list] = []   # batched facts of the open transaction

    def audit(self, actor: str, action: str, **detail: object) -> None:
        """Record a state change in the same transaction as the change itself."""
        if self._audit_log is None:
            return
        if action not in BATCHED_ACTIONS or not self.store.in_transaction:
            self._audit_log.record(actor, action, allowed=True, detail=detail)
            return
        self._facts.append([actor, action, detail])
        self.store.on_commit(self._flush_audit, self._drop_audit)

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """store.transaction(), and a refused call takes its batched audit facts with it."""
        mark = len(self._facts)
        try:
            with self.store.transaction():
                yield
        except BaseException:
            del self._facts[mark:]
            raise

    def _drop_audit(self) -> None:
        self._facts.clear()

    def _flush_audit(self) -> None:
        """Write the transaction's batched facts: chained entries `ledger.batch` whose detail
        is {"facts": [[actor, action, detail], ...]}, each under the size limit."""
        facts, self._facts = self._facts, []
        assert self._audit_log is not None
        chunk: list[str] = []  # each fact encoded once: its size and its part of the entry
        size = 0
        for fact in _split_facts(facts):
            text = canonical_part(fact)
            if chunk and size + len(text) + 1 > BATCH_DETAIL_BYTES:
                self._audit_log.record("ledger", BATCH_ACTION,
                                       detail_text=detail_of_parts("facts", chunk))
                chunk, size = [], 0
            chunk.append(text)
            size += len(text) + 1
        if chunk:
            self._audit_log.record("ledger", BATCH_ACTION,
                                   detail_text=detail_of_parts("facts", chunk))

    # -- campaigns, sites, records ---------------------------------------------------------

    def create_campaign(self, campaign: Campaign) -> Campaign:
        with self._tx():
            if self.store.get_campaign(campaign.campaign_id) is not None:
                raise LedgerError(f"campaign {campaign.campaign_id!r} already exists")
            self.store.create_campaign(campaign)
            self.audit("ledger", "campaign.create", campaign_id=campaign.campaign_id,
                        deadline_ms=campaign.deadline_ms, budget_baru=campaign.budget_baru,
                        budget_penggantian=campaign.budget_penggantian)
        return campaign

    def upsert_site(self, site: Site, actor: str) -> tuple[Site, bool]:
        """Register or change a site (already checked by sites.complete): the site as stored,
        and whether it was new. The audit entry says what it became."""
        with self._tx():
            created = self.store.get_site(site.site_code) is None
            self.store.upsert_site(**site.store_args())
            self.audit(actor, "site.add" if created else "site.set", **site.store_args())
        return site, created

    def update_campaign(self, campaign_id: str, actor: str, *, name: str | None = None,
                        deadline_ms: int | None = None, budget_baru: int | None = None,
                        budget_penggantian: int | None = None) -> Campaign:
        """Change what is given of a running campaign's name, deadline and budgets (audited
        with the values before and after)."""
        for label, value in (("budget_baru", budget_baru),
                             ("budget_penggantian", budget_penggantian),
                             ("deadline_ms", deadline_ms)):
            if value is not None and value < 0:
                raise LedgerError(f"{label}: must be 0 or more")
        if name is not None and not name.strip():
            raise LedgerError("name: must not be empty")
        with self._tx():
            before = open_campaign(self.store.get_campaign(campaign_id), campaign_id)
            after = dataclasses.replace(
                before, **{k: v for k, v in (("name", name), ("deadline_ms", deadline_ms),
                                             ("budget_baru", budget_baru),
                                             ("budget_penggantian", budget_penggantian))
                           if v is not None})
            if after == before:
                raise LedgerError("nothing to change: give a new name, deadline or budget")
            self.store.update_campaign(after)
            changed = {k: [getattr(before, k), getattr(after, k)]
                       for k in ("name", "deadline_ms", "budget_baru", "budget_penggantian")
                       if getattr(before, k) != getattr(after, k)}
            self.audit(actor, "campaign.update", campaign_id=campaign_id, changed=changed)
        return after

    def cancel_campaign(self, campaign_id: str, reason: str, actor: str,
                        now_ms: int) -> tuple[Campaign, int]:
        """Cancel a campaign: its records waiting to print are cancelled now; those leased
        finish as they will (a card printed is printed) and are cancelled if they come back;
        those held for an unknown outcome are cancelled once resolved not printed. No record is
        printed for it afterwards and nothing more is imported into it. (campaign, records
        cancelled now)."""
        if not reason.strip():
            raise LedgerError("a cancellation needs a reason")
        with self._tx():
            open_campaign(self.store.get_campaign(campaign_id), campaign_id)
            n = self.store.cancel_campaign(campaign_id, now_ms, reason, CANCELLED_REASON)
            self.audit(actor, "campaign.cancel", campaign_id=campaign_id, reason=reason,
                        records_cancelled=n)
            campaign = self.store.get_campaign(campaign_id)
        assert campaign is not None
        return campaign, n

    def _requeue_state(self, campaign_id: str) -> RecordState:
        """Where a record goes when an attempt ends without a card: back to the queue, or to
        cancelled when its campaign was cancelled meanwhile."""
        return (RecordState.CANCELLED if campaign_id in self.store.cancelled_campaigns()
                else RecordState.QUEUED)

    def add_records(self, records: list[NewRecord], now_ms: int) -> int:
        """Insert records atomically: a NIK already in the campaign refuses the whole batch."""
        if not records:
            return 0
        with self._tx():
            by_campaign: dict[str, list[str]] = {}
            for r in records:
                by_campaign.setdefault(r.campaign_id, []).append(r.nik)
            for campaign_id, niks in by_campaign.items():
                open_campaign(self.store.get_campaign(campaign_id), campaign_id)
                if self.store.niks_in_campaign(campaign_id, niks):
                    raise LedgerError("a NIK in this batch is already in the campaign")
            n = self.store.insert_records(records, now_ms)
            self.audit("ledger", "records.add", count=n,
                        campaigns=sorted(by_campaign))
            return n

    def record_inventory(self, movement: InventoryMovement) -> InventoryMovement:
        if movement.quantity <= 0:
            raise LedgerError("inventory quantity must be positive")
        with self._tx():
            if movement.kind in ("transfer_out", "destroy"):
                # Checked against counts a grant on another replica may be changing.
                self.store.try_lock(f"grant:{movement.site_code}", wait=True)
                blanks = self.store.site_blanks(movement.site_code)
                if movement.item == "blank" and movement.kind == "transfer_out" \
                        and movement.quantity > blanks.in_stock - self._leased_at(
                            movement.site_code):
                    raise LedgerError("not enough unreserved blanks in stock at the site")
                if movement.item == "blank" and movement.kind == "destroy" \
                        and blanks.destroyed + movement.quantity > blanks.spoiled:
                    raise LedgerError("only spoiled blanks can be destroyed")
            self.store.add_movement(movement)
            self.audit("ledger", f"inventory.{movement.kind}", site_code=movement.site_code,
                        item=movement.item, quantity=movement.quantity,
                        serial_from=movement.serial_from, serial_to=movement.serial_to,
                        reference=movement.reference, movement_id=movement.movement_id)
        return movement

    # -- agents ------------------------------------------------------------------------------

    def hello(self, agent_id: str, site_code: str,
              printers: Sequence[PrinterReport | tuple[str, bytes, float]],
              held_lease_ids: list[str], software: str, window_hours: float,
              now_ms: int) -> HelloResult:
        """An agent (re)connects: register it, then reconcile leases with its journal."""
        with self._tx():
            known_site = self.store.agent_site(agent_id)
            if known_site is not None and known_site != site_code and \
                    self.store.count_active(agent_id):
                raise LedgerError("agent changed site while holding leases")
            self.store.upsert_agent(agent_id, site_code, software,
                                    window_hours or self.policy.window_hours, now_ms)
            for p in printers:
                p = p if isinstance(p, PrinterReport) else PrinterReport(*p)
                self.store.upsert_printer(agent_id, p.printer_id, site_code, p.info,
                                          p.cards_per_hour, now_ms, p.model, p.retransfer)
            held = set(held_lease_ids)
            active = {a.lease_id: a for a in self.store.active_attempts(agent_id)}
            resend = [self._grant_of(a) for lid, a in active.items()
                      if lid not in held and a.state == AttemptState.LEASED]
            revoke = sorted(lid for lid in held if lid not in active)
            window = self._window(agent_id, site_code, window_hours)
        return HelloResult(window=window, resend=resend, revoke=revoke)

    def disconnected(self, agent_id: str, now_ms: int) -> None:
        with self._tx():
            self.store.set_agent_connected(agent_id, False, now_ms)

    def printer_status(self, agent_id: str, printer_id: str, status: bytes, now_ms: int) -> None:
        with self._tx():
            self.store.set_printer_status(agent_id, printer_id, status, now_ms)

    def window_for(self, agent_id: str, site_code: str, window_hours: float = 0.0) -> int:
        with self._tx():
            return self._window(agent_id, site_code, window_hours)

    def _window(self, agent_id: str, site_code: str, window_hours: float) -> int:
        hours = window_hours or self.policy.window_hours
        printers = [p for p in self.store.printers(site_code) if p["agent_id"] == agent_id]
        rate = sum(p["cards_per_hour"] for p in printers)
        by_rate = max(int(rate * hours + 0.5),
                      self.policy.min_window_per_printer * max(len(printers), 1))
        # Capped by the blanks the site holds: leases beyond them could never print.
        blanks = self.store.site_blanks(site_code)
        return max(0, min(by_rate, blanks.in_stock, self.policy.max_window))

    def _leased_at(self, site_code: str) -> int:
        return self.store.count_attempts(site_code=site_code, states=[AttemptState.LEASED])

    # -- leases ------------------------------------------------------------------------------

    def grant(self, agent_id: str, site_code: str, slots: int, now_ms: int,
              window: int | None = None) -> list[LeaseGrant]:
        """Lease up to `slots` records of the agent's site, within its window and the budgets."""
        if slots <= 0:
            return []
        with self._tx():
            # Replicas on one database (PostgreSQL): the blanks of a site, and the category
            # budgets, are counted, checked and spent here, so one grant at a time may do it.
            # The lock never waits; a grant that misses it returns nothing and is retried.
            if not self.store.try_lock(f"grant:{site_code}"):
                return []
            if window is None:
                window = self._window(agent_id, site_code, 0.0)
            blanks, leased, outstanding = self.store.grant_inputs(site_code, agent_id)
            budget = LeaseBudget.measure(self.store, site_code, blanks, leased)
            if budget.category_left and not self.store.try_lock("grant:category-budgets"):
                return []
            wanted = min(slots, window - outstanding, budget.blanks_available)
            if wanted <= 0:
                return []
            chosen = choose_records(self.store, site_code, wanted, budget)
            grants = []
            expires = now_ms + self.policy.lease_ms
            attempts = []
            # Lease ids: the grant time, then 64 random bits (unique across replicas too).
            # In time order they append to the attempts' primary key instead of landing
            # at random pages of it, and the attempts a report touches are the recent ones.
            stamp = f"{now_ms:012x}"
            noise = self._random_bytes(8 * len(chosen)).hex()  # one system call for the whole grant
            for i, (record_id, campaign_id, kategori, epoch, priority, payload) in enumerate(
                    chosen):
                lease_id = stamp + noise[16 * i:16 * i + 16]
                new_epoch = epoch + 1
                attempts.append(Attempt(
                    lease_id=lease_id, record_id=record_id, campaign_id=campaign_id,
                    site_code=site_code, agent_id=agent_id, epoch=new_epoch, expires_ms=expires,
                    state=AttemptState.LEASED, kategori=kategori, updated_ms=now_ms))
                grants.append(LeaseGrant(lease_id=lease_id, campaign_id=campaign_id,
                                         record_id=record_id, epoch=new_epoch,
                                         expires_ms=expires,
                                         payload=attach_media(self.store, payload),
                                         priority=priority))
            # Every record under its new epoch and its attempt, in one statement per table.
            self.store.lease_records(attempts, now_ms)
            self.audit(f"agent:{agent_id}", "lease.grant", site_code=site_code,
                        expires_ms=expires,
                        leases=[[g.lease_id, g.record_id, g.epoch] for g in grants])
        return grants

    def _grant_of(self, a: Attempt) -> LeaseGrant:
        return LeaseGrant(lease_id=a.lease_id, campaign_id=a.campaign_id, record_id=a.record_id,
                          epoch=a.epoch, expires_ms=a.expires_ms,
                          payload=attach_media(self.store,
                                               self.store.record_payload(a.record_id)))

    def return_leases(self, agent_id: str, lease_ids: list[str], now_ms: int,
                      reason: str = "returned") -> int:
        """The agent gives back leases it will not print: the records are queued again."""
        returned = 0
        with self._tx():
            for lease_id in lease_ids:
                a = self.store.get_attempt(lease_id)
                if a is None or a.agent_id != agent_id or a.state != AttemptState.LEASED:
                    continue
                self._finish_unused(a, f"lease_{reason}", now_ms)
                returned += 1
            if returned:
                self.audit(f"agent:{agent_id}", "lease.return", reason=reason,
                            leases=list(lease_ids))
        return returned

    def expire(self, now_ms: int) -> int:
        """Requeue leases past expiry plus the skew margin that no blank was fed for."""
        cutoff = now_ms - self.policy.skew_margin_ms
        expired = 0
        with self._tx():
            done = []
            for a in self.store.leased_expired_before(cutoff):
                self._finish_unused(a, "lease_expired", now_ms)
                done.append(a.lease_id)
            expired = len(done)
            if done:
                self.audit("controller", "lease.expire", leases=done)
        return expired

    def release_agent(self, agent_id: str, now_ms: int) -> int:
        """An admin declared the agent dead: requeue its unstarted leases, hold started ones."""
        released = 0
        with self._tx():
            for listed in self.store.active_attempts(agent_id):
                # Re-read (row-locked on PostgreSQL): another replica may have expired or
                # finished it since the list was read, and its record may be leased again.
                a = self.store.get_attempt(listed.lease_id)
                if a is None or a.state not in (AttemptState.LEASED, AttemptState.PRINTING):
                    continue
                if a.state == AttemptState.LEASED:
                    self._finish_unused(a, "lease_released", now_ms)
                else:
                    self.store.update_attempt(a.lease_id, AttemptState.UNKNOWN, now_ms,
                                              reason="agent_released")
                    self.store.set_record_state(a.record_id, RecordState.HELD,
                                                hold_reason="unknown_outcome")
                released += 1
            self.audit("admin", "agent.release", agent_id=agent_id, released=released)
        return released

    def _finish_unused(self, a: Attempt, reason: str, now_ms: int) -> None:
        self.store.update_attempt(a.lease_id, AttemptState.FAILED_BEFORE_CARD, now_ms,
                                  reason=reason)
        state = self._requeue_state(a.campaign_id)
        self.store.set_record_state(a.record_id, state, hold_reason=(
            CANCELLED_REASON if state == RecordState.CANCELLED else ""))

    # -- agent reports -----------------------------------------------------------------------

    def apply_events(self, agent_id: str, events: list[AgentEvent],
                     now_ms: int) -> list[EventResult]:
        """Judge and apply a batch of one agent's reports, in order, in one transaction.

        The batch is read in two queries (applied event ids; attempts with their records,
        row-locked on PostgreSQL) and each attempt and record is written once, in its final
        state: PRINTING then PRINTED of one lease is one attempt update (leased -> printed is
        on the state graph; the PRINTING fields are kept)."""
        if not events:
            return []
        with self._tx():
            applied, leases = self.store.report_context(
                agent_id, list(dict.fromkeys(e.event_id for e in events)),
                list(dict.fromkeys(e.lease_id for e in events)))
            batch = _ReportBatch(applied, leases)
            results = [self._apply(agent_id, e, now_ms, batch) for e in events]
            if any(state == RecordState.QUEUED for state, _ in batch.record_writes.values()):
                batch.cancel_requeued(self.store.cancelled_campaigns())
            self.store.write_reports(
                [(lease_id, str(state), now_ms, f.get("reason"), f.get("attempt_id"),
                  f.get("printer_id"), f.get("blank_serial"))
                 for lease_id, (state, f) in batch.attempt_writes.items()],
                [(record_id, str(state), f.get("hold_reason", ""), f.get("printed_ms"))
                 for record_id, (state, f) in batch.record_writes.items()],
                batch.event_rows, [batch.leases[lease_id] for lease_id in batch.attempt_writes])
            self.audit(f"agent:{agent_id}", "agent.report", events=[
                [e.event_id, e.lease_id, e.epoch, str(e.state), e.reason, e.blank_serial,
                 str(r.status)] for e, r in zip(events, results, strict=True)])
        return results

    def _apply(self, agent_id: str, e: AgentEvent, now_ms: int,
               batch: _ReportBatch) -> EventResult:
        seen = batch.applied.get(e.event_id)
        if seen is not None:
            return EventResult(e.event_id, AckStatus.DUPLICATE, seen[1])
        status, detail = self._judge(agent_id, e, now_ms, batch)
        if status == AckStatus.FLAGGED:
            log.warning("flagged report from agent %s: %s", agent_id, detail)
            self.store.flag_event(agent_id, e.event_id, e.lease_id, e.record_id, e.epoch,
                                  str(e.state), detail.split(":", 1)[0], detail, now_ms)
        batch.applied[e.event_id] = (str(status), detail)
        batch.event_rows.append((agent_id, e.event_id, str(status), detail, now_ms))
        return EventResult(e.event_id, status, detail)

    def _judge(self, agent_id: str, e: AgentEvent, now_ms: int,
               batch: _ReportBatch) -> tuple[AckStatus, str]:
        a = batch.leases.get(e.lease_id)
        if a is None:
            return AckStatus.FLAGGED, "unknown_lease: no such lease"
        if a.agent_id != agent_id:
            return AckStatus.FLAGGED, "foreign_lease: lease belongs to another agent"
        if a.record_id != e.record_id:
            return AckStatus.FLAGGED, "record_mismatch: lease is for another record"
        record_state, current_epoch = batch.records[a.record_id]
        if e.epoch != a.epoch or e.epoch != current_epoch:
            return AckStatus.FLAGGED, (f"stale_epoch: report epoch {e.epoch}, lease epoch "
                                       f"{a.epoch}, record epoch {current_epoch}")
        state = batch.states.get(e.lease_id, a.state)  # after this batch's earlier reports
        if e.state == state:
            return AckStatus.DUPLICATE, "already in that state"
        if state in TERMINAL_STATES and e.state == AttemptState.PRINTING:
            # Out-of-order delivery: the outcome arrived first; PRINTING adds nothing.
            return AckStatus.DUPLICATE, "superseded by the outcome"
        allowed = AGENT_TRANSITIONS.get(state, frozenset())
        if e.state not in allowed:
            return AckStatus.FLAGGED, f"bad_transition: {state} -> {e.state}"
        if e.state == AttemptState.PRINTED and record_state == RecordState.PRINTED:
            # Only reachable if a fence was broken: surface it, the store would refuse it anyway.
            return AckStatus.FLAGGED, "duplicate_print: record already has a printed card"
        self._transition(a, e, now_ms, batch)
        return AckStatus.APPLIED, ""

    def _transition(self, a: Attempt, e: AgentEvent, now_ms: int,
                    batch: _ReportBatch) -> None:
        fields: dict[str, str] = {}
        for name, value in (("attempt_id", e.attempt_id), ("printer_id", e.printer_id),
                            ("blank_serial", e.blank_serial)):
            if value:
                fields[name] = value
        record: tuple[RecordState, dict] | None = None
        if e.state == AttemptState.PRINTED:
            record = (RecordState.PRINTED, {"printed_ms": now_ms})
        elif e.state == AttemptState.SPOILED:
            fields["reason"] = e.reason or "spoiled"
            record = (RecordState.QUEUED, {})
        elif e.state == AttemptState.FAILED_BEFORE_CARD:
            fields["reason"] = e.reason or "failed"
            record = (RecordState.QUEUED, {})
        elif e.state == AttemptState.UNKNOWN:
            fields["reason"] = e.reason or "unknown"
            record = (RecordState.HELD, {"hold_reason": "unknown_outcome"})
        batch.attempt_changed(a, e.state, fields, record)

    # -- admin resolutions ------------------------------------------------------------------

    def resolve(self, attempt_or_lease_id: str, outcome: AttemptState, evidence: str,
                now_ms: int, blank_serial: str = "") -> RecordView:
        """Decide an UNKNOWN attempt from evidence (counter, card in hopper, operator).
        `blank_serial`: the blank the attempt used, read off the card, when the attempt names
        none (the agent stopped before it read it), so a spoiled one can be destroyed."""
        if outcome not in RESOLUTION_TRANSITIONS:
            raise LedgerError(f"an unknown outcome resolves to printed, spoiled or "
                              f"failed_before_card, not {outcome}")
        if not evidence.strip():
            raise LedgerError("a resolution needs evidence")
        blank_serial = blank_serial.strip()
        if blank_serial:
            if not BLANK_SERIAL.fullmatch(blank_serial):
                raise LedgerError(f"blank serial {blank_serial[:70]!r}: expected up to 64 "
                                  "letters, digits, '-', '/', '_', '.' or '#', ending in the "
                                  "blank's number (e.g. KTP0001003)")
            if outcome == AttemptState.FAILED_BEFORE_CARD:
                raise LedgerError("a blank serial names the blank an attempt used; not fed "
                                  "means it used none")
        with self._tx():
            a = self.store.find_attempt(attempt_or_lease_id)
            if a is None:
                raise LedgerError("no such attempt")
            if a.state != AttemptState.UNKNOWN:
                raise LedgerError(f"attempt is {a.state}, not unknown")
            if outcome == AttemptState.PRINTED:
                record = self.store.record_row(a.record_id)
                if record and record[3] == RecordState.PRINTED:
                    raise LedgerError("record already has a printed card")
            if blank_serial and a.blank_serial and blank_serial != a.blank_serial:
                raise LedgerError(f"the attempt already names blank {a.blank_serial} (the "
                                  f"printer reported it); leave the serial out")
            if blank_serial and blank_serial != a.blank_serial \
                    and blank_serial in self.store.used_serials(a.site_code):
                raise LedgerError(f"blank {blank_serial} is already recorded for another card "
                                  f"at site {a.site_code}")
            self.store.update_attempt(a.lease_id, outcome, now_ms, evidence=evidence,
                                      reason=f"resolved_{outcome}",
                                      blank_serial=blank_serial or None)
            still_unknown = [x for x in self.store.attempts_of_record(a.record_id)
                             if x.state == AttemptState.UNKNOWN]
            if outcome == AttemptState.PRINTED:
                self.store.set_record_state(a.record_id, RecordState.PRINTED, printed_ms=now_ms)
            elif not still_unknown:
                state = self._requeue_state(a.campaign_id)
                self.store.set_record_state(a.record_id, state, hold_reason=(
                    CANCELLED_REASON if state == RecordState.CANCELLED else ""))
            view = self.store.get_record(a.record_id)
            self.audit("admin", "attempt.resolve", lease_id=a.lease_id,
                        record_id=a.record_id, outcome=str(outcome), evidence=evidence,
                        **({"blank_serial": blank_serial} if blank_serial else {}))
        assert view is not None
        return view

    def move_records(self, campaign_id: str, from_site: str, to_site: str,
                     record_ids: list[str]) -> int:
        if from_site == to_site:
            raise LedgerError("source and destination site are the same")
        with self._tx():
            moved = self.store.move_queued(campaign_id, from_site, to_site, record_ids)
            self.audit("admin", "records.move", campaign_id=campaign_id, from_site=from_site,
                        to_site=to_site, moved=moved, record_ids=record_ids)
            return moved

    # -- queries -----------------------------------------------------------------------------

    def lookup(self, nik: str, campaign_id: str = "") -> list[RecordView]:
        with self._tx():
            return self.store.records_by_nik(nik, campaign_id)

    def blank_consuming(self, a: Attempt) -> bool:
        return a.state in BLANK_CONSUMING


class _ReportBatch:
    """One apply_events call: what was read, and the writes it ends with (final states)."""

    def __init__(self, applied: dict[str, tuple[str, str]],
                 leases: dict[str, tuple[Attempt, str, int]]) -> None:
        self.applied = applied
        self.leases: dict[str, Attempt] = {}
        self.records: dict[str, tuple[RecordState, int]] = {}
        for lease_id, (attempt, record_state, record_epoch) in leases.items():
            self.leases[lease_id] = attempt
            self.records[attempt.record_id] = (RecordState(record_state), record_epoch)
        # lease_id -> state after the reports judged so far (the read attempt stays as read)
        self.states: dict[str, AttemptState] = {}
        self.attempt_writes: dict[str, tuple[AttemptState, dict[str, str]]] = {}
        self.record_writes: dict[str, tuple[RecordState, dict]] = {}
        self.event_rows: list[tuple[str, str, str, str, int]] = []

    def attempt_changed(self, a: Attempt, state: AttemptState, fields: dict[str, str],
                        record: tuple[RecordState, dict] | None) -> None:
        self.states[a.lease_id] = state
        merged = dict(self.attempt_writes.get(a.lease_id, (state, {}))[1])
        merged.update(fields)
        self.attempt_writes[a.lease_id] = (state, merged)
        if record is not None:
            record_state, extra = record
            self.records[a.record_id] = (record_state, self.records[a.record_id][1])
            self.record_writes[a.record_id] = (record_state, extra)

    def cancel_requeued(self, cancelled: set[str]) -> None:
        """Records this batch sends back to the queue whose campaign was cancelled go to
        cancelled instead (an agent's spoil or not-fed after `campaign cancel`)."""
        if not cancelled:
            return
        campaign_of = {a.record_id: a.campaign_id for a in self.leases.values()}
        for record_id, (state, extra) in list(self.record_writes.items()):
            if state == RecordState.QUEUED and campaign_of.get(record_id) in cancelled:
                self.record_writes[record_id] = (RecordState.CANCELLED,
                                                 {**extra, "hold_reason": CANCELLED_REASON})


def open_campaign(campaign: Campaign | None, campaign_id: str) -> Campaign:
    """`campaign` if it exists and runs; else LedgerError saying it does not, or was
    cancelled."""
    if campaign is None:
        raise LedgerError(f"no campaign {campaign_id!r}")
    if campaign.cancelled_ms:
        raise LedgerError(f"campaign {campaign_id!r} was cancelled"
                          + (f" ({campaign.cancel_reason})" if campaign.cancel_reason else ""))
    return campaign


def _split_facts(facts: list[list]) -> Iterator[list]:
    """Facts small enough for one audit entry: a long list in a fact's detail (the leases of a
    large grant, the events of a replayed journal) is spread over several facts."""
    for actor, action, detail in facts:
        lists = [k for k, v in detail.items() if isinstance(v, list) and len(v) > 64]
        if not lists:
            yield [actor, action, detail]
            continue
        key = lists[0]
        items = detail[key]
        for i in range(0, len(items), 64):
            yield [actor, action, {**detail, key: items[i:i + 64]}]
