"""`cetak demo`: a whole small campaign on this machine, with the real parts.

Controller (SQLite, mutual TLS with a throwaway PKI), one agent per Depok kelurahan, virtual
printers over TCP that decode what they are sent and write a PNG per card, synthetic PRR
records imported through the admin API. Afterwards the summary is computed from the store and
from what the virtual printers physically produced — never assumed.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cetak.procs import ManagedProcess, cetak_argv, free_port, wait_for_file

from .physical import PhysicalTally, tally_printers

log = logging.getLogger("cetak.demo")

CAMPAIGN = "demo"


@dataclass
class DemoOptions:
    cards: int = 300
    sites: int = 4
    printers_per_site: int = 1
    out: Path | None = None
    as_json: bool = False
    seed: int = 1
    dialect: str = "evolis"          # evolis | magicard | mixed
    cards_per_hour: float = 200.0    # a real printer's speed ...
    time_scale: float = 36.0         # ... run this many times faster (0.5 s a card)
    outage_at: float | None = None
    outage_for: float = 0.0
    metrics_port: int = 0
    linger: float = 0.0
    timeout: float = 600.0
    spare_blanks: float = 0.2        # blanks beyond demand delivered to each site


@dataclass
class Fleet:
    controller: ManagedProcess | None = None
    agents: dict[str, ManagedProcess] = field(default_factory=dict)
    printers: dict[str, ManagedProcess] = field(default_factory=dict)

    def all(self) -> list[ManagedProcess]:
        procs = list(self.agents.values()) + list(self.printers.values())
        return procs + ([self.controller] if self.controller else [])


@dataclass
class PrinterPlan:
    printer_id: str
    site_code: str
    dialect: str
    port: int
    out_dir: Path
    blanks: int


def run_demo(opts: DemoOptions) -> dict:
    from cetak.prr.regions import depok_kelurahan
    from cetak.prr.synthetic import write_prr
    from cetak.security.pki import init_pki, issue_agent

    started = time.monotonic()
    out = Path(opts.out) if opts.out else Path(tempfile.mkdtemp(prefix="cetak-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    kelurahan = list(depok_kelurahan())
    if not 1 <= opts.sites <= len(kelurahan):
        raise ValueError(f"--sites must be between 1 and {len(kelurahan)}")
    # Spread the chosen sites over the city rather than taking one kecamatan's first few.
    step = len(kelurahan) / opts.sites
    sites = [kelurahan[int(i * step)] for i in range(opts.sites)]
    site_codes = [k.code for k in sites]

    pki = out / "pki"
    if not (pki / "ca.pem").exists():
        init_pki(pki)
        for k in sites:
            issue_agent(pki, k.code, _agent_name(k.code))
    prr = write_prr(out / "prr", opts.cards, sites=site_codes, seed=opts.seed)

    per_site = {code: 0 for code in site_codes}
    for code in _sites_of(prr):
        per_site[code] = per_site.get(code, 0) + 1
    plans = _plan_printers(opts, out, per_site)

    fleet = Fleet()
    controller_port = free_port()
    try:
        fleet.controller = _start_controller(opts, out, controller_port)
        channel = _admin_channel(pki, controller_port)
        _prepare_campaign(channel, sites, plans, prr, opts)
        for plan in plans:
            fleet.printers[plan.printer_id] = _start_printer(opts, plan, out)
        for k in sites:
            config = _write_agent_config(out, pki, k.code, controller_port,
                                         [p for p in plans if p.site_code == k.code], opts)
            fleet.agents[k.code] = ManagedProcess(cetak_argv("agent", "run", "--config",
                                                             str(config)),
                                                  out / "logs" / f"agent-{k.code}.log",
                                                  name=f"agent {k.code}")
        outage = _watch(opts, fleet, channel, out, controller_port)
        for proc in fleet.agents.values():
            proc.stop(signal.SIGTERM, timeout=30)
        hoppers = {p.out_dir: (p.blanks, _blanks_in_hopper(p)) for p in plans}
        for proc in fleet.printers.values():
            proc.stop(signal.SIGTERM, timeout=15)
        if opts.linger > 0:
            log.info("campaign finished; metrics stay up for %.0f s", opts.linger)
            time.sleep(opts.linger)
        fleet.controller.stop(signal.SIGTERM, timeout=30)
    finally:
        for proc in fleet.all():
            proc.stop(signal.SIGKILL if proc.alive() else signal.SIGTERM, timeout=5)

    physical = tally_printers(hoppers)
    summary = summarize(out, prr, plans, physical, opts)
    summary["elapsed_s"] = round(time.monotonic() - started, 2)
    if outage is not None:
        window = outage.pop("outage_window")
        summary.update(outage)
        summary.update(physical.during(*window))
    return summary


def _agent_name(site_code: str) -> str:
    return "site-" + site_code.replace(".", "")


def _sites_of(prr: Path) -> list[str]:
    import csv

    with prr.open(encoding="utf-8", newline="") as f:
        return [row["kelurahan_kode"] for row in csv.DictReader(f)]


def _plan_printers(opts: DemoOptions, out: Path, per_site: dict[str, int]) -> list[PrinterPlan]:
    plans = []
    dialects = ["evolis", "magicard"] if opts.dialect == "mixed" else [opts.dialect]
    n = 0
    for code, demand in per_site.items():
        blanks_site = math.ceil(demand * (1 + opts.spare_blanks)) + 2 * opts.printers_per_site
        for i in range(opts.printers_per_site):
            printer_id = f"{_agent_name(code)}-p{i + 1}"
            share = blanks_site // opts.printers_per_site + (
                1 if i < blanks_site % opts.printers_per_site else 0)
            plans.append(PrinterPlan(printer_id=printer_id, site_code=code,
                                     dialect=dialects[n % len(dialects)], port=free_port(),
                                     out_dir=out / "printers" / printer_id, blanks=share))
            n += 1
    return plans


def _start_controller(opts: DemoOptions, out: Path, port: int) -> ManagedProcess:
    port_file = out / "controller.port"
    port_file.unlink(missing_ok=True)
    argv = cetak_argv("controller", "serve", "--listen", f"127.0.0.1:{port}",
                      "--store", f"sqlite://{out / 'controller.db'}", "--pki", str(out / "pki"),
                      "--port-file", str(port_file), "--lease-seconds", "900",
                      "--skew-margin-seconds", "5")
    if opts.metrics_port:
        argv += ["--metrics-port", str(opts.metrics_port)]
    proc = ManagedProcess(argv, out / "logs" / "controller.log", name="controller")
    wait_for_file(port_file, proc, timeout=60)
    return proc


def _admin_channel(pki: Path, port: int):
    from cetak.client import open_channel

    return open_channel(f"127.0.0.1:{port}", pki=pki, identity="admin")


def _prepare_campaign(channel, sites, plans: list[PrinterPlan], prr: Path,
                      opts: DemoOptions) -> None:
    from cetak.api.v1 import admin_pb2, admin_pb2_grpc
    from cetak.controller.campaign_cli import import_chunks
    from cetak.prr.bundle import bundle_prr

    stub = admin_pb2_grpc.AdminServiceStub(channel)
    deadline_ms = int((time.time() + 3600) * 1000)
    stub.CreateCampaign(admin_pb2.CreateCampaignRequest(campaign=admin_pb2.Campaign(
        campaign_id=CAMPAIGN, name="Demo Kota Depok", deadline_ms=deadline_ms)), timeout=30)
    for k in sites:
        stub.UpsertSite(admin_pb2.Site(site_code=k.code, name=k.name, kecamatan=k.kecamatan),
                        timeout=30)
    for p in plans:
        stub.RecordInventory(admin_pb2.InventoryMovement(
            site_code=p.site_code, item="blank", kind="receive", quantity=p.blanks,
            reference=f"delivery for {p.printer_id}"), timeout=30)
    upload = bundle_prr(prr, prr.parent / "upload.zip")
    result = stub.ImportRecords(import_chunks(CAMPAIGN, upload, False), timeout=300)
    if result.invalid:
        raise RuntimeError(f"demo records did not validate: {result.invalid} invalid")
    log.info("imported %d records (%d held)", result.imported, result.held)


def _start_printer(opts: DemoOptions, plan: PrinterPlan, out: Path) -> ManagedProcess:
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    argv = cetak_argv("printer", "emulate", "--dialect", plan.dialect,
                      "--listen", f"tcp://127.0.0.1:{plan.port}", "--out", str(plan.out_dir),
                      "--cards-per-hour", str(opts.cards_per_hour),
                      "--time-scale", str(opts.time_scale), "--blanks", str(plan.blanks),
                      "--seed", str(opts.seed),
                      # The site's operator changes a spent ribbon or clears a jam in about
                      # half a minute (printer time, scaled like everything else).
                      "--operator-delay", "30")
    return ManagedProcess(argv, out / "logs" / f"printer-{plan.printer_id}.log",
                          name=f"printer {plan.printer_id}")


def _write_agent_config(out: Path, pki: Path, site_code: str, controller_port: int,
                        plans: list[PrinterPlan], opts: DemoOptions) -> Path:
    from .configs import write_agent_config

    folder = out / "agents" / _agent_name(site_code)
    return write_agent_config(folder, agent_id=_agent_name(site_code), site_code=site_code,
                              controller=f"127.0.0.1:{controller_port}", pki=pki,
                              printers=[(p.printer_id, p.dialect, f"127.0.0.1:{p.port}")
                                        for p in plans])


def _blanks_in_hopper(plan: PrinterPlan) -> int:
    """Ask the printer itself (its service port) how many blanks its hopper holds."""
    from cetak.printers.virtual.service import ServiceClient

    client = ServiceClient(f"127.0.0.1:{plan.port + 1}")
    try:
        return int(client.snapshot()["blanks"])
    finally:
        client.close()


def _watch(opts: DemoOptions, fleet: Fleet, channel, out: Path, port: int) -> dict | None:
    """Follow progress until every record is printed (or the time runs out)."""
    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    stub = admin_pb2_grpc.AdminServiceStub(channel)
    started = time.monotonic()
    outage_started = outage_ended = None
    outage_wall = [0.0, 0.0]
    printed_at_kill = printed_at_restore = 0
    progress = _Progress(enabled=sys.stderr.isatty() and not opts.as_json, total=opts.cards)
    last = None
    with progress:
        while time.monotonic() - started < opts.timeout:
            elapsed = time.monotonic() - started
            if opts.outage_at is not None and outage_started is None and \
                    elapsed >= opts.outage_at:
                fleet.controller.kill()
                outage_started = time.monotonic()
                outage_wall = [time.time(), 0.0]
                printed_at_kill = last.printed if last else 0
                log.warning("controller SIGKILLed for the outage drill")
            if outage_started is not None and outage_ended is None:
                if time.monotonic() - outage_started >= opts.outage_for:
                    outage_wall[1] = time.time()
                    fleet.controller = _start_controller(opts, out, port)
                    outage_ended = time.monotonic()
                    log.warning("controller restarted after %.1f s", outage_ended
                                - outage_started)
                else:
                    time.sleep(0.2)
                    continue
            for proc in list(fleet.agents.values()) + list(fleet.printers.values()):
                if not proc.alive():
                    raise RuntimeError(f"{proc.name} exited unexpectedly:\n"
                                       f"{proc.output()[-3000:]}")
            try:
                last = stub.GetStatus(admin_pb2.StatusRequest(campaign_id=CAMPAIGN), timeout=10)
            except Exception:  # the controller may be starting; try again shortly
                time.sleep(0.3)
                continue
            if outage_ended is not None and not printed_at_restore:
                printed_at_restore = last.printed
            progress.update(last.printed)
            if last.printed + last.held >= opts.cards and last.leased == 0:
                break
            time.sleep(0.3)
        else:
            log.error("demo timed out after %.0f s", opts.timeout)
    if outage_started is None:
        return None
    if not outage_wall[1]:
        outage_wall[1] = time.time()
    return {"outage_started_s": round(outage_started - started, 2),
            "outage_s": round(outage_wall[1] - outage_wall[0], 2),
            "printed_before_outage": printed_at_kill, "outage_window": tuple(outage_wall)}


class _Progress:
    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._progress = None
        self._task = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self._progress = Progress("[bold]printing[/bold]", BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), transient=False)
            self._progress.__enter__()
            self._task = self._progress.add_task("cards", total=self.total)
        return self

    def update(self, printed: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=printed)
        else:
            log.info("printed %d of %d", printed, self.total)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)


def summarize(out: Path, prr: Path, plans: list[PrinterPlan], physical: PhysicalTally,
              opts: DemoOptions) -> dict:
    """The demo's verdict from the store and the printers' physical output."""
    from cetak.controller.store import SqliteStore
    from cetak.controller.verify import verify_store

    store = SqliteStore(out / "controller.db")
    try:
        with store.transaction():
            counts: dict[str, int] = {}
            for _site, state, n in store.record_counts(CAMPAIGN):
                counts[state] = counts.get(state, 0) + n
            attempts: dict[str, int] = {}
            for _site, state, n in store.attempt_counts(CAMPAIGN):
                attempts[state] = attempts.get(state, 0) + n
            report = verify_store(store)
            ledger_blanks = {code: store.site_blanks(code) for code in
                             {p.site_code for p in plans}}
            printed_ids = {r for (r,) in store.connection.execute(
                "SELECT record_id FROM records WHERE campaign_id=? AND state='printed'",
                (CAMPAIGN,))}
    finally:
        store.close()
    records_in_file = len(_sites_of(prr))
    stored = sum(counts.values())
    visible = sum(counts.get(s, 0) for s in ("queued", "leased", "printed", "held", "rejected",
                                              "cancelled"))
    lost = (records_in_file - stored) + (stored - visible) + sum(
        1 for v in report.violations if v.invariant == "no_record_lost")
    store_duplicates = sum(1 for v in report.violations if v.invariant == "one_printed_card")
    duplicates = max(store_duplicates, len(physical.duplicate_records))
    balanced = report.ok and _blanks_balanced(plans, physical, ledger_blanks)
    pngs_missing = sorted(printed_ids - physical.records_with_png)
    chips_bad = _chips_failing(physical.chip_files, out / "pki" / "document-signer.pem")
    return {
        "records": stored, "printed": counts.get("printed", 0),
        "spoiled": attempts.get("spoiled", 0), "unknown": attempts.get("unknown", 0),
        "duplicates": duplicates, "lost": lost, "blanks_balanced": balanced,
        "cards_physically_printed": physical.good_cards,
        "pngs_missing": len(pngs_missing), "chips_verified": len(physical.chip_files)
        - chips_bad, "chips_failed": chips_bad,
        "sites": len({p.site_code for p in plans}), "printers": len(plans),
        "out_dir": str(out),
    }


def _chips_failing(chip_files: list[Path], signer_cert: Path) -> int:
    from cetak.card.chip import verify_chip_data

    pem = signer_cert.read_bytes()
    return sum(1 for f in chip_files if not verify_chip_data(f.read_bytes(), pem).ok)


def _blanks_balanced(plans: list[PrinterPlan], physical: PhysicalTally, ledger: dict) -> bool:
    """Ledger and physics agree per site: every blank loaded is in a hopper or was used, and
    the ledger counts the same printed and spoiled cards as the printers produced."""
    for code, b in ledger.items():
        loaded = sum(p.blanks for p in plans if p.site_code == code)
        phys = physical.by_site(code, [p.out_dir for p in plans if p.site_code == code])
        if b.received + b.transferred_in - b.transferred_out != loaded:
            return False
        if phys.loaded != loaded or phys.loaded != phys.in_hopper + phys.consumed:
            return False
        if (b.printed, b.spoiled + b.unknown + b.in_flight) != (phys.good, phys.consumed
                                                                 - phys.good):
            return False
        if b.in_stock != phys.in_hopper:
            return False
    return True


def print_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="cetak demo")
    table.add_column("")
    table.add_column("", justify="right")
    for key in ("records", "printed", "spoiled", "unknown", "duplicates", "lost",
                "blanks_balanced", "sites", "printers", "elapsed_s", "out_dir"):
        table.add_row(key, str(summary.get(key)))
    Console(stderr=True).print(table)


def remove_out(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)


def dump(summary: dict) -> str:
    return json.dumps(summary, sort_keys=False)
