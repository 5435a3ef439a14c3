"""Prometheus metrics of one agent: printers, cards, journal, connection (docs/design.md section
11).

`AgentMetrics` owns a registry of its own (tests run many agents in one process) and offers a
few calls the agent makes as things happen; `serve()` exposes them on /metrics. The journal
depth and the connection state can also be read at scrape time (`watch`), which needs no call
sites at all. Labels are bounded: printer id, state, outcome and a reason from a fixed
vocabulary (cetak/metric_labels.py) — never anything from a card record.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

from cetak.api.v1 import common_pb2
from cetak.metric_labels import PRINTER_STATES, printer_state_label, reason_label
from cetak.metrics_http import MetricsServer, serve_metrics

log = logging.getLogger(__name__)

_PREPARE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PRINT_BUCKETS = (1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 120.0, 300.0)
_OUTCOMES = {common_pb2.PRINTED: "printed", common_pb2.SPOILED: "spoiled",
             common_pb2.FAILED_BEFORE_CARD: "failed_before_card",
             common_pb2.UNKNOWN: "unknown"}


class AgentMetrics:
    def __init__(self, agent_id: str = "", site_code: str = "", version: str = "",
                 registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        info = Gauge("cetak_agent_info", "The agent this endpoint belongs to (always 1).",
                     ["agent", "site", "version"], registry=r)
        info.labels(agent=agent_id, site=site_code, version=version).set(1)
        self._connected = Gauge("cetak_agent_controller_connected",
                                "1 while a stream to the controller is open.", registry=r)
        self._connections = Counter("cetak_agent_controller_connections",
                                    "Streams opened to the controller (Welcome received).",
                                    registry=r)
        self._journal_events = Gauge("cetak_agent_journal_events",
                                     "Events journaled and not yet acknowledged by the "
                                     "controller.", registry=r)
        self._journal_leases = Gauge("cetak_agent_journal_leases",
                                     "Leases in the local journal by state.", ["state"],
                                     registry=r)
        self._prepare = Histogram("cetak_agent_card_prepare_seconds",
                                  "Time to render and encode one card.", ["printer"],
                                  buckets=_PREPARE_BUCKETS, registry=r)
        self._print = Histogram("cetak_agent_card_print_seconds",
                                "Time the printer took for one card, feed to outcome.",
                                ["printer"], buckets=_PRINT_BUCKETS, registry=r)
        self._bytes = Counter("cetak_agent_printer_sent_bytes",
                              "Command stream bytes sent to the printer.", ["printer"],
                              registry=r)
        self._printed = Counter("cetak_agent_cards_printed", "Cards printed.", ["printer"],
                                registry=r)
        self._failed = Counter("cetak_agent_card_failures",
                               "Attempts that did not print, by outcome and reason.",
                               ["printer", "outcome", "reason"], registry=r)
        self._state = Gauge("cetak_agent_printer_state",
                            "Printer state (1: current; one series per state).",
                            ["printer", "state"], registry=r)
        self._consumables = {
            name: Gauge(f"cetak_agent_printer_{name}", doc, ["printer"], registry=r)
            for name, doc in (
                ("blanks_in_hopper", "Blank cards in the input hopper."),
                ("ribbon_panels", "Ribbon panels left."),
                ("ribbon_panels_capacity", "Ribbon panels of a full ribbon."),
                ("film_frames", "Retransfer film frames left."),
                ("film_frames_capacity", "Retransfer film frames of a full film."),
                ("ribbon_remaining_ratio", "Share of the ribbon left (0..1)."),
                ("film_remaining_ratio", "Share of the film left (0..1)."))}

    # -- calls from the agent -------------------------------------------------------------------

    def connected(self, up: bool) -> None:
        self._connected.set(1 if up else 0)
        if up:
            self._connections.inc()

    def journal_depth(self, events: int, leases: dict[str, int] | None = None) -> None:
        self._journal_events.set(events)
        for state, n in (leases or {}).items():
            self._journal_leases.labels(state=state).set(n)

    def card_prepared(self, printer: str, seconds: float) -> None:
        """Render + encode time of one card (the "encode time")."""
        self._prepare.labels(printer=printer).observe(seconds)

    def bytes_sent(self, printer: str, n: int) -> None:
        self._bytes.labels(printer=printer).inc(n)

    def card_outcome(self, printer: str, state: int, reason: str = "",
                     seconds: float | None = None) -> None:
        """One attempt ended: `state` is a common_pb2.AttemptState value."""
        outcome = _OUTCOMES.get(state, "unknown")
        if outcome == "printed":
            self._printed.labels(printer=printer).inc()
        else:
            self._failed.labels(printer=printer, outcome=outcome,
                                reason=reason_label(reason)).inc()
        if seconds is not None:
            self._print.labels(printer=printer).observe(seconds)

    def printer_state(self, printer: str, state: int | str,
                      consumables: common_pb2.Consumables | None = None) -> None:
        """The printer's state (a common_pb2.PrinterState value or one of PRINTER_STATES)
        and, when known, its consumables."""
        current = state if isinstance(state, str) else printer_state_label(state)
        if current not in PRINTER_STATES:
            current = "unknown"
        for s in PRINTER_STATES:
            self._state.labels(printer=printer, state=s).set(1 if s == current else 0)
        if consumables is None:
            return
        c, g = consumables, self._consumables
        g["blanks_in_hopper"].labels(printer=printer).set(c.blanks_in_hopper)
        g["ribbon_panels"].labels(printer=printer).set(c.ribbon_panels_left)
        g["ribbon_panels_capacity"].labels(printer=printer).set(c.ribbon_panels_capacity)
        g["film_frames"].labels(printer=printer).set(c.film_frames_left)
        g["film_frames_capacity"].labels(printer=printer).set(c.film_frames_capacity)
        if c.ribbon_panels_capacity > 0:
            g["ribbon_remaining_ratio"].labels(printer=printer).set(
                c.ribbon_panels_left / c.ribbon_panels_capacity)
        if c.film_frames_capacity > 0:
            g["film_remaining_ratio"].labels(printer=printer).set(
                c.film_frames_left / c.film_frames_capacity)

    # -- scrape-time readings ---------------------------------------------------------------------

    def watch(self, *, journal=None, connected: Callable[[], bool] | None = None) -> None:
        """Read the journal depth (and the connection state) at scrape time instead of
        being told: no call sites, never stale. The journal is thread-safe (one locked
        connection); when it fails (closed at shutdown) the last value is served."""
        if journal is not None and hasattr(journal, "counts"):
            counts = _Cached(journal.counts)
            self._journal_events.set_function(lambda: counts().get("events", 0))
            for state in ("held", "started", "done", "returning"):
                self._journal_leases.labels(state=state).set_function(
                    lambda s=state: counts().get(s, 0))
        if connected is not None:
            self._connected.set_function(lambda: 1.0 if connected() else 0.0)

    def serve(self, port: int, address: str = "127.0.0.1") -> MetricsServer:
        """Serve /metrics over HTTP on `address:port` (port 0 picks a free one)."""
        return serve_metrics(self.registry, port, address)


class _Cached:
    """One journal reading shared by the gauges of one scrape (they are read back to back)."""

    def __init__(self, read: Callable[[], dict[str, int]], ttl_s: float = 0.5) -> None:
        self._read = read
        self._ttl_s = ttl_s
        self._at = -1e9
        self._value: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, int]:
        with self._lock:
            if time.monotonic() - self._at > self._ttl_s:
                try:
                    self._value = self._read()
                except Exception:  # closed at shutdown: keep serving the last reading
                    log.debug("journal not readable for metrics", exc_info=True)
                self._at = time.monotonic()
            return self._value

