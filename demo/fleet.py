"""The processes of a campaign on one machine, shared by `cetak demo` and the drills.

Controller (SQLite, mutual TLS with a throwaway PKI), virtual printers over TCP, one agent per
site; the campaign prepared through the admin API; the blanks checked against the printers.
Every process is a ManagedProcess, stopped by pid.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from cetak.procs import ManagedProcess, cetak_argv, free_port, wait_for_file

from .physical import PhysicalTally

CAMPAIGN = "demo"
BLANK_PREFIX, BLANK_WIDTH = "KTP", 7   # as the admin guide's deliveries ("KTP0001001")


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
    first_serial: int = 1    # the blanks are BLANK_PREFIX + 7 digits, from this number on

    @property
    def serials(self) -> str:
        """The blanks' serial range, as `cetak inventory receive --serials` and `cetak printer
        emulate --serials` take it (so every blank fed is one the site received)."""
        first = f"{BLANK_PREFIX}{self.first_serial:0{BLANK_WIDTH}d}"
        last = f"{BLANK_PREFIX}{self.first_serial + self.blanks - 1:0{BLANK_WIDTH}d}"
        return f"{first}-{last}"

    @property
    def service(self) -> str:
        """The printer's service port (chip station, operator's hands): the next port."""
        return f"127.0.0.1:{self.port + 1}"


def agent_name(site_code: str) -> str:
    return "site-" + site_code.replace(".", "")


def choose_sites(count: int) -> list:
    """`count` Depok kelurahan spread over the city rather than one kecamatan's first few."""
    from cetak.prr.regions import depok_kelurahan

    kelurahan = list(depok_kelurahan())
    if not 1 <= count <= len(kelurahan):
        raise ValueError(f"--sites must be between 1 and {len(kelurahan)}")
    step = len(kelurahan) / count
    return [kelurahan[int(i * step)] for i in range(count)]


def ensure_pki(pki: Path, site_codes: list[str]) -> None:
    """A throwaway PKI (CA, controller, admin, document signer) and one agent per site."""
    from cetak.security.pki import init_pki, issue_agent

    if not (pki / "ca.pem").exists():
        init_pki(pki)
        for code in site_codes:
            issue_agent(pki, code, agent_name(code))


def sites_of(prr: Path) -> list[str]:
    """The site of every record in a PRR file, in file order."""
    with prr.open(encoding="utf-8", newline="") as f:
        return [row["kelurahan_kode"] for row in csv.DictReader(f)]


def plan_printers(out: Path, per_site: dict[str, int], *, printers_per_site: int,
                  dialect: str, spare_blanks: float) -> list[PrinterPlan]:
    """Printers of every site, with the site's blanks (demand plus spare) split among them."""
    plans = []
    dialects = ["evolis", "magicard"] if dialect == "mixed" else [dialect]
    n = 0
    next_serial = 1001
    for code, demand in per_site.items():
        blanks_site = math.ceil(demand * (1 + spare_blanks)) + 2 * printers_per_site
        for i in range(printers_per_site):
            printer_id = f"{agent_name(code)}-p{i + 1}"
            share = blanks_site // printers_per_site + (
                1 if i < blanks_site % printers_per_site else 0)
            plans.append(PrinterPlan(printer_id=printer_id, site_code=code,
                                     dialect=dialects[n % len(dialects)], port=free_port(span=2),
                                     out_dir=out / "printers" / printer_id, blanks=share,
                                     first_serial=next_serial))
            next_serial += share
            n += 1
    return plans


def start_controller(out: Path, port: int, *, metrics_port: int = 0) -> ManagedProcess:
    """The controller on 127.0.0.1:port with the store and PKI of `out`; returns once it
    listens. Started again on the same port and store after a crash, it resumes."""
    port_file = out / "controller.port"
    port_file.unlink(missing_ok=True)
    argv = cetak_argv("controller", "serve", "--listen", f"127.0.0.1:{port}",
                      "--store", f"sqlite://{out / 'controller.db'}", "--pki", str(out / "pki"),
                      "--port-file", str(port_file), "--lease-seconds", "900",
                      "--skew-margin-seconds", "5")
    if metrics_port:
        argv += ["--metrics-port", str(metrics_port)]
    proc = ManagedProcess(argv, out / "logs" / "controller.log", name="controller")
    wait_for_file(port_file, proc, timeout=60)
    return proc


def admin_channel(pki: Path, port: int):
    from cetak.client import open_channel

    return open_channel(f"127.0.0.1:{port}", pki=pki, identity="admin")


def prepare_campaign(channel, sites, plans: list[PrinterPlan], prr: Path) -> None:
    """Campaign, sites, blanks delivered per printer (by serial range), records imported (all
    must validate)."""
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
        serial_from, serial_to = p.serials.split("-")
        stub.RecordInventory(admin_pb2.InventoryMovement(
            site_code=p.site_code, item="blank", kind="receive", quantity=p.blanks,
            serial_from=serial_from, serial_to=serial_to,
            reference=f"delivery for {p.printer_id}"), timeout=30)
    upload = bundle_prr(prr, prr.parent / "upload.zip")
    result = stub.ImportRecords(import_chunks(CAMPAIGN, upload, False), timeout=300)
    if result.invalid:
        raise RuntimeError(f"campaign records did not validate: {result.invalid} invalid")


def start_printer(plan: PrinterPlan, out: Path, *, cards_per_hour: float, time_scale: float,
                  seed: int) -> ManagedProcess:
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    argv = cetak_argv("printer", "emulate", "--dialect", plan.dialect,
                      "--listen", f"tcp://127.0.0.1:{plan.port}", "--out", str(plan.out_dir),
                      "--cards-per-hour", str(cards_per_hour),
                      "--time-scale", str(time_scale), "--serials", plan.serials,
                      "--seed", str(seed),
                      # The site's operator changes a spent ribbon or clears a jam in about
                      # half a minute (printer time, scaled like everything else).
                      "--operator-delay", "30")
    return ManagedProcess(argv, out / "logs" / f"printer-{plan.printer_id}.log",
                          name=f"printer {plan.printer_id}")


def write_site_agent_config(out: Path, pki: Path, site_code: str, controller: str,
                            plans: list[PrinterPlan], tuning: dict[str, float] | None = None,
                            window_hours: float = 4.0, console_address: str = "off") -> Path:
    """agent.toml of a site's agent talking to `controller` ("host:port")."""
    from .configs import write_agent_config

    folder = out / "agents" / agent_name(site_code)
    return write_agent_config(folder, agent_id=agent_name(site_code), site_code=site_code,
                              controller=controller, pki=pki,
                              printers=[(p.printer_id, p.dialect, f"127.0.0.1:{p.port}")
                                        for p in plans], window_hours=window_hours,
                              tuning=tuning, console_address=console_address)


def start_agent(out: Path, site_code: str, config: Path) -> ManagedProcess:
    """The site's agent; started again with the same config it resumes from its journal."""
    return ManagedProcess(cetak_argv("agent", "run", "--config", str(config)),
                          out / "logs" / f"agent-{site_code}.log", name=f"agent {site_code}")


def blanks_in_hopper(plan: PrinterPlan) -> int:
    """Ask the printer itself (its service port) how many blanks its hopper holds."""
    from cetak.printers.virtual.service import ServiceClient

    client = ServiceClient(plan.service)
    try:
        return int(client.snapshot()["blanks"])
    finally:
        client.close()


def blanks_balanced(plans: list[PrinterPlan], physical: PhysicalTally, ledger: dict) -> bool:
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
