"""The fault drill: a whole campaign on real processes while things go wrong, then the verdict.

Controller, one agent per site and virtual printers over TCP, as in `cetak demo`, with each
agent talking to the controller through its own PartitionProxy. While the campaign runs the
drill, at random moments (points of physical progress drawn from the seed, plus the jitter of
real processes):
- SIGKILLs the controller and starts it again on the same store and port;
- SIGKILLs an agent while a card is in one of its printers, and starts it again with the same
  configuration (its journal reports the interrupted attempt UNKNOWN);
- cuts an agent off the controller, alternately by resetting its connections and by
  black-holing them, then checks that the agent's stream comes back;
- arms printer faults of every kind through the printers' service ports.
Operators meanwhile power printers back on, remove abandoned cards and resolve unknown
outcomes from the printers' physical logs (cetak.drills.operator). When every record is
printed, everything stops and the store is compared with physics.
"""

from __future__ import annotations

import csv
import json
import logging
import random
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from cetak.demo.fleet import (
    CAMPAIGN,
    Fleet,
    PrinterPlan,
    admin_channel,
    blanks_in_hopper,
    choose_sites,
    ensure_pki,
    plan_printers,
    prepare_campaign,
    sites_of,
    start_agent,
    start_controller,
    start_printer,
    write_site_agent_config,
)
from cetak.demo.physical import tally_printers
from cetak.printers.virtual.output import LOG_NAME
from cetak.procs import ManagedProcess, free_port

from .operator import PrinterOperator, SiteConsole, UnknownResolver
from .proxy import PartitionProxy

log = logging.getLogger("cetak.drill")

# Every kind the virtual printer knows except film_out (the drill's printers do not
# retransfer). The order puts the ones needing an operator early so a short drill meets them.
FAULT_KINDS = ("power_loss", "jam_after_feed", "chip_write_failure", "ribbon_out",
               "jam_before_feed", "cover_open", "feeder_empty")

# Short timings so that a cut link is noticed within seconds (production: 5 s / 20 s / 30 s).
AGENT_TUNING = {"heartbeat_s": 1.0, "silence_s": 4.0, "connect_timeout_s": 4.0,
                "reconnect_initial_s": 0.2, "reconnect_max_s": 2.0, "printer_retry_s": 1.0,
                "shutdown_flush_s": 5.0}

KILL_WINDOW = (0.05, 0.85)   # disruptions happen between these fractions of cards printed
CARD_WAIT_S = 10.0           # how long an agent kill waits for a card to be in a printer
RECONNECT_LIMIT_S = 60.0     # an agent not talking again this long after a heal is a failure


@dataclass
class DrillOptions:
    cards: int = 2000
    sites: int = 4
    printers_per_site: int = 1
    controller_kills: int = 5
    agent_kills: int = 3
    partitions: int = 2
    faults: int = 10
    seed: int = 1
    cards_per_hour: float = 200.0    # a real printer's speed ...
    time_scale: float = 72.0         # ... this many times faster (0.25 s a card)
    window_hours: float = 0.1        # a short window keeps leases flowing during the faults
    spare_blanks: float = 0.2
    out: Path | None = None
    timeout: float = 1800.0


QUICK = {"cards": 200, "sites": 4, "controller_kills": 2, "agent_kills": 1, "partitions": 1,
         "faults": 4, "timeout": 300.0}


class _Progress:
    """Good cards in the printers' physical logs, read incrementally (works while the
    controller is down)."""

    def __init__(self, plans: list[PrinterPlan]) -> None:
        self._offsets = {p.out_dir / LOG_NAME: 0 for p in plans}
        self.printed = 0

    def update(self) -> int:
        for path, offset in self._offsets.items():
            if not path.exists():
                continue
            with path.open("rb") as f:
                f.seek(offset)
                data = f.read()
            complete = data[:data.rfind(b"\n") + 1]
            self._offsets[path] = offset + len(complete)
            for line in complete.splitlines():
                if line and json.loads(line)["outcome"] == "printed":
                    self.printed += 1
        return self.printed


class _Drill:
    def __init__(self, opts: DrillOptions, rng: random.Random, out: Path, port: int,
                 fleet: Fleet, plans: list[PrinterPlan], configs: dict[str, Path],
                 proxy: PartitionProxy, operator: PrinterOperator) -> None:
        self.opts, self.rng, self.out, self.port = opts, rng, out, port
        self.fleet, self.plans, self.configs = fleet, plans, configs
        self.proxy, self.operator = proxy, operator
        self.sites = sorted(configs)
        kinds = (["controller_kill"] * opts.controller_kills + ["agent_kill"] * opts.agent_kills
                 + ["partition"] * opts.partitions + ["fault"] * opts.faults)
        self.schedule = sorted((rng.uniform(*KILL_WINDOW), kind) for kind in kinds)
        self.counts = {"controller_kills": 0, "agent_kills": 0, "partitions": 0,
                       "printer_faults": 0}
        self.fault_kinds: list[str] = []
        self.agent_kill_positions: list[str] = []
        self.progress = _Progress(plans)
        self.channel = None
        self.stub = None
        self.resolver: UnknownResolver | None = None
        self.controller_restart_at: float | None = None
        self.agent_restart_at: dict[str, float] = {}
        self.partition: tuple[str, float] | None = None     # (site, heal at)
        self.awaiting_reconnect: dict[str, float] = {}       # site -> healed at
        self.reconnect_s: list[float] = []
        self.not_reconnected: list[str] = []
        self.timed_out = False

    # -- admin connection --------------------------------------------------------------------

    def connect_admin(self) -> None:
        """A fresh channel after every controller start: an old one may sit in a long
        reconnect backoff after repeated kills."""
        from cetak.api.v1 import admin_pb2_grpc

        if self.channel is not None:
            self.channel.close()
        self.channel = admin_channel(self.out / "pki", self.port)
        self.stub = admin_pb2_grpc.AdminServiceStub(self.channel)
        self.resolver = self.resolver or UnknownResolver(self.stub, self.operator)
        self.resolver.stub = self.stub

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        from cetak.api.v1 import admin_pb2

        total = self.opts.cards
        deadline = time.monotonic() + self.opts.timeout
        last_log = 0.0
        while time.monotonic() < deadline:
            now = time.monotonic()
            self._check_alive()
            self._restart_due(now)
            self.operator.tend()
            self._heal_due(now)
            self._check_reconnects(now)
            printed = self.progress.update()
            if self.schedule and printed >= self.schedule[0][0] * total:
                self._act(self.schedule.pop(0)[1])
            status = None
            if self.controller_restart_at is None:
                try:
                    status = self.stub.GetStatus(admin_pb2.StatusRequest(campaign_id=CAMPAIGN),
                                                 timeout=5)
                    self.resolver.run()
                except grpc.RpcError as exc:  # a controller starting or just killed
                    log.debug("admin call failed: %s", exc)
            if now - last_log > 5.0:
                last_log = now
                log.info("physically printed %d of %d; %s", printed, total,
                         "controller down" if status is None else
                         f"ledger printed {status.printed}, held {status.held}, "
                         f"leased {status.leased}")
            if (status is not None and status.printed >= total and status.held == 0
                    and status.leased == 0 and self.partition is None
                    and not self.agent_restart_at):
                if self.schedule:
                    log.warning("campaign finished with %d disruptions not done",
                                len(self.schedule))
                break
            time.sleep(0.3)
        else:
            self.timed_out = True
            log.error("drill timed out after %.0f s", self.opts.timeout)
        for site, healed in self.awaiting_reconnect.items():
            log.error("agent %s did not talk again after the partition healed %.0f s ago",
                      site, time.monotonic() - healed)
            self.not_reconnected.append(site)

    def _check_alive(self) -> None:
        procs: list[ManagedProcess] = list(self.fleet.printers.values())
        procs += [p for site, p in self.fleet.agents.items() if site not in
                  self.agent_restart_at]
        if self.controller_restart_at is None:
            procs.append(self.fleet.controller)  # killed only by the drill itself
        for proc in procs:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited unexpectedly:\n{proc.output()[-3000:]}")

    def _restart_due(self, now: float) -> None:
        if self.controller_restart_at is not None and now >= self.controller_restart_at:
            self.fleet.controller = start_controller(self.out, self.port)
            self.controller_restart_at = None
            self.connect_admin()
            log.warning("controller restarted")
        for site, at in list(self.agent_restart_at.items()):
            if now >= at:
                self.fleet.agents[site] = start_agent(self.out, site, self.configs[site])
                del self.agent_restart_at[site]
                log.warning("agent %s restarted", site)

    # -- disruptions -------------------------------------------------------------------------

    def _act(self, kind: str) -> None:
        if kind == "controller_kill":
            if self.controller_restart_at is not None:
                self.schedule.insert(0, (0.0, kind))  # still down: kill it once it is back
                return
            self.fleet.controller.kill()
            self.counts["controller_kills"] += 1
            self.controller_restart_at = time.monotonic() + self.rng.uniform(0.5, 3.0)
            log.warning("controller SIGKILLed (%d)", self.counts["controller_kills"])
        elif kind == "agent_kill":
            if not self._kill_agent_mid_card():
                self.schedule.insert(0, (0.0, kind))  # try again on the next pass
        elif kind == "partition":
            if self.partition is not None:
                self.schedule.insert(0, (0.0, kind))
                return
            self._partition()
        elif kind == "fault":
            plan = self.rng.choice(self.plans)
            fault = FAULT_KINDS[self.counts["printer_faults"] % len(FAULT_KINDS)]
            self.operator.request(plan.printer_id, f"FAULT {fault}")
            self.counts["printer_faults"] += 1
            self.fault_kinds.append(fault)
            log.warning("printer %s: next card meets %s", plan.printer_id, fault)

    def _up_sites(self) -> list[str]:
        partitioned = self.partition[0] if self.partition else None
        return [s for s in self.sites if s not in self.agent_restart_at and s != partitioned]

    def _kill_agent_mid_card(self) -> bool:
        """SIGKILL an agent while one of its printers holds a card (fed, at the chip station
        or printing); False when no card showed up in time."""
        candidates = self._up_sites()
        if not candidates:
            return False
        site = self.rng.choice(candidates)
        printers = [p for p in self.plans if p.site_code == site]
        deadline = time.monotonic() + CARD_WAIT_S
        while time.monotonic() < deadline:
            for plan in printers:
                snap = self.operator.snapshot(plan.printer_id)
                if snap and snap["powered"] and snap["position"] != "none":
                    self.fleet.agents[site].kill()
                    self.counts["agent_kills"] += 1
                    self.agent_kill_positions.append(snap["position"])
                    self.agent_restart_at[site] = time.monotonic() + self.rng.uniform(0.5, 2.0)
                    log.warning("agent %s SIGKILLed with blank %s %s in printer %s", site,
                                snap["last_blank_serial"], snap["position"], plan.printer_id)
                    return True
            time.sleep(0.01)
        log.info("no card in the printers of %s for %.0f s; agent kill postponed", site,
                 CARD_WAIT_S)
        return False

    def _partition(self) -> None:
        candidates = self._up_sites()
        if not candidates:
            self.schedule.insert(0, (0.0, "partition"))
            return
        site = self.rng.choice(candidates)
        # Alternate the two ways a link fails: loudly (reset) and silently (black hole, longer
        # than the agent's silence limit so it must notice by itself).
        if self.counts["partitions"] % 2 == 0:
            mode, seconds = "drop", self.rng.uniform(3.0, 8.0)
        else:
            mode, seconds = "blackhole", self.rng.uniform(6.0, 10.0)
        self.proxy.set_mode(site, mode)
        self.counts["partitions"] += 1
        self.partition = (site, time.monotonic() + seconds)
        log.warning("agent %s cut off from the controller (%s) for %.1f s", site, mode, seconds)

    def _heal_due(self, now: float) -> None:
        if self.partition is not None and now >= self.partition[1]:
            site = self.partition[0]
            self.proxy.set_mode(site, "pass")
            self.partition = None
            self.awaiting_reconnect[site] = now
            log.warning("agent %s link restored", site)

    def _check_reconnects(self, now: float) -> None:
        # The controller answers every heartbeat (1 s): bytes flowing to the agent well after
        # the heal mean its stream works again (a black-holed stream's held bytes flow at once).
        for site, healed in list(self.awaiting_reconnect.items()):
            if self.proxy.last_downstream(site) > healed + 1.5:
                self.reconnect_s.append(round(self.proxy.last_downstream(site) - healed, 2))
                del self.awaiting_reconnect[site]
            elif now - healed > RECONNECT_LIMIT_S and self.controller_restart_at is None:
                self.not_reconnected.append(site)
                del self.awaiting_reconnect[site]


def run_drill(opts: DrillOptions) -> dict:
    from cetak.demo.run import DemoOptions, summarize
    from cetak.prr.synthetic import write_prr

    started = time.monotonic()
    rng = random.Random(opts.seed)
    out = Path(opts.out) if opts.out else Path(tempfile.mkdtemp(prefix="cetak-drill-"))
    out.mkdir(parents=True, exist_ok=True)
    sites = choose_sites(opts.sites)
    site_codes = [k.code for k in sites]
    pki = out / "pki"
    ensure_pki(pki, site_codes)
    prr = write_prr(out / "prr", opts.cards, sites=site_codes, seed=opts.seed)
    per_site = {code: 0 for code in site_codes}
    for code in sites_of(prr):
        per_site[code] += 1
    plans = plan_printers(out, per_site, printers_per_site=opts.printers_per_site,
                          dialect="mixed", spare_blanks=opts.spare_blanks)

    fleet = Fleet()
    port = free_port()
    proxy: PartitionProxy | None = None
    operator: PrinterOperator | None = None
    drill: _Drill | None = None
    try:
        fleet.controller = start_controller(out, port)
        channel = admin_channel(pki, port)
        prepare_campaign(channel, sites, plans, prr)
        channel.close()
        for plan in plans:
            fleet.printers[plan.printer_id] = start_printer(
                plan, out, cards_per_hour=opts.cards_per_hour, time_scale=opts.time_scale,
                seed=opts.seed)
        _wait_for_printers(plans, fleet)
        proxy = PartitionProxy("127.0.0.1", port)
        configs = {}
        consoles = []
        for code in site_codes:
            # Each site's console on a port of its own, kept across the agent's restarts:
            # the drill's operator presses Continue there for a card left in a printer.
            console = f"127.0.0.1:{free_port()}"
            configs[code] = write_site_agent_config(
                out, pki, code, f"127.0.0.1:{proxy.add(code)}",
                [p for p in plans if p.site_code == code], tuning=AGENT_TUNING,
                window_hours=opts.window_hours, console_address=console)
            consoles.append(SiteConsole(f"http://{console}/"))
            fleet.agents[code] = start_agent(out, code, configs[code])
        operator = PrinterOperator(plans, consoles)
        drill = _Drill(opts, rng, out, port, fleet, plans, configs, proxy, operator)
        drill.connect_admin()
        drill.run()
        for proc in fleet.agents.values():
            proc.stop(signal.SIGTERM, timeout=30)
        hoppers = {p.out_dir: (p.blanks, blanks_in_hopper(p)) for p in plans}
        for proc in fleet.printers.values():
            proc.stop(signal.SIGTERM, timeout=15)
        fleet.controller.stop(signal.SIGTERM, timeout=30)
    finally:
        if drill is not None:
            drill.close()
        if operator is not None:
            operator.close()
        for proc in fleet.all():
            proc.stop(signal.SIGKILL if proc.alive() else signal.SIGTERM, timeout=5)
        if proxy is not None:
            proxy.close()

    physical = tally_printers(hoppers)
    base = summarize(out, prr, plans, physical, DemoOptions())
    checks = _store_checks(out, prr, physical)
    summary = {
        "records": base["records"], "printed": base["printed"],
        "cards_physically_printed": base["cards_physically_printed"],
        "duplicates": base["duplicates"],
        "lost": checks["not_printed"] + base["lost"],
        "unknown_unresolved": checks["unknown_unresolved"],
        "blanks_balanced": base["blanks_balanced"],
        **drill.counts,
        "elapsed_s": round(time.monotonic() - started, 2),
        "sites": base["sites"], "printers": base["printers"],
        "spoiled": base["spoiled"], "unknown_resolved": drill.resolver.resolved,
        "resolver_problems": len(drill.resolver.problems),
        "ledger_physical_mismatch": checks["mismatch"],
        "audit_chain_ok": checks["audit_ok"], "verify_ok": checks["verify_ok"],
        "serial_attention": base["serial_attention"],
        "chips_failed": base["chips_failed"],
        "fault_kinds": sorted(set(drill.fault_kinds)),
        "agent_kill_positions": drill.agent_kill_positions,
        "partition_reconnect_s": drill.reconnect_s,
        "agents_not_reconnected": len(drill.not_reconnected),
        "operator_power_ons": operator.power_ons,
        "operator_cards_removed": operator.cards_removed,
        "operator_card_left_continues": sum(c.continues for c in operator.consoles),
        "timed_out": drill.timed_out, "out_dir": str(out),
    }
    for problem in drill.resolver.problems:
        log.error("resolver: %s", problem)
    return summary


def _wait_for_printers(plans: list[PrinterPlan], fleet: Fleet, timeout: float = 60.0) -> None:
    """Until every printer answers on its service port (the operators need it)."""
    from cetak.printers.errors import EmulatorError
    from cetak.printers.virtual.service import ServiceClient

    deadline = time.monotonic() + timeout
    for plan in plans:
        client = ServiceClient(plan.service, timeout=2.0)
        try:
            while True:
                try:
                    client.snapshot()
                    break
                except EmulatorError:
                    proc = fleet.printers[plan.printer_id]
                    if not proc.alive() or time.monotonic() > deadline:
                        raise RuntimeError(f"{proc.name} did not come up:\n"
                                           f"{proc.output()[-2000:]}") from None
                    time.sleep(0.1)
        finally:
            client.close()


def _store_checks(out: Path, prr: Path, physical) -> dict:
    """Record-level checks the demo's summary does not make: every PRR record printed,
    no unknown attempt left, ledger and physics name the same printed records, audit chain."""
    from cetak.controller.audit import audit_log_for
    from cetak.controller.store import SqliteStore
    from cetak.controller.verify import verify_store

    with prr.open(encoding="utf-8", newline="") as f:
        niks = [row["nik"] for row in csv.DictReader(f)]
    store = SqliteStore(out / "controller.db")
    try:
        with store.transaction():
            rows = store.connection.execute(
                "SELECT nik, record_id, state FROM records WHERE campaign_id=?",
                (CAMPAIGN,)).fetchall()
            unknown = sum(n for _site, state, n in store.attempt_counts(CAMPAIGN)
                          if state == "unknown")
            verify_ok = verify_store(store).ok
            audit_problems = audit_log_for(store).verify()
    finally:
        store.close()
    printed_niks = {nik for nik, _rid, state in rows if state == "printed"}
    printed_ids = {rid for _nik, rid, state in rows if state == "printed"}
    physically = {e["record"] for entries in physical.per_printer.values() for e in entries
                  if e["outcome"] == "printed"}
    for problem in audit_problems:
        log.error("audit chain: %s", problem)
    return {"not_printed": sum(1 for nik in niks if nik not in printed_niks),
            "unknown_unresolved": unknown, "verify_ok": verify_ok,
            "mismatch": len(printed_ids ^ physically), "audit_ok": not audit_problems}


def passed(summary: dict, opts: DrillOptions) -> bool:
    """The drill's verdict: invariants hold and every disruption asked for happened."""
    return (summary["duplicates"] == 0 and summary["lost"] == 0
            and summary["unknown_unresolved"] == 0 and summary["blanks_balanced"]
            and summary["ledger_physical_mismatch"] == 0 and summary["audit_chain_ok"]
            and summary["agents_not_reconnected"] == 0 and not summary["timed_out"]
            and summary["controller_kills"] >= opts.controller_kills
            and summary["agent_kills"] >= opts.agent_kills
            and summary["partitions"] >= opts.partitions
            and summary["printer_faults"] >= opts.faults)
