"""The ledger as a state machine: random event orders, replays, duplicates, drops, lease
expiries and controller restarts, with every invariant checked after every step.

Hypothesis drives a `RuleBasedStateMachine` against a real SQLite store file and a fake clock
(the ledger takes times as arguments). Agents are modelled the way the real one behaves: it
journals a lease before printing, never starts one after `expires - skew`, journals each event
before sending it and may send it any number of times, in any order, or lose a PRINTING
event (it died before sending it; the outcome implies it). What the model checks after each
step, beside `controller/verify.py` (one printed attempt per record, records agree with their
attempts, blank conservation, destroyed within spoiled):

- every imported record is in the store in a visible state, none appears from nowhere;
- a record once printed stays printed, with exactly one printed attempt;
- blanks: received = in stock + printed + spoiled + unknown + in flight, for every site;
- no site holds more leases than blanks in stock (a lease reserves one);
- a report whose epoch is not the record's current one is never applied, and a replayed
  event never changes anything;
- the controller never expires a lease before `expires + skew` and never leases a record
  that was not queued;
- the hash-chained audit log verifies.

Fast by default (50 examples of up to 40 steps). A long run::

    HYPOTHESIS_PROFILE=long python -m pytest tests/controller/test_ledger_state_machine.py

(1,000 examples of up to 100 steps; `HYPOTHESIS_PROFILE=ci` is the default.) A failure is
shrunk to a short step list that Hypothesis prints, ready to paste as a regression test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cetak.controller.audit import audit_log_for
from cetak.controller.ledger import LeasePolicy, Ledger, LedgerError
from cetak.controller.model import (
    AckStatus,
    AgentEvent,
    AttemptState,
    Campaign,
    InventoryMovement,
    LeaseGrant,
    RecordState,
)
from cetak.controller.store import SqliteStore
from cetak.controller.verify import verify_store

from .conftest import make_records

LEASE_MS = 60_000
SKEW_MS = 1_000
SITES = ("32.76.01.1006", "32.76.01.1007")
AGENTS = {"a1": SITES[0], "a2": SITES[0], "a3": SITES[1]}
OUTCOMES = (AttemptState.PRINTED, AttemptState.SPOILED, AttemptState.UNKNOWN)
VISIBLE = {RecordState.QUEUED, RecordState.LEASED, RecordState.PRINTED, RecordState.HELD,
           RecordState.REJECTED, RecordState.CANCELLED}

PROFILES = {
    "ci": settings(max_examples=50, stateful_step_count=40, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow]),
    "long": settings(max_examples=1_000, stateful_step_count=100, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow]),
}


@dataclass
class AgentModel:
    """What one agent's journal holds."""

    site: str
    held: dict[str, LeaseGrant] = field(default_factory=dict)   # leases not yet started
    outbox: list[AgentEvent] = field(default_factory=list)      # journaled, never acked
    acked: list[AgentEvent] = field(default_factory=list)       # acked: replays of these


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="cetak-sm-")
        self.path = os.path.join(self.dir, "controller.db")
        self.now = 1_000_000
        self._open()
        self.ledger.create_campaign(Campaign("c1", "Pemilu", created_ms=1))
        self.imported: dict[str, str] = {}        # record_id -> site
        self.received = dict.fromkeys(SITES, 0)
        self.next_record = 0
        self.printed_once: set[str] = set()
        self.agents = {a: AgentModel(site) for a, site in AGENTS.items()}
        self.every_grant: dict[str, LeaseGrant] = {}
        self.ids = 0

    def _open(self) -> None:
        # synchronous=NORMAL: a restart here is a clean close and reopen; fsync adds nothing
        # to what this test checks and would make it slow.
        self.store = SqliteStore(self.path, durable=False)
        self.audit = audit_log_for(self.store)
        self.ledger = Ledger(self.store, LeasePolicy(lease_ms=LEASE_MS, skew_margin_ms=SKEW_MS),
                             audit=self.audit)

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------------

    def _id(self, kind: str) -> str:
        # Deterministic ids (and choices drawn in insertion order, never sorted by the
        # ledger's random lease ids): Hypothesis replays and shrinks a failure exactly.
        self.ids += 1
        return f"{kind}-{self.ids}"

    def _snapshot(self) -> tuple:
        c = self.store.connection
        return (c.execute("SELECT record_id, state, epoch, hold_reason FROM records "
                          "ORDER BY 1").fetchall(),
                c.execute("SELECT lease_id, state, reason FROM attempts ORDER BY 1").fetchall())

    def _record(self, record_id: str):
        view = self.store.get_record(record_id)
        assert view is not None
        return view

    def _deliver(self, agent_id: str, events: list[AgentEvent]) -> list:
        # What a report may do depends on the store before it: a stale epoch is never applied.
        before = {}
        for e in events:
            attempt = self.store.get_attempt(e.lease_id)
            record = self.store.record_row(e.record_id)
            before[e.event_id] = (attempt, record[6] if record else None)
        results = self.ledger.apply_events(agent_id, events, self.now)
        assert [r.event_id for r in results] == [e.event_id for e in events]
        for e, r in zip(events, results, strict=True):
            attempt, epoch = before[e.event_id]
            if r.status == AckStatus.APPLIED:
                assert attempt is not None and attempt.agent_id == agent_id
                assert e.epoch == attempt.epoch, "a report of another epoch was applied"
                # Within one batch an earlier event may have moved the record on only if it
                # was the same lease's own outcome; the epoch never changes inside a batch.
                assert e.epoch == epoch, "a stale epoch was applied"
        return results

    # -- rules: the campaign ---------------------------------------------------------------------

    @initialize(records=st.tuples(st.integers(0, 6), st.integers(0, 6)),
                blanks=st.tuples(st.integers(0, 8), st.integers(0, 8)))
    def campaign_starts(self, records: tuple[int, int], blanks: tuple[int, int]) -> None:
        # Most runs should reach leases and reports; the rules below add more of everything.
        for site, n, b in zip(SITES, records, blanks, strict=True):
            if n:
                self.import_records(site, n)
            if b:
                self.receive_blanks(site, b)

    @rule(site=st.sampled_from(SITES), n=st.integers(1, 4))
    def import_records(self, site: str, n: int) -> None:
        records = make_records("c1", n, site=site, start=self.next_record)
        self.next_record += n
        assert self.ledger.add_records(records, self.now) == n
        for r in records:
            self.imported[r.record_id] = site

    @rule(site=st.sampled_from(SITES), n=st.integers(1, 4))
    def receive_blanks(self, site: str, n: int) -> None:
        self.ledger.record_inventory(InventoryMovement(self._id("movement"), site, "blank",
                                                       "receive", n, at_ms=self.now))
        self.received[site] += n

    # -- rules: agents -----------------------------------------------------------------------------

    @rule(agent_id=st.sampled_from(sorted(AGENTS)))
    def hello(self, agent_id: str) -> None:
        """(Re)connect with the journal's lease ids: revoked ones are dropped, lost ones resent."""
        agent = self.agents[agent_id]
        # The journal: leases not started, and started ones whose events are not all acked.
        held = list(dict.fromkeys([*agent.held, *(e.lease_id for e in agent.outbox)]))
        result = self.ledger.hello(agent_id, agent.site, [("p1", b"", 100.0)], held, "sm",
                                   0.0, self.now)
        assert set(result.revoke) <= set(held)
        for lease_id in result.revoke:
            attempt = self.store.get_attempt(lease_id)
            assert attempt is None or attempt.state not in (AttemptState.LEASED,
                                                            AttemptState.PRINTING)
            agent.held.pop(lease_id, None)  # a started one stays: its events are reported
        for grant in result.resend:
            assert grant.lease_id not in agent.held
            assert self.store.get_attempt(grant.lease_id).state == AttemptState.LEASED
            agent.held[grant.lease_id] = grant

    @rule(agent_id=st.sampled_from(sorted(AGENTS)), slots=st.integers(1, 3))
    def grant(self, agent_id: str, slots: int) -> None:
        agent = self.agents[agent_id]
        queued_before = {rid for rid in self.imported
                         if self._record(rid).state == RecordState.QUEUED}
        epochs = {rid: self._record(rid).epoch for rid in queued_before}
        try:
            grants = self.ledger.grant(agent_id, agent.site, slots, self.now)
        except LedgerError:
            return
        assert len(grants) <= slots
        for g in grants:
            assert g.record_id in queued_before, "leased a record that was not queued"
            assert self.imported[g.record_id] == agent.site, "leased another site's record"
            assert g.epoch == epochs[g.record_id] + 1
            assert g.expires_ms == self.now + LEASE_MS
            agent.held[g.lease_id] = g
            self.every_grant[g.lease_id] = g

    def _pick_agent(self, data, wanted) -> str | None:
        # Among the agents that can do the step, so few steps are spent doing nothing.
        able = [a for a in sorted(self.agents) if wanted(self.agents[a])]
        return data.draw(st.sampled_from(able)) if able else None

    @rule(data=st.data(), outcome=st.sampled_from((*OUTCOMES, AttemptState.FAILED_BEFORE_CARD)),
          lose_printing=st.booleans(), send_now=st.booleans())
    def agent_prints(self, data, outcome: AttemptState, lose_printing: bool,
                     send_now: bool) -> None:
        """An agent starts a held lease (only before expires - skew) and journals events;
        `send_now`: they are sent at once (in a random order), else they wait in the journal."""
        agent_id = self._pick_agent(data, lambda a: a.held)
        if agent_id is None:
            return
        agent = self.agents[agent_id]
        startable = [lid for lid, g in agent.held.items() if self.now < g.expires_ms - SKEW_MS]
        if startable:
            self._print(agent_id, data.draw(st.sampled_from(startable)), outcome,
                        lose_printing, send_now, data)

    @rule(agent_id=st.sampled_from(sorted(AGENTS)), data=st.data())
    def agent_works(self, agent_id: str, data) -> None:
        """Credit, leases and printing in one step: most runs then get far into a campaign,
        while the single-step rules interleave everything else between them."""
        before = set(self.agents[agent_id].held)
        self.grant(agent_id, data.draw(st.integers(1, 3)))
        for lease_id in [lid for lid in self.agents[agent_id].held if lid not in before]:
            self._print(agent_id, lease_id,
                        data.draw(st.sampled_from((*OUTCOMES, AttemptState.FAILED_BEFORE_CARD))),
                        data.draw(st.booleans()), data.draw(st.booleans()), data)

    def _print(self, agent_id: str, lease_id: str, outcome: AttemptState, lose_printing: bool,
               send_now: bool, data) -> None:
        agent = self.agents[agent_id]
        g = agent.held.pop(lease_id)
        attempt_id = self._id("attempt")

        def event(state: AttemptState, reason: str = "") -> AgentEvent:
            return AgentEvent(event_id=self._id("event"), lease_id=g.lease_id, epoch=g.epoch,
                              record_id=g.record_id, state=state, attempt_id=attempt_id,
                              reason=reason, printer_id="p1",
                              blank_serial="" if state == AttemptState.FAILED_BEFORE_CARD
                              else f"B-{attempt_id[:8]}")

        if outcome == AttemptState.FAILED_BEFORE_CARD:
            events = [event(outcome, "printer_offline")]
        else:
            events = [] if lose_printing else [event(AttemptState.PRINTING)]
            events.append(event(outcome, "" if outcome == AttemptState.PRINTED else "jam"))
        if send_now:
            self._deliver(agent_id, data.draw(st.permutations(events)))
            agent.acked += events
        else:
            agent.outbox += events

    @rule(data=st.data(), keep=st.booleans(), twice=st.booleans())
    def deliver(self, data, keep: bool, twice: bool) -> None:
        """Send some journaled events in any order; `keep`: the acks are lost, so they stay
        in the journal and are sent again later; `twice`: one is duplicated in the batch."""
        agent_id = self._pick_agent(data, lambda a: a.outbox)
        if agent_id is None:
            return
        agent = self.agents[agent_id]
        chosen = data.draw(st.lists(st.sampled_from(range(len(agent.outbox))), min_size=1,
                                    max_size=len(agent.outbox), unique=True))
        events = [agent.outbox[i] for i in chosen]
        results = self._deliver(agent_id, events + events[:1] if twice else events)
        if twice:
            assert results[-1].status == AckStatus.DUPLICATE
        if not keep:
            sent = set(chosen)
            agent.acked += events
            agent.outbox = [e for i, e in enumerate(agent.outbox) if i not in sent]

    @rule(data=st.data())
    def replay_acked(self, data) -> None:
        """An acknowledged event sent again (and duplicated in one batch) changes nothing."""
        agent_id = self._pick_agent(data, lambda a: a.acked)
        if agent_id is None:
            return
        agent = self.agents[agent_id]
        events = data.draw(st.lists(st.sampled_from(agent.acked), min_size=1, max_size=4))
        before = self._snapshot()
        results = self._deliver(agent_id, events)
        assert all(r.status == AckStatus.DUPLICATE for r in results)
        assert self._snapshot() == before

    @rule(agent_id=st.sampled_from(sorted(AGENTS)), data=st.data(),
          state=st.sampled_from((*OUTCOMES, AttemptState.PRINTING,
                                 AttemptState.FAILED_BEFORE_CARD)),
          epoch_shift=st.sampled_from((-1, 1)))
    def forged_report(self, agent_id: str, data, state: AttemptState,
                      epoch_shift: int) -> None:
        """A report under another epoch, or on a lease of another agent: never applied."""
        if not self.every_grant:
            return
        g = data.draw(st.sampled_from(list(self.every_grant.values())))
        e = AgentEvent(event_id=self._id("forged"), lease_id=g.lease_id,
                       epoch=g.epoch + epoch_shift, record_id=g.record_id, state=state)
        before = self._snapshot()
        [r] = self._deliver(agent_id, [e])
        assert r.status != AckStatus.APPLIED
        assert self._snapshot() == before

    @rule(data=st.data())
    def return_leases(self, data) -> None:
        agent_id = self._pick_agent(data, lambda a: a.held)
        if agent_id is None:
            return
        agent = self.agents[agent_id]
        ids = data.draw(st.lists(st.sampled_from(list(agent.held)), min_size=1, unique=True))
        self.ledger.return_leases(agent_id, ids, self.now)
        for lease_id in ids:
            del agent.held[lease_id]
            assert self.store.get_attempt(lease_id).state != AttemptState.LEASED

    # -- rules: time, the controller, the admin ---------------------------------------------------

    @rule(ms=st.sampled_from((500, 20_000, 59_000, 60_500, 61_500, 90_000)))
    def clock_advances_and_leases_expire(self, ms: int) -> None:
        self.now += ms
        leased_before = {a.lease_id: a for agent in AGENTS
                         for a in self.store.active_attempts(agent)
                         if a.state == AttemptState.LEASED}
        self.ledger.expire(self.now)
        for lease_id, a in leased_before.items():
            after = self.store.get_attempt(lease_id)
            if after.state == AttemptState.FAILED_BEFORE_CARD and after.reason == "lease_expired":
                assert self.now > a.expires_ms + SKEW_MS, "expired before expires + skew"
            elif self.now - SKEW_MS > a.expires_ms:
                raise AssertionError(f"lease {lease_id} past expiry + skew was not requeued")

    @rule()
    def controller_restarts(self) -> None:
        before = self._snapshot()
        self.store.close()
        self._open()
        assert self._snapshot() == before

    @rule(agent_id=st.sampled_from(sorted(AGENTS)))
    def admin_releases_agent(self, agent_id: str) -> None:
        self.ledger.release_agent(agent_id, self.now)
        assert self.store.active_attempts(agent_id) == []

    @rule(data=st.data(), outcome=st.sampled_from((AttemptState.PRINTED, AttemptState.SPOILED,
                                                   AttemptState.FAILED_BEFORE_CARD)))
    def admin_resolves_unknown(self, data, outcome: AttemptState) -> None:
        held = [v for v in self.store.held_records() if v.hold_reason == "unknown_outcome"]
        if not held:
            return
        view = data.draw(st.sampled_from(held))
        unknown = [a for a in view.attempts if a.state == AttemptState.UNKNOWN]
        a = data.draw(st.sampled_from(unknown))
        already_printed = view.record_id in self.printed_once
        try:
            after = self.ledger.resolve(a.lease_id, outcome, "counter read by operator",
                                        self.now)
        except LedgerError:
            assert outcome == AttemptState.PRINTED and already_printed
            return
        if outcome == AttemptState.PRINTED:
            assert after.state == RecordState.PRINTED

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def store_verifies(self) -> None:
        report = verify_store(self.store)
        assert report.ok, report.violations

    @invariant()
    def no_record_lost_or_printed_twice(self) -> None:
        rows = self.store.connection.execute("SELECT record_id, state FROM records").fetchall()
        states = {rid: RecordState(state) for rid, state in rows}
        assert set(states) == set(self.imported), "records appeared or vanished"
        assert all(s in VISIBLE for s in states.values())
        printed = dict(self.store.connection.execute(
            "SELECT record_id, COUNT(*) FROM attempts WHERE state='printed' "
            "GROUP BY record_id").fetchall())
        assert all(n == 1 for n in printed.values())
        for rid in self.printed_once:
            assert states[rid] == RecordState.PRINTED, f"{rid} was printed, now {states[rid]}"
        self.printed_once |= {rid for rid, s in states.items() if s == RecordState.PRINTED}

    @invariant()
    def blanks_conserved_and_never_overleased(self) -> None:
        for site in SITES:
            b = self.store.site_blanks(site)
            assert b.received == self.received[site]
            assert b.received == b.in_stock + b.printed + b.spoiled + b.unknown + b.in_flight
            assert b.in_stock >= 0
            leased = self.store.count_attempts(site_code=site, states=[AttemptState.LEASED])
            assert leased <= b.in_stock, "more leases than blanks in stock"

    @invariant()
    def audit_chain_verifies(self) -> None:
        assert self.audit.verify() == []


LedgerMachine.TestCase.settings = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
TestLedgerStateMachine = LedgerMachine.TestCase
