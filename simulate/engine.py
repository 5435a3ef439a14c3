"""The discrete-event loop: a campaign in virtual time on the real controller code.

The store (SQLite in a temporary file), ledger, scheduler, inventory, planner and forecast are
the controller's own, called with the virtual time where the controller would pass the clock
(every ledger call takes `now_ms`). Only the agents and printers are simulated, and the agents
follow the agent's own rules by calling its code: the credit it asks for
(cetak.agent.leases.credit_wanted), the expiry fence (ControllerClock.may_start: no card starts
after expiry minus the skew margin; leases that missed it are returned on the next
connection), reconnecting with its backoff (cetak.agent.backoff.Backoff, seeded), and printing
on from held leases while the centre is unreachable.

"The 2019 way" (`online_only`) is the same run with no lease window: an agent holds only what
its printers print until its next report, and a card starts only while the centre is
reachable (its data was fetched from the centre at print time).

Events are (time, sequence, kind, subject) in a heap; the sequence breaks ties in the order
events were made, so a seed gives the same run every time.
"""

from __future__ import annotations

import heapq
import logging
import random
import tempfile
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cetak.agent.backoff import Backoff
from cetak.agent.clock import ControllerClock
from cetak.agent.leases import credit_wanted
from cetak.api.v1 import common_pb2
from cetak.controller.calendar import SiteCalendar
from cetak.controller.inventory import Inventory
from cetak.controller.ledger import HOUR_MS, LeasePolicy, Ledger, LedgerError
from cetak.controller.model import AgentEvent, AttemptState, Campaign, NewRecord
from cetak.controller.planner import gather, plan
from cetak.controller.scheduler import _BUDGET_STATES
from cetak.controller.status import campaign_status
from cetak.controller.store import SqliteStore
from cetak.controller.verify import verify_store

from .printer import MINUTE_MS, SimPrinter
from .scenario import CENTRE, Scenario, SiteSpec

CONTROLLER_TICK_MS = 5 * MINUTE_MS      # the controller's lease-expiry sweep
CLOSED_SYNC_MS = 60 * MINUTE_MS         # a connected agent's report cycle while closed
SAMPLE_MS = 15 * MINUTE_MS              # the progress curve's resolution
FORECAST_HOURS = (1, 4, 8)
AFTER_DEADLINE_MS = 2 * 24 * HOUR_MS    # run on past the deadline to find the finish
# The agent's own reconnect tuning (agent/config.py AgentTuning defaults).
RECONNECT_INITIAL_S = 0.5
RECONNECT_MAX_S = 30.0


@dataclass
class Held:
    lease_id: str
    record_id: str
    campaign_id: str
    epoch: int
    expires_ms: int


@dataclass
class SimSite:
    spec: SiteSpec
    calendar: SiteCalendar
    printers: list[SimPrinter]
    agent_id: str
    blanks: int = 0                      # physically on site
    ribbons: int = 0                     # spare rolls
    films: int = 0
    received: int = 0
    transferred_in: int = 0
    transferred_out: int = 0
    used: int = 0                        # blanks fed (printed + spoiled)
    held: deque = field(default_factory=deque)
    returning: list[str] = field(default_factory=list)
    pending: list[AgentEvent] = field(default_factory=list)
    in_progress: int = 0
    connected: bool = False
    # Something the controller's answer depends on changed since the last grant that gave
    # nothing (reports, returns, blanks, expiries): only then is asking again worth a store
    # transaction (the real session likewise sends credit only when it wants more).
    changed: bool = True
    window: int = 0
    backoff: Backoff | None = None
    clock: ControllerClock | None = None
    sync_due: int = 0                    # the next scheduled report (0: none)
    span: tuple[int, int] = (0, 0)       # the working span last looked up
    printed_times: list[int] = field(default_factory=list)
    finished_ms: int = 0
    target: int = 0


@dataclass
class RunResult:
    mode: str
    sites: dict[str, SimSite]
    curve: list[tuple[int, int]]          # (virtual ms, cards printed so far)
    forecasts: list[dict]
    verify: dict
    duplicates: int
    lost: int
    flagged: int
    blanks_conserved: bool
    plans_applied: int
    end_ms: int
    records: int
    work_start_ms: int
    unrecorded_prints: int
    budget_left: dict[str, int]
    queued_left: dict[str, dict[str, int]]


class Simulation:
    """One run of a scenario (`online_only`: the 2019 way) on its own temporary store."""

    def __init__(self, scenario: Scenario, *, online_only: bool = False,
                 workdir: str | Path | None = None) -> None:
        self.sc = scenario
        self.online_only = online_only
        self.mode = "online_only" if online_only else "cetak"
        self._tmp = tempfile.TemporaryDirectory(prefix=f"cetak-sim-{self.mode}-",
                                                dir=workdir)
        self.store = SqliteStore(Path(self._tmp.name) / "controller.db", durable=False)
        ids = random.Random(f"{scenario.seed}:{self.mode}:lease-ids")
        p = scenario.policy
        report_h = p.report_minutes / 60
        # The 2019 way holds only what its printers print between two reports.
        window_h = 2 * report_h if online_only else p.window_hours
        self.policy = LeasePolicy(lease_ms=int(p.lease_hours * HOUR_MS), window_hours=window_h)
        self.window_hours = window_h
        self.ledger = Ledger(self.store, self.policy, random_bytes=ids.randbytes)
        self.inventory = Inventory(self.ledger)
        self.now = scenario.start_ms
        self.end_ms = scenario.deadline_ms + AFTER_DEADLINE_MS
        self._heap: list[tuple[int, int, str, object]] = []
        self._seq = 0
        self.sites: dict[str, SimSite] = {}
        self.printed_records: dict[str, int] = {}   # record -> good cards physically made
        self.total_printed = 0
        self.curve: list[tuple[int, int]] = [(scenario.start_ms, 0)]
        self.forecasts: list[dict] = []
        self.flagged = 0
        self.plans_applied = 0
        self.records = scenario.records
        self._centre_out = [(o.start_ms, o.end_ms) for o in scenario.outages
                            if o.target == CENTRE]
        self._site_out: dict[str, list[tuple[int, int]]] = {}
        for o in scenario.outages:
            if o.target != CENTRE:
                self._site_out.setdefault(o.target, []).append((o.start_ms, o.end_ms))

    # -- the heap --------------------------------------------------------------------------

    def _at(self, t: int, kind: str, subject: object = None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, subject))

    # -- reachability ------------------------------------------------------------------------

    def centre_up(self, t: int) -> bool:
        return not any(a <= t < b for a, b in self._centre_out)

    def reachable(self, code: str, t: int) -> bool:
        return self.centre_up(t) and not any(a <= t < b for a, b in self._site_out.get(code, ()))

    def _reachable_again(self, code: str, t: int) -> int:
        """When the site next reaches the centre (outages may chain)."""
        spans = self._centre_out + self._site_out.get(code, [])
        moved = True
        while moved:
            moved = False
            for a, b in spans:
                if a <= t < b:
                    t, moved = b, True
        return t

    # -- setup -------------------------------------------------------------------------------

    def _setup(self) -> None:
        sc = self.sc
        t0 = sc.start_ms - HOUR_MS
        self.ledger.create_campaign(Campaign(sc.campaign_id, sc.name, sc.deadline_ms,
                                             sc.budget_baru, sc.budget_penggantian, t0))
        n = 0
        for spec in sc.sites:
            self.ledger.upsert_site(spec.site, "simulate")
            records = []
            code = spec.code
            for i in range(spec.records_baru + spec.records_penggantian):
                n += 1
                rid = f"r{n:08d}"
                nik = f"{code.replace('.', '')[:6]:0<6}{n:010d}"
                kategori = "BARU" if i < spec.records_baru else "PENGGANTIAN"
                records.append(NewRecord(
                    record_id=rid, campaign_id=sc.campaign_id, nik=nik, site_code=code,
                    kategori=kategori, alasan="" if kategori == "BARU" else "RUSAK",
                    payload=common_pb2.CardRecord(record_id=rid, nik=nik,
                                                  kelurahan_kode=code).SerializeToString()))
            # Interleaved so both categories are in the queue from the start (PRR order).
            records.sort(key=lambda r: (hash_order(r.record_id, sc.seed)))
            self.ledger.add_records(records, t0)
            printers = [SimPrinter.make(f"{code}/p{j + 1}", code, sc.models[m], sc.seed)
                        for j, m in enumerate(spec.printers)]
            site = SimSite(spec, spec.calendar, printers, f"agent-{code}",
                           target=spec.records_baru + spec.records_penggantian)
            site.backoff = Backoff(RECONNECT_INITIAL_S, RECONNECT_MAX_S,
                                   uniform=random.Random(f"{sc.seed}:{code}:backoff").uniform)
            site.clock = ControllerClock(local_ms=lambda: self.now,
                                         skew_margin_ms=self.policy.skew_margin_ms)
            self.sites[code] = site
        for move in sc.moves:
            rows = self.store.next_queued(move.from_site, move.count)
            moved = self.ledger.move_records(sc.campaign_id, move.from_site, move.to_site,
                                             [r[0] for r in rows])
            self.sites[move.from_site].target -= moved
            self.sites[move.to_site].target += moved
        for d in sc.deliveries:
            self._at(max(d.at_ms, t0), "delivery", d)
        for code in self.sites:
            self._at(sc.start_ms, "sync", code)
        for site in self.sites.values():
            for p in site.printers:
                self._at(sc.start_ms, "printer", p)
        self._at(sc.start_ms + CONTROLLER_TICK_MS, "controller")
        self._at(sc.start_ms + SAMPLE_MS, "sample")
        self.work_start_ms = first_working_moment(self.sites.values(), sc.start_ms)
        for h in FORECAST_HOURS:
            self._at(self.work_start_ms + h * HOUR_MS, "forecast", h)
        for site in self.sites.values():
            if site.target == 0:
                site.finished_ms = self.work_start_ms      # nothing to print: done at once
        if sc.policy.plan_every_hours:
            self._at(sc.start_ms, "plan")

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> RunResult:
        # Flagged reports are counted in the result; one log line each would drown it.
        ledger_log = logging.getLogger("cetak.controller.ledger")
        level = ledger_log.level
        ledger_log.setLevel(logging.ERROR)
        try:
            self._setup()
            handlers = {"printer": self._printer, "done": self._done, "sync": self._sync,
                        "delivery": self._delivery, "controller": self._controller,
                        "sample": self._sample, "forecast": self._forecast, "plan": self._plan}
            while self._heap:
                t, _, kind, subject = heapq.heappop(self._heap)
                if t > self.end_ms:
                    break
                self.now = max(self.now, t)
                handlers[kind](subject)
                if self.total_printed >= self.records and kind == "done":
                    break
            return self._finish()
        finally:
            ledger_log.setLevel(level)
            self.store.close()
            self._tmp.cleanup()

    # -- printers ----------------------------------------------------------------------------

    def _open_span(self, site: SimSite, t: int) -> tuple[int, int] | None:
        """The working span containing or following t (spans() clips its start to t).
        Cached per site for the printers, which ask at the present time only: a look
        ahead (the agent's next report) must not move the cache past the open span."""
        a, b = site.span
        if a <= t < b or (t < a and t >= self.now):
            return site.span
        nxt = next(site.calendar.spans(t, t + 30 * 24 * HOUR_MS), None)
        if nxt is not None and t <= self.now:
            site.span = nxt
        return nxt

    def _printer(self, p: SimPrinter) -> None:
        """A printer is free (or woken): start its next card if it can."""
        if p.busy:
            return
        t = self.now
        site = self.sites[p.site_code]
        span = self._open_span(site, t)
        if span is None:
            p.resume(t)
            return
        a, b = span
        if t < a:                                   # closed: calendar, not a loss
            p.resume(t)
            self._at(a, "printer", p)
            return
        if p.down_until > t:
            p.wait("printer_down", t)
            self._at(min(p.down_until, b), "printer", p)
            return
        day = local_day(a, site.calendar.timezone)
        if p.duty_reached(day):
            p.wait("duty", t)
            self._at(b, "printer", p)               # stopped for the day: count until close
            return
        if self.online_only and not self.reachable(site.spec.code, t):
            p.wait("centre", t)
            self._at(min(self._reachable_again(site.spec.code, t), b), "printer", p)
            return
        if p.ribbon_left <= 0 or (p.model.film_yield and p.film_left <= 0):
            self._change_consumables(p, site, t, b)
            return
        if site.blanks <= 0:
            p.wait("blanks", t)
            self._at(b, "printer", p)
            return
        lease = self._next_lease(site)
        if lease is None:
            if len(site.printed_times) + site.in_progress >= site.target:
                p.resume(t)                         # the site's work is done: no loss
            elif site.connected or self.online_only:
                p.wait("no_lease", t)
            else:
                p.wait("centre", t)
            self._at(b, "printer", p)               # woken earlier by a grant
            return
        p.resume(t)
        self._report_feed(site, p, lease, t)
        site.blanks -= 1
        site.used += 1
        site.in_progress += 1
        result = p.print_card()
        p.busy = True
        self._at(t + result.duration_ms, "done", (p, lease, result))

    def _report_feed(self, site: SimSite, p: SimPrinter, lease: Held, t: int) -> None:
        """The agent reports PRINTING when a blank is fed, which keeps the controller from
        expiring the lease while the card is in the printer. Simulated only where it
        matters (the batched outcome could arrive after expiry plus margin), so a run does
        not pay a store transaction per card; while disconnected it cannot be sent at all."""
        later = t + p.card_ms + int(self.sc.policy.report_minutes * MINUTE_MS)
        if lease.expires_ms + self.policy.skew_margin_ms > later:
            return
        if not (site.connected and self.reachable(site.spec.code, t)):
            return
        results = self.ledger.apply_events(site.agent_id, [AgentEvent(
            event_id=f"{lease.lease_id}:feed", lease_id=lease.lease_id, epoch=lease.epoch,
            record_id=lease.record_id, state=AttemptState.PRINTING,
            attempt_id=f"{lease.lease_id}:a", printer_id=p.printer_id, occurred_ms=t)], t)
        self.flagged += sum(1 for r in results if r.status == "flagged")

    def _change_consumables(self, p: SimPrinter, site: SimSite, t: int, close: int) -> None:
        if p.ribbon_left <= 0:
            if site.ribbons <= 0:
                p.wait("ribbon", t)
                self._at(close, "printer", p)
                return
            site.ribbons -= 1
            p.ribbon_left = p.model.ribbon_yield
        if p.model.film_yield and p.film_left <= 0:
            if site.films <= 0:
                p.wait("film", t)
                self._at(close, "printer", p)
                return
            site.films -= 1
            p.film_left = p.model.film_yield
        p.wait("ribbon_change", t)
        self._at(t + int(p.model.ribbon_change_minutes * MINUTE_MS), "printer", p)

    def _next_lease(self, site: SimSite) -> Held | None:
        clock = site.clock
        assert clock is not None
        while site.held:
            lease = site.held.popleft()
            if clock.may_start(lease.expires_ms):
                return lease
            # The agent's rule: too close to expiry to start; returned when connected.
            site.returning.append(lease.lease_id)
        return None

    def _done(self, subject: tuple) -> None:
        p, lease, result = subject
        t = self.now
        site = self.sites[p.site_code]
        p.busy = False
        site.in_progress -= 1
        state = AttemptState.PRINTED if result.state == "printed" else AttemptState.SPOILED
        site.pending.append(AgentEvent(
            event_id=f"{lease.lease_id}:{p.printer_id}", lease_id=lease.lease_id,
            epoch=lease.epoch, record_id=lease.record_id, state=state,
            attempt_id=f"{lease.lease_id}:a", reason=result.reason, printer_id=p.printer_id,
            occurred_ms=t))
        if state == AttemptState.PRINTED:
            self.printed_records[lease.record_id] = self.printed_records.get(
                lease.record_id, 0) + 1
            self.total_printed += 1
            site.printed_times.append(t)
            if len(site.printed_times) == site.target:
                site.finished_ms = t
        else:
            # A spoiled card's record goes back to the queue at the controller, once the
            # report arrives; report soon so that it is leased again.
            self._sync_soon(site, t)
        if result.down_ms:
            p.down_until = t + result.down_ms
        self._at(t, "printer", p)

    # -- agents ------------------------------------------------------------------------------

    def _sync_soon(self, site: SimSite, t: int) -> None:
        if not site.sync_due or site.sync_due > t + MINUTE_MS:
            site.sync_due = t + MINUTE_MS
            self._at(site.sync_due, "sync", site.spec.code)

    def _sync(self, code: str) -> None:
        """The agent's report cycle: (re)connect, return leases, report, ask for credit."""
        site = self.sites[code]
        t = self.now
        if site.sync_due and t < site.sync_due:
            return                                   # superseded by an earlier one
        site.sync_due = 0
        backoff = site.backoff
        assert backoff is not None
        if not self.reachable(code, t):
            if site.connected and self.centre_up(t):
                self.ledger.disconnected(site.agent_id, t)
            site.connected = False
            # Retries follow the agent's backoff; until the link is back none can succeed,
            # so the next one that can is the first retry after the outage ends.
            back = self._reachable_again(code, t)
            retry = t
            while retry < back:
                retry += int(backoff.next_delay() * 1000) + 1
            self._schedule_sync(site, retry)
            return
        ledger = self.ledger
        if not site.connected:
            # As the agent's Hello: held, started and done (outcome not yet acknowledged).
            held_ids = [h.lease_id for h in site.held] + list(dict.fromkeys(
                e.lease_id for e in site.pending))
            hello = ledger.hello(site.agent_id, code, [
                (p.printer_id, b"", p.model.cards_per_hour) for p in site.printers],
                held_ids, "simulate", self.window_hours, t)
            backoff.reset()
            site.connected = True
            site.changed = True
            site.window = hello.window
            revoked = set(hello.revoke)
            if revoked:
                site.held = deque(h for h in site.held if h.lease_id not in revoked)
        # The agent's rule for a lease it holds (on_lease, and a worker taking one): one
        # that may no longer start is returned, never printed.
        # Leases are held in grant order, so in expiry order: the head is checked.
        while site.held and not site.clock.may_start(site.held[0].expires_ms):
            site.returning.append(site.held.popleft().lease_id)
        if site.returning:
            ledger.return_leases(site.agent_id, site.returning, t, reason="expired")
            site.returning = []
            site.changed = True
        if site.pending:
            results = ledger.apply_events(site.agent_id, site.pending, t)
            self.flagged += sum(1 for r in results if r.status == "flagged")
            site.pending = []
            site.changed = True
        if site.changed:
            site.window = ledger.window_for(site.agent_id, code, self.window_hours)
        wanted = credit_wanted(site.window, len(site.printers),
                               len(site.held) + site.in_progress)
        if wanted > 0 and site.changed:
            grants = ledger.grant(site.agent_id, code, wanted, t, site.window)
            site.changed = bool(grants)
            for g in grants:
                site.held.append(Held(g.lease_id, g.record_id, g.campaign_id, g.epoch,
                                      g.expires_ms))
            if grants:
                for p in site.printers:
                    if not p.busy and p.idle_reason in ("no_lease", "centre"):
                        self._at(t, "printer", p)
        nxt = t + int(self.sc.policy.report_minutes * MINUTE_MS)
        if not site.held and not site.in_progress and len(site.printed_times) >= site.target:
            return                                   # done: nothing to report or ask for
        span = self._open_span(site, nxt)
        if span is not None and nxt < span[0] and not site.in_progress:
            # Closed: the agent stays connected, reporting less often (its heartbeats cost
            # the store nothing), and once more just before the site opens.
            nxt = min(t + CLOSED_SYNC_MS, max(nxt, span[0] - MINUTE_MS))
        self._schedule_sync(site, nxt)

    def _schedule_sync(self, site: SimSite, t: int) -> None:
        if site.sync_due and site.sync_due <= t:
            return
        site.sync_due = t
        self._at(t, "sync", site.spec.code)

    # -- the controller and the office -------------------------------------------------------

    def _controller(self, _: object) -> None:
        t = self.now
        if self.centre_up(t):
            if self.ledger.expire(t):
                for site in self.sites.values():
                    site.changed = True
        self._at(t + CONTROLLER_TICK_MS, "controller")

    def _delivery(self, d) -> None:
        t = self.now
        shares = ({d.site: d.count} if d.site != "*" else
                  split_by(d.count, {c: s.target for c, s in self.sites.items()}))
        for code, n in shares.items():
            if n <= 0:
                continue
            site = self.sites[code]
            if d.item == "blank":
                self.inventory.receive(code, "blank", n, t, reference="simulated delivery")
                site.blanks += n
                site.changed = True
                site.received += n
            elif d.item == "ribbon":
                site.ribbons += n
            else:
                site.films += n
            for p in site.printers:
                if not p.busy and p.idle_reason in ("blanks", "ribbon", "film"):
                    self._at(t, "printer", p)

    def _plan(self, _: object) -> None:
        """The admin follows the planner: its blank transfers (and record moves, if the
        scenario says so) are applied, while the centre is up to record them."""
        t = self.now
        if self.centre_up(t):
            result = plan(gather(self.store, self.sc.campaign_id, t))
            for k, move in enumerate(result.moves):
                try:
                    if move.kind == "transfer" and move.item == "blank":
                        src, dst = self.sites[move.from_site], self.sites[move.to_site]
                        n = min(move.quantity, src.blanks - len(src.held) - src.in_progress)
                        if n <= 0:
                            continue
                        self.inventory.transfer(move.from_site, move.to_site, "blank", n, t,
                                                reference=f"PLAN-{t}-{k}")
                        src.blanks -= n
                        src.transferred_out += n
                        dst.blanks += n
                        src.changed = dst.changed = True
                        dst.transferred_in += n
                        self.plans_applied += 1
                    elif move.kind == "move_records" and self.sc.policy.apply_record_moves:
                        rows = self.store.next_queued(move.from_site, move.quantity)
                        moved = self.ledger.move_records(self.sc.campaign_id, move.from_site,
                                                         move.to_site, [r[0] for r in rows])
                        src, dst = self.sites[move.from_site], self.sites[move.to_site]
                        src.target -= moved
                        dst.target += moved
                        src.changed = dst.changed = True
                        self.plans_applied += 1
                except LedgerError:
                    continue       # the state moved on since the plan: the next one sees it
        self._at(t + int(self.sc.policy.plan_every_hours * HOUR_MS), "plan")

    def _sample(self, _: object) -> None:
        self.curve.append((self.now, self.total_printed))
        self._at(self.now + SAMPLE_MS, "sample")

    def _forecast(self, hour: int) -> None:
        """What the real forecast (`campaign status`) says now, from what the store knows."""
        t = self.now
        view = campaign_status(self.store, self.sc.campaign_id, t)
        self.forecasts.append({"hour": hour, "at_ms": t, "eta_ms": view.eta_ms,
                               "centre_up": self.centre_up(t), "printed_known": view.printed,
                               "printed_physically": self.total_printed})

    # -- the end -----------------------------------------------------------------------------

    def _finish(self) -> RunResult:
        t = self.now
        for site in self.sites.values():
            for p in site.printers:
                p.resume(min(t, site.span[1]))
        # The last reports reach the controller (after the outages: nothing is left out).
        t_final = max(t, self._reachable_again("", t)) + MINUTE_MS
        for code, site in self.sites.items():
            tf = max(t_final, self._reachable_again(code, t_final))
            if site.returning:
                self.ledger.return_leases(site.agent_id, site.returning, tf, reason="expired")
                site.returning = []
            if site.pending:
                results = self.ledger.apply_events(site.agent_id, site.pending, tf)
                self.flagged += sum(1 for r in results if r.status == "flagged")
                site.pending = []
        self.curve.append((t, self.total_printed))
        report = verify_store(self.store)
        duplicates = sum(1 for n in self.printed_records.values() if n > 1) + sum(
            1 for v in report.violations if v.invariant == "one_printed_card")
        # Lost: a record gone from the store's states, or printed there without a card.
        # Unrecorded: a card made whose report the controller refused (flagged): the store
        # still has the record to print, and would print it again.
        store_printed = {r for (r,) in self.store.connection.execute(
            "SELECT record_id FROM records WHERE campaign_id = ? AND state = 'printed'",
            (self.sc.campaign_id,))}
        lost = sum(1 for v in report.violations if v.invariant == "no_record_lost") + len(
            store_printed - self.printed_records.keys())
        unrecorded = len(self.printed_records.keys() - store_printed)
        conserved = not any(v.invariant.startswith("blank") for v in report.violations)
        for code, site in self.sites.items():
            b = self.store.site_blanks(code)
            physical = site.received + site.transferred_in - site.transferred_out - site.used
            # Cards still in the printers when the run stopped are fed but not yet reported.
            if physical != site.blanks or b.in_stock != site.blanks + site.in_progress:
                conserved = False
        # What the category budgets left, and what each site still has queued: a budget
        # spent (spoiled blanks count against it) is a reason for cards short.
        budget_left = {}
        campaign = self.store.get_campaign(self.sc.campaign_id)
        assert campaign is not None
        for kategori, budget in (("BARU", campaign.budget_baru),
                                 ("PENGGANTIAN", campaign.budget_penggantian)):
            if budget:
                used = self.store.count_attempts(campaign_id=campaign.campaign_id,
                                                 kategori=kategori, states=_BUDGET_STATES)
                budget_left[kategori] = max(0, budget - used)
        queued: dict[str, dict[str, int]] = {}
        for code, kategori, state, n in self.store.record_counts_by_kategori(
                campaign.campaign_id):
            if state == "queued":
                queued.setdefault(code, {})[kategori] = n
        return RunResult(self.mode, self.sites, self.curve, self.forecasts, report.to_dict(),
                         duplicates, lost, self.flagged, conserved, self.plans_applied,
                         t, self.records, self.work_start_ms, unrecorded, budget_left,
                         queued)


def first_working_moment(sites, start_ms: int) -> int:
    """When the first site opens at or after the start: the campaign's hour 0."""
    firsts = [next(s.calendar.spans(start_ms, start_ms + 30 * 24 * HOUR_MS), (start_ms,))[0]
              for s in sites]
    return min(firsts, default=start_ms)


def local_day(ms: int, timezone: str) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(timezone)).date(
    ).isoformat()


def hash_order(record_id: str, seed: int) -> int:
    """A seeded, repeatable shuffle key (Python's hash() of a str changes per process)."""
    import hashlib

    return int.from_bytes(hashlib.blake2b(f"{seed}:{record_id}".encode(),
                                          digest_size=8).digest(), "big")


def split_by(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` shared in proportion to weights, largest remainders first (exact sum)."""
    wsum = sum(weights.values())
    if wsum <= 0:
        return {}
    exact = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[:total - sum(out.values())]:
        out[k] += 1
    return out
