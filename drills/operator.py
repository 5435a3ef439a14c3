"""What the site operators do during a drill, through the same doors a person would use.

- `PrinterOperator.tend()`: at each printer's service port, power a printer back on after a
  power loss, and take out a card left half-way by a host that went away (an agent killed
  after the feed leaves the blank in the path; the printer refuses work until it is removed).
  Latched errors (jam, ribbon, cover) are cleared by the emulator's own `--operator-delay`.
- `SiteConsole.tend()`: at each site's operator console (its HTTP API, as the page uses it),
  press Continue when a printer holds a card left inside: the restarted agent feeds that
  printer nothing until someone does (the console's Continue also opens the virtual
  printer's cover through its service port and takes the card out).
- `UnknownResolver.run()`: list the records held with an unknown outcome (AdminService.ListHeld)
  and decide each unknown attempt from the printers' log of cards physically produced
  (produced.jsonl), as an operator decides from the output hopper and the reject bin:
  printed -> RESOLVED_PRINTED, spoiled or interrupted -> RESOLVED_SPOILED, no blank at all ->
  RESOLVED_NOT_FED. An attempt is decided only once the printer has settled: its blank is in
  the log, or (no blank serial known) the printer holds no card at all.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from cetak.demo.fleet import CAMPAIGN, PrinterPlan
from cetak.printers.errors import EmulatorError
from cetak.printers.virtual.output import read_log
from cetak.printers.virtual.service import ServiceClient

log = logging.getLogger(__name__)

POWER_ON_AFTER_S = 1.0   # someone notices the dark printer and switches it back on
ABANDONED_AFTER_S = 6.0  # a card not moving this long, with nobody printing it, is taken out
_HALF_WAY = ("fed", "contactless")


@dataclass
class _Seen:
    unpowered_since: float | None = None
    card: str = ""            # blank serial of a card standing half-way
    card_since: float = 0.0


class PrinterOperator:
    def __init__(self, plans: list[PrinterPlan], consoles: list[SiteConsole] | None = None) -> None:
        self.plans = {p.printer_id: p for p in plans}
        self.consoles = list(consoles or [])
        self._clients = {p.printer_id: ServiceClient(p.service, timeout=5.0) for p in plans}
        self._seen = {p.printer_id: _Seen() for p in plans}
        self.power_ons = 0
        self.cards_removed = 0

    def snapshot(self, printer_id: str) -> dict | None:
        try:
            return self._clients[printer_id].snapshot()
        except EmulatorError as exc:
            log.warning("printer %s: service port: %s", printer_id, exc)
            return None

    def request(self, printer_id: str, line: str) -> str:
        return self._clients[printer_id].request(line)

    def tend(self) -> None:
        now = time.monotonic()
        for printer_id in self.plans:
            snap = self.snapshot(printer_id)
            if snap is None:
                continue
            seen = self._seen[printer_id]
            if not snap["powered"]:
                if seen.unpowered_since is None:
                    seen.unpowered_since = now
                elif now - seen.unpowered_since >= POWER_ON_AFTER_S:
                    self.request(printer_id, "POWER ON")
                    self.power_ons += 1
                    seen.unpowered_since = None
                    log.info("operator: printer %s powered on", printer_id)
                continue
            seen.unpowered_since = None
            if snap["position"] in _HALF_WAY:
                if seen.card != snap["last_blank_serial"]:
                    seen.card, seen.card_since = snap["last_blank_serial"], now
                elif now - seen.card_since >= ABANDONED_AFTER_S:
                    self.request(printer_id, "CLEAR")
                    self.cards_removed += 1
                    seen.card = ""
                    log.info("operator: abandoned card %s removed from printer %s",
                             snap["last_blank_serial"], printer_id)
            else:
                seen.card = ""
        for console in self.consoles:
            console.tend()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


class SiteConsole:
    """One site's operator console, through its HTTP API (GET /api/state, POST /api/action
    with the page's token): the operator presses Continue for a card left in a printer."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/"
        self._token = ""
        self.continues = 0

    def _call(self, path: str, body: dict | None = None) -> dict | str | None:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data)
        if body is not None:
            request.add_header("Content-Type", "application/json")
            request.add_header("X-Cetak-Token", self._token)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                raw = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            if exc.code == 403:
                self._token = ""  # a restarted agent has a new token: read the page again
            log.debug("console %s: %s %s", self.url, path, exc.code)
            return None
        except OSError as exc:  # the agent is down or restarting
            log.debug("console %s: %s", self.url, exc)
            return None
        return json.loads(raw) if path.startswith("api/") else raw

    def tend(self) -> None:
        state = self._call("api/state")
        if not isinstance(state, dict):
            return
        for printer in state.get("printers", []):
            if not any(a.get("condition") == "card_left" for a in printer.get("alerts", [])):
                continue
            if not self._token:
                page = self._call("")
                marker = 'name="cetak-token" content="'
                if not isinstance(page, str) or marker not in page:
                    return
                start = page.index(marker) + len(marker)
                self._token = page[start:page.index('"', start)]
            if self._call("api/action", {"action": "jam_cleared",
                                         "printer_id": printer["id"]}) is not None:
                self.continues += 1
                log.info("operator: card left in printer %s removed, Continue pressed",
                         printer["id"])


@dataclass
class UnknownResolver:
    """Decides unknown attempts from physical evidence through AdminService.ResolveAttempt."""

    stub: object                       # AdminServiceStub on an admin channel
    operator: PrinterOperator
    resolved: dict[str, int] = field(default_factory=lambda: {
        "printed": 0, "spoiled": 0, "not_fed": 0})
    problems: list[str] = field(default_factory=list)
    _used_serials: set[str] = field(default_factory=set)

    def run(self) -> int:
        """One pass over the held records; returns how many attempts it resolved."""
        from cetak.api.v1 import admin_pb2, common_pb2

        held = self.stub.ListHeld(admin_pb2.ListHeldRequest(campaign_id=CAMPAIGN), timeout=10)
        done = 0
        for record in held.records:
            if record.hold_reason != "unknown_outcome":
                continue
            known = {a.blank_serial for a in record.attempts if a.blank_serial}
            for attempt in record.attempts:
                if attempt.state != common_pb2.UNKNOWN:
                    continue
                decision = self._decide(record.record_id, attempt, known | self._used_serials)
                if decision is None:
                    continue  # the printer has not settled yet: look again next pass
                resolution, evidence, serial = decision
                self.stub.ResolveAttempt(admin_pb2.ResolveAttemptRequest(
                    attempt_id=attempt.attempt_id, resolution=resolution, evidence=evidence),
                    timeout=10)
                if serial:
                    self._used_serials.add(serial)
                name = admin_pb2.Resolution.Name(resolution)
                self.resolved[{"RESOLVED_PRINTED": "printed", "RESOLVED_SPOILED": "spoiled",
                               "RESOLVED_NOT_FED": "not_fed"}[name]] += 1
                log.info("resolved attempt %s of record %s: %s (%s)", attempt.attempt_id,
                         record.record_id, name, evidence)
                done += 1
                if resolution == admin_pb2.RESOLVED_PRINTED:
                    break  # the record is printed; nothing else of it can be decided printed
        return done

    def _decide(self, record_id: str, attempt, claimed: set[str]):
        from cetak.api.v1 import admin_pb2

        plan = self.operator.plans.get(attempt.printer_id)
        if plan is None:
            self.problems.append(f"attempt {attempt.attempt_id}: unknown printer "
                                 f"{attempt.printer_id!r}")
            return None
        if attempt.blank_serial:
            entries = [e for e in read_log(plan.out_dir)
                       if e["blank_serial"] == attempt.blank_serial]
            if not entries:
                return None  # the blank is still in the printer
            entry = entries[0]
            if entry["record"] != record_id:
                self.problems.append(f"blank {attempt.blank_serial} was labelled for record "
                                     f"{entry['record']}, the attempt is for {record_id}")
                return None
        else:
            # No blank serial was journaled (the agent died around the feed). Settled only
            # when the printer holds no card: then every blank fed before is in the log.
            snap = self.operator.snapshot(plan.printer_id)
            if snap is None or not snap["powered"] or snap["position"] != "none":
                return None
            candidates = [e for e in read_log(plan.out_dir)
                          if e["record"] == record_id and e["blank_serial"] not in claimed]
            if not candidates:
                return (admin_pb2.RESOLVED_NOT_FED,
                        f"no blank of printer {plan.printer_id} went out for this record; "
                        "hopper count and output log agree", "")
            entry = next((e for e in candidates if e["outcome"] == "printed"), candidates[0])
        serial = entry["blank_serial"]
        if entry["outcome"] == "printed":
            return (admin_pb2.RESOLVED_PRINTED,
                    f"card found in output hopper, blank {serial}", serial)
        if entry["outcome"] == "interrupted":
            return (admin_pb2.RESOLVED_SPOILED,
                    f"blank {serial} half-printed at a power loss, in the reject bin", serial)
        return (admin_pb2.RESOLVED_SPOILED,
                f"blank {serial} in the reject bin ({entry.get('reason') or 'spoiled'})", serial)
