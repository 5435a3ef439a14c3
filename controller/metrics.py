"""Prometheus metrics of the controller (docs/design.md section 11).

Two kinds, on one registry of the controller's own (never the process-global one, so tests can
build many controllers in one process):

- **Live instruments** the servicers update as things happen: agent events by status, leases
  granted and expired, store call latency, stream errors, gRPC request latency (interceptor).
- **A snapshot collector** that reads the store on every scrape: progress per campaign, site and
  category, blanks per site, printers and their consumables, agents, flagged reports, the
  forecast against the deadline. It reads through a *separate read-only SQLite connection*:
  WAL lets a reader see the last commit without waiting for the writer, so a scrape never
  queues behind (or stalls) the StoreWorker that the gRPC event loop depends on.

Label values are bounded: site codes, printer and agent ids, category, state, and reasons mapped
onto a fixed vocabulary (cetak/metric_labels.py). Never a NIK, a name, or free text.
Counters read from the store (cards printed, spoiled, failed) are monotonic because attempts
never leave those states, and they survive a controller restart because the store does.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import grpc
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from cetak.api.v1 import common_pb2
from cetak.metric_labels import (
    PRINTER_STATES,
    category_label,
    flag_label,
    printer_state_label,
    reason_label,
)
from cetak.metrics_http import MetricsServer, serve_metrics

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                    2.5, 5.0, 10.0)
_RECORD_STATES = ("queued", "leased", "printed", "held", "rejected", "cancelled")
_BLANK_STATES = ("received", "transferred_in", "transferred_out", "in_stock", "in_flight",
                 "printed", "spoiled", "unknown", "destroyed")


class ControllerMetrics:
    """The controller's registry and live instruments. Cheap: every servicer may own one."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events = Counter(
            "cetak_agent_events", "Job events received from agents, by outcome of applying "
            "them (applied, duplicate, flagged, malformed) and reported attempt state.",
            ["status", "state"], registry=r)
        self.leases_granted = Counter(
            "cetak_leases_granted", "Leases granted to agents.", ["site"], registry=r)
        self.leases_expired = Counter(
            "cetak_leases_expired", "Leases requeued because they expired unused.", registry=r)
        self.sessions_opened = Counter(
            "cetak_agent_sessions", "Agent streams opened (Welcome sent).", ["site"], registry=r)
        self.stream_errors = Counter(
            "cetak_agent_stream_errors", "Agent streams that ended with an error.", ["reason"],
            registry=r)
        self.store_seconds = Histogram(
            "cetak_store_call_duration_seconds", "Time from queueing a store call to its "
            "commit (group commit included), by operation.", ["operation"],
            buckets=_LATENCY_BUCKETS, registry=r)
        self.grpc_seconds = Histogram(
            "cetak_grpc_server_handling_seconds", "Time to handle a unary gRPC request.",
            ["service", "method"], buckets=_LATENCY_BUCKETS, registry=r)
        self.grpc_handled = Counter(
            "cetak_grpc_server_handled", "Unary gRPC requests completed, by status code.",
            ["service", "method", "code"], registry=r)
        self._snapshot: StoreCollector | None = None

    # -- called by the servicers ------------------------------------------------------------

    def event(self, status: str, state: str, n: int = 1) -> None:
        self.events.labels(status=status, state=state).inc(n)

    def granted(self, site: str, n: int) -> None:
        if n:
            self.leases_granted.labels(site=site).inc(n)

    def expired(self, n: int) -> None:
        if n:
            self.leases_expired.inc(n)

    def session_opened(self, site: str) -> None:
        self.sessions_opened.labels(site=site).inc()

    def stream_error(self, exc: BaseException) -> None:
        reason = "rpc_error" if isinstance(exc, grpc.RpcError) else "internal"
        self.stream_errors.labels(reason=reason).inc()

    def time_store(self, operation: str) -> _Timer:
        """`with metrics.time_store("apply_events"): await worker.call(...)`"""
        return _Timer(self.store_seconds.labels(operation=operation))

    # -- wiring ---------------------------------------------------------------------------------

    def watch_store(self, db_path: str, sessions: Mapping[str, object] | None = None,
                    clock: Callable[[], float] = time.time) -> None:
        """Add the snapshot collector reading the SQLite file at `db_path`; `sessions` is the
        agent servicer's live session map (the truth about who is connected right now)."""
        if self._snapshot is not None or db_path == ":memory:":
            return
        self._snapshot = StoreCollector(db_path, sessions if sessions is not None else {},
                                        clock)
        self.registry.register(self._snapshot)

    def interceptor(self) -> grpc.aio.ServerInterceptor:
        return _MetricsInterceptor(self)

    def serve(self, port: int, address: str = "127.0.0.1") -> MetricsServer:
        """Serve /metrics over HTTP on `address:port` (port 0 picks a free one)."""
        return serve_metrics(self.registry, port, address)

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()



class _Timer:
    def __init__(self, child) -> None:
        self._child = child
        self._start = 0.0

    def __enter__(self) -> _Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self._child.observe(time.perf_counter() - self._start)


class _MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Latency and status codes of unary and client-streaming RPCs (admin calls, health).
    Agent streams last as long as the agent is connected, so their duration says nothing;
    they are measured inside the servicer instead."""

    def __init__(self, metrics: ControllerMetrics) -> None:
        self.metrics = metrics

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:  # unknown method: no series for names a client made up
            return handler
        service, _, method = handler_call_details.method.lstrip("/").rpartition("/")
        service = service.rsplit(".", 1)[-1]
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(handler.unary_unary, service, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer)
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap(handler.stream_unary, service, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer)
        return handler

    def _wrap(self, behavior, service: str, method: str):
        metrics = self.metrics

        async def wrapped(request, context):
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                return await behavior(request, context)
            except BaseException:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            finally:
                if code == grpc.StatusCode.OK and context.code() is not None:
                    code = context.code()
                metrics.grpc_seconds.labels(service, method).observe(time.perf_counter() - start)
                metrics.grpc_handled.labels(service, method, _code_name(code)).inc()

        return wrapped


def _code_name(code) -> str:
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


# -- the store snapshot ----------------------------------------------------------------------


def _read_only_store(path: str):
    """A SqliteStore over a read-only connection, to reuse the store's query methods (and
    campaign_status) without taking its writer lock or running migrations."""
    from .store.common import PendingTotals
    from .store.sqlite import SqliteStore

    # as_uri() percent-encodes, so a path with "?" or "#" cannot turn into URI parameters.
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                           timeout=2.0)
    conn.execute("PRAGMA busy_timeout=2000")
    conn.execute("PRAGMA query_only=ON")
    store = SqliteStore.__new__(SqliteStore)
    store.path = path
    store._conn = conn
    store._lock = threading.RLock()
    store._depth = 0
    store._totals = PendingTotals()  # never written: this store only reads
    return store


class StoreCollector(Collector):
    """Reads one consistent snapshot of the store per scrape (a read transaction)."""

    def __init__(self, db_path: str, sessions: Mapping[str, object],
                 clock: Callable[[], float] = time.time) -> None:
        self.db_path = db_path
        self.sessions = sessions
        # Emitted by this collector, after the snapshot, so a failure shows in the same
        # scrape (a registered Counter would already have been collected).
        self.errors = 0
        self.clock = clock
        self._lock = threading.Lock()  # the HTTP server is threaded; one reader connection
        self._store = None

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store._conn.close()
                self._store = None

    def describe(self) -> list:
        # Families depend on the data; an empty describe keeps registration from scraping.
        return []

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            start = time.perf_counter()
            try:
                if self._store is None:
                    self._store = _read_only_store(self.db_path)
                conn = self._store._conn
                conn.execute("BEGIN")  # one snapshot: every number from the same commit
                try:
                    families = list(_snapshot(self._store, self._connected(), self.clock()))
                finally:
                    conn.execute("ROLLBACK")
            except Exception:  # a failed snapshot must not fail the scrape of live metrics
                log.warning("metrics: reading the store failed", exc_info=True)
                self.errors += 1
                self.close_unlocked()
                families = []
            duration = GaugeMetricFamily(
                "cetak_metrics_snapshot_duration_seconds",
                "Time the last scrape took to read the store.")
            duration.add_metric([], time.perf_counter() - start)
            errors = CounterMetricFamily("cetak_metrics_snapshot_errors",
                                         "Scrapes whose store snapshot failed (the live "
                                         "metrics are still served).")
            errors.add_metric([], self.errors)
        yield from families
        yield duration
        yield errors

    def close_unlocked(self) -> None:
        if self._store is not None:
            try:
                self._store._conn.close()
            except sqlite3.Error:
                pass
            self._store = None

    def _connected(self) -> set[str]:
        for _ in range(5):
            try:
                return set(self.sessions)
            except RuntimeError:  # the loop changed the map while we copied it: try again
                continue
        return set()


def _snapshot(store, connected: set[str], now_s: float) -> Iterator[Metric]:
    from .calendar import SiteCalendar
    from .status import campaign_status

    now_ms = int(now_s * 1000)
    conn = store.connection

    # Progress per campaign, site and category.
    records = GaugeMetricFamily(
        "cetak_records", "Records by campaign, site, category and state (queued is the "
        "queue depth).", labels=["campaign", "site", "category", "state"])
    combos: set[tuple[str, str, str]] = set()
    per_state: dict[tuple[str, str, str, str], int] = {}
    for campaign, site, kategori, state, n in conn.execute(
            "SELECT campaign_id, site_code, kategori, state, COUNT(*) FROM records "
            "GROUP BY campaign_id, site_code, kategori, state"):
        key = (campaign, site, category_label(kategori))
        combos.add(key)
        per_state[(*key, state)] = per_state.get((*key, state), 0) + n
    for key in sorted(combos):
        for state in _RECORD_STATES:
            records.add_metric([*key, state], per_state.get((*key, state), 0))
    yield records

    # Cards and failures, from attempts (terminal attempt states never change back).
    printed = CounterMetricFamily(
        "cetak_cards_printed", "Cards printed (printed attempts).",
        labels=["campaign", "site", "category"])
    spoiled = CounterMetricFamily(
        "cetak_cards_spoiled", "Blanks spoiled, by reason.",
        labels=["campaign", "site", "category", "reason"])
    failed = CounterMetricFamily(
        "cetak_attempts_failed_before_card", "Attempts that ended before a blank was used "
        "(printer refused, lease expired or returned), by reason.",
        labels=["campaign", "site", "reason"])
    unknown = GaugeMetricFamily(
        "cetak_attempts_unknown", "Attempts whose outcome is unknown, waiting for a "
        "resolution.", labels=["campaign", "site"])
    leases = GaugeMetricFamily(
        "cetak_leases_active", "Active leases: leased (not started) and printing.",
        labels=["campaign", "site", "state"])
    counts: dict[str, dict[tuple, int]] = {k: {} for k in
                                           ("printed", "spoiled", "failed", "unknown", "lease")}
    for campaign, site, kategori, state, reason, n in conn.execute(
            "SELECT campaign_id, site_code, kategori, state, reason, COUNT(*) FROM attempts "
            "GROUP BY campaign_id, site_code, kategori, state, reason"):
        cat = category_label(kategori)
        if state == "printed":
            key, kind = (campaign, site, cat), "printed"
        elif state == "spoiled":
            key, kind = (campaign, site, cat, reason_label(reason)), "spoiled"
        elif state == "failed_before_card":
            key, kind = (campaign, site, reason_label(reason)), "failed"
        elif state == "unknown":
            key, kind = (campaign, site), "unknown"
        else:
            key, kind = (campaign, site, state), "lease"
        counts[kind][key] = counts[kind].get(key, 0) + n
    # Every campaign/site/category with records gets a printed series from zero, so rate()
    # and increase() see the first card, and "nothing printed" is a value, not an absence.
    for key in combos:
        counts["printed"].setdefault(key, 0)
    for campaign, site in {(c, s) for c, s, _ in combos}:
        counts["unknown"].setdefault((campaign, site), 0)
        for state in ("leased", "printing"):
            counts["lease"].setdefault((campaign, site, state), 0)
    for family, kind in ((printed, "printed"), (spoiled, "spoiled"), (failed, "failed"),
                         (unknown, "unknown"), (leases, "lease")):
        for key, n in sorted(counts[kind].items()):
            family.add_metric(list(key), n)
        yield family

    # Forecast against the deadline, per campaign and site.
    deadline = GaugeMetricFamily("cetak_campaign_deadline_timestamp_seconds",
                                 "Campaign deadline (unix time; absent when none).",
                                 labels=["campaign"])
    eta = GaugeMetricFamily("cetak_campaign_eta_timestamp_seconds",
                            "Forecast completion of the campaign (unix time; absent when it "
                            "cannot be forecast).", labels=["campaign"])
    miss = GaugeMetricFamily("cetak_campaign_will_miss_deadline",
                             "1 when the forecast says the campaign misses its deadline.",
                             labels=["campaign"])
    site_eta = GaugeMetricFamily("cetak_site_eta_timestamp_seconds",
                                 "Forecast completion of a site's share of a campaign.",
                                 labels=["campaign", "site"])
    site_miss = GaugeMetricFamily("cetak_site_will_miss_deadline",
                                  "1 when the forecast says the site misses the deadline.",
                                  labels=["campaign", "site"])
    site_late = GaugeMetricFamily("cetak_site_late_seconds",
                                  "How late the site's forecast completion is.",
                                  labels=["campaign", "site"])
    waiting = GaugeMetricFamily(
        "cetak_records_not_printed", "Records not printed yet, by why (controller/blockers.py: "
        "leased, held_*, budget_spent, budget_short, no_blanks, blanks_short, printable).",
        labels=["campaign", "site", "reason"])
    site_rate: dict[str, float] = {}
    site_remaining: dict[str, int] = {}
    for campaign in store.list_campaigns():
        view = campaign_status(store, campaign.campaign_id, now_ms)
        cid = campaign.campaign_id
        if view.deadline_ms:
            deadline.add_metric([cid], view.deadline_ms / 1000)
        if view.eta_ms:
            eta.add_metric([cid], view.eta_ms / 1000)
        miss.add_metric([cid], 1.0 if view.will_miss_deadline else 0.0)
        for s in view.sites:
            if s.eta_ms:
                site_eta.add_metric([cid, s.site_code], s.eta_ms / 1000)
            site_miss.add_metric([cid, s.site_code], 1.0 if s.will_miss_deadline else 0.0)
            site_late.add_metric([cid, s.site_code], s.late_by_ms / 1000)
            site_rate[s.site_code] = max(site_rate.get(s.site_code, 0.0), s.cards_per_hour)
            # Records a budget blocks need no blanks until it is raised.
            site_remaining[s.site_code] = (site_remaining.get(s.site_code, 0)
                                           + s.queued + s.leased + s.held
                                           - s.reasons.budget_spent - s.reasons.budget_short)
            for reason, n in s.reasons.to_dict().items():
                waiting.add_metric([cid, s.site_code, reason], n)
    yield from (deadline, eta, miss, site_eta, site_miss, site_late, waiting)

    # Sites: open now (working hours, holidays), one day of blank demand, printers expected,
    # blanks, ribbons and films.
    sites = {s["site_code"]: s for s in store.list_sites()}
    open_now = GaugeMetricFamily("cetak_site_open",
                                 "1 inside the site's working hours (plus overtime cap).",
                                 labels=["site"])
    demand = GaugeMetricFamily(
        "cetak_site_daily_blank_demand",
        "Blanks the site needs for its next working day at the forecast rate, capped at the "
        "records it still has to print.", labels=["site"])
    expected = GaugeMetricFamily(
        "cetak_site_printers_expected",
        "Printers the site is to run, as registered (`cetak site add --printers`); "
        "absent when not said.", labels=["site"])
    for code in sorted(set(sites) | set(site_remaining)):
        meta = sites.get(code, {})
        calendar = SiteCalendar.of_site(meta)
        open_now.add_metric([code], 1.0 if calendar.is_open(int(now_s * 1000)) else 0.0)
        hours = calendar.hours_per_working_day()
        demand.add_metric([code], float(min(site_remaining.get(code, 0),
                                            round(site_rate.get(code, 0.0) * hours))))
        if meta.get("printers_expected"):
            expected.add_metric([code], meta["printers_expected"])
    yield open_now
    yield demand
    yield expected

    blanks = GaugeMetricFamily("cetak_blanks", "Blank cards per site by ledger state "
                               "(in_stock = received + in - out - used).",
                               labels=["site", "state"])
    for code in store.inventory_sites():
        b = store.site_blanks(code)
        values = dict(received=b.received, transferred_in=b.transferred_in,
                      transferred_out=b.transferred_out, in_stock=b.in_stock,
                      in_flight=b.in_flight, printed=b.printed, spoiled=b.spoiled,
                      unknown=b.unknown, destroyed=b.destroyed)
        for state in _BLANK_STATES:
            blanks.add_metric([code, state], values[state])
    yield blanks

    received = CounterMetricFamily("cetak_inventory_received",
                                   "Consumables received per site (blanks, ribbon rolls, "
                                   "film rolls).", labels=["site", "item"])
    totals: dict[tuple[str, str], int] = {}
    for site, item, n in conn.execute(
            "SELECT site_code, item, COALESCE(SUM(quantity), 0) FROM inventory_movements "
            "WHERE kind='receive' GROUP BY site_code, item"):
        totals[(site, item)] = n
    for key, n in sorted(totals.items()):
        received.add_metric(list(key), n)
    yield received

    # Agents: connected means a live stream now (the store's flag survives a crash stale).
    agents = store.agents()
    connected_g = GaugeMetricFamily("cetak_agent_connected",
                                    "1 while the agent has a stream open to this controller.",
                                    labels=["agent", "site"])
    seen = GaugeMetricFamily("cetak_agent_last_seen_timestamp_seconds",
                             "When the agent last connected or disconnected (now while "
                             "connected).", labels=["agent", "site"])
    per_site: dict[str, int] = {}
    for a in agents:
        up = a["agent_id"] in connected
        connected_g.add_metric([a["agent_id"], a["site_code"]], 1.0 if up else 0.0)
        seen.add_metric([a["agent_id"], a["site_code"]],
                        now_s if up else a["last_seen_ms"] / 1000)
        per_site[a["site_code"]] = per_site.get(a["site_code"], 0) + (1 if up else 0)
    agents_g = GaugeMetricFamily("cetak_agents_connected", "Agents connected, per site.",
                                 labels=["site"])
    for site, n in sorted(per_site.items()):
        agents_g.add_metric([site], n)
    yield from (connected_g, seen, agents_g)

    # Printers: last reported state and consumables.
    # A state set as a plain gauge with a `state` label: one series per state, 1 for the
    # current one (StateSetMetricFamily would name the label after the metric).
    state_set = GaugeMetricFamily("cetak_printer_state",
                                  "Printer state as last reported by its agent (1: current).",
                                  labels=["site", "agent", "printer", "state"])
    observed = GaugeMetricFamily("cetak_printer_status_timestamp_seconds",
                                 "When the printer's last status was observed.",
                                 labels=["site", "agent", "printer"])
    rated = GaugeMetricFamily("cetak_printer_rated_cards_per_second",
                              "Rated printing speed the agent announced.",
                              labels=["site", "agent", "printer"])
    consumable = {name: GaugeMetricFamily(f"cetak_printer_{name}", doc,
                                          labels=["site", "agent", "printer"])
                  for name, doc in _CONSUMABLES}
    ratios = {name: GaugeMetricFamily(f"cetak_printer_{name}_remaining_ratio",
                                      f"Share of the {name} left (0..1); absent when the "
                                      "printer has none or does not say.",
                                      labels=["site", "agent", "printer"])
              for name in ("ribbon", "film")}
    for p in store.printers():
        labels = [p["site_code"], p["agent_id"], p["printer_id"]]
        rated.add_metric(labels, p["cards_per_hour"] / 3600)
        status = common_pb2.PrinterStatus.FromString(p["status"]) if p["status"] else None
        if status is None:
            # No status yet: fall back to what Hello said about consumables.
            info = common_pb2.PrinterInfo.FromString(p["info"])
            current, c = "unknown", info.consumables if info.HasField("consumables") else None
        else:
            current = printer_state_label(status.state)
            c = status.consumables if status.HasField("consumables") else None
            if status.observed_at_ms:
                observed.add_metric(labels, status.observed_at_ms / 1000)
        for s in PRINTER_STATES:
            state_set.add_metric([*labels, s], 1.0 if s == current else 0.0)
        if c is not None:
            consumable["blanks_in_hopper"].add_metric(labels, c.blanks_in_hopper)
            consumable["ribbon_panels"].add_metric(labels, c.ribbon_panels_left)
            consumable["ribbon_panels_capacity"].add_metric(labels, c.ribbon_panels_capacity)
            consumable["film_frames"].add_metric(labels, c.film_frames_left)
            consumable["film_frames_capacity"].add_metric(labels, c.film_frames_capacity)
            if c.ribbon_panels_capacity > 0:
                ratios["ribbon"].add_metric(labels,
                                            c.ribbon_panels_left / c.ribbon_panels_capacity)
            if c.film_frames_capacity > 0:
                ratios["film"].add_metric(labels, c.film_frames_left / c.film_frames_capacity)
    yield from (state_set, observed, rated, *consumable.values(), *ratios.values())

    flagged = GaugeMetricFamily("cetak_flagged_reports",
                                "Agent reports flagged for review and not yet reviewed.",
                                labels=["reason"])
    by_reason: dict[str, int] = {}
    for f in store.flagged_events():
        label = flag_label(f["reason"])
        by_reason[label] = by_reason.get(label, 0) + 1
    for reason, n in sorted(by_reason.items()):
        flagged.add_metric([reason], n)
    yield flagged


_CONSUMABLES = (
    ("blanks_in_hopper", "Blank cards in the printer's input hopper."),
    ("ribbon_panels", "Ribbon panels left."),
    ("ribbon_panels_capacity", "Ribbon panels of a full ribbon."),
    ("film_frames", "Retransfer film frames left."),
    ("film_frames_capacity", "Retransfer film frames of a full film."),
)
