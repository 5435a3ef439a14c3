"""`cetak demo`: a whole small campaign on this machine, with the real parts.

Controller (SQLite, mutual TLS with a throwaway PKI), one agent per Depok kelurahan, virtual
printers over TCP that decode what they are sent and write a PNG per card, synthetic PRR
records imported through the admin API. Afterwards the summary is computed from the store and
from what the virtual printers physically produced — never assumed.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cetak.procs import free_port

from .fleet import (
    CAMPAIGN,
    Fleet,
    PrinterPlan,
    admin_channel,
    blanks_balanced,
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
from .physical import PhysicalTally, tally_printers

log = logging.getLogger("cetak.demo")


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


def run_demo(opts: DemoOptions) -> dict:
    from cetak.prr.synthetic import write_prr

    started = time.monotonic()
    out = Path(opts.out) if opts.out else Path(tempfile.mkdtemp(prefix="cetak-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    sites = choose_sites(opts.sites)
    site_codes = [k.code for k in sites]
    pki = out / "pki"
    ensure_pki(pki, site_codes)
    prr = write_prr(out / "prr", opts.cards, sites=site_codes, seed=opts.seed)

    per_site = {code: 0 for code in site_codes}
    for code in sites_of(prr):
        per_site[code] = per_site.get(code, 0) + 1
    plans = plan_printers(out, per_site, printers_per_site=opts.printers_per_site,
                          dialect=opts.dialect, spare_blanks=opts.spare_blanks)

    fleet = Fleet()
    controller_port = free_port()
    try:
        fleet.controller = start_controller(out, controller_port, metrics_port=opts.metrics_port)
        channel = admin_channel(pki, controller_port)
        prepare_campaign(channel, sites, plans, prr)
        for plan in plans:
            fleet.printers[plan.printer_id] = start_printer(
                plan, out, cards_per_hour=opts.cards_per_hour, time_scale=opts.time_scale,
                seed=opts.seed)
        for k in sites:
            config = write_site_agent_config(out, pki, k.code, f"127.0.0.1:{controller_port}",
                                             [p for p in plans if p.site_code == k.code])
            fleet.agents[k.code] = start_agent(out, k.code, config)
        outage = _watch(opts, fleet, channel, out, controller_port)
        for proc in fleet.agents.values():
            proc.stop(signal.SIGTERM, timeout=30)
        hoppers = {p.out_dir: (p.blanks, blanks_in_hopper(p)) for p in plans}
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
                    fleet.controller = start_controller(out, port, metrics_port=opts.metrics_port)
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
    from cetak.controller.inventory import serial_attention
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
            serials = [item for items in serial_attention(store).values() for item in items]
            ledger_blanks = {code: store.site_blanks(code) for code in
                             {p.site_code for p in plans}}
            printed_ids = {r for (r,) in store.connection.execute(
                "SELECT record_id FROM records WHERE campaign_id=? AND state='printed'",
                (CAMPAIGN,))}
    finally:
        store.close()
    records_in_file = len(sites_of(prr))
    stored = sum(counts.values())
    visible = sum(counts.get(s, 0) for s in ("queued", "leased", "printed", "held", "rejected",
                                              "cancelled"))
    lost = (records_in_file - stored) + (stored - visible) + sum(
        1 for v in report.violations if v.invariant == "no_record_lost")
    store_duplicates = sum(1 for v in report.violations if v.invariant == "one_printed_card")
    duplicates = max(store_duplicates, len(physical.duplicate_records))
    balanced = report.ok and blanks_balanced(plans, physical, ledger_blanks)
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
        # what verify asks a person to look at; of it, blanks fed outside the serials their
        # site received or used twice (none, when printers load what the sites received)
        "attention": report.attention, "serial_attention": serials,
        "out_dir": str(out),
    }


def _chips_failing(chip_files: list[Path], signer_cert: Path) -> int:
    from cetak.card.chip import verify_chip_data

    pem = signer_cert.read_bytes()
    return sum(1 for f in chip_files if not verify_chip_data(f.read_bytes(), pem).ok)


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
