"""A real Prometheus server (Debian's package) scrapes cetak and answers queries.

Prometheus runs with its own configuration, storage and port in a temporary folder, scrapes
every second and loads the shipped alert rules. The first test scrapes a live controller with
activity; the second runs the whole demo (`cetak demo --metrics-port P --linger S`).
Every process started here is stopped here by pid.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from cetak.procs import free_port

from ..procs import Proc, cetak_argv, wait_for_file
from .conftest import PROMETHEUS_DIR, need, promtool, samples, scrape, value
from .drive import drive_agent, prepare

PRINTED = "sum(cetak_cards_printed_total)"


def _start_prometheus(tmp: Path, metrics_port: int) -> tuple[Proc, int]:
    binary = need("prometheus")
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "alerts.yml").write_text((PROMETHEUS_DIR / "alerts.yml").read_text())
    (tmp / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "rule_files:\n  - alerts.yml\n"
        "scrape_configs:\n  - job_name: cetak-controller\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{metrics_port}']\n")
    proc = Proc([binary, f"--config.file={tmp / 'prometheus.yml'}",
                 f"--storage.tsdb.path={tmp / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}"], tmp / "prometheus.log",
                name="prometheus")
    return proc, port


def _api(port: int, path: str, **params: str) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def _query(port: int, expr: str) -> float | None:
    """The value of a scalar-like query, or None while Prometheus has no answer."""
    try:
        result = _api(port, "query", query=expr)["result"]
    except OSError:  # not listening yet
        return None
    return float(result[0]["value"][1]) if result else None


def _wait_for(port: int, expr: str, accept, proc: Proc, others: list[Proc],
              timeout: float) -> float:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for p in (proc, *others):
            assert p.alive(), f"{p.name} exited:\n{p.output()[-3000:]}"
        last = _query(port, expr)
        if last is not None and accept(last):
            return last
        time.sleep(0.5)
    raise AssertionError(f"{expr} was {last} after {timeout:.0f} s\n"
                         f"{proc.output()[-2000:]}\n"
                         + "\n".join(o.output()[-2000:] for o in others))


def test_prometheus_scrapes_a_live_controller(tmp_path):
    need("prometheus")
    port_file = tmp_path / "port"
    metrics_port = free_port()
    controller = Proc(cetak_argv("controller", "serve", "--insecure", "--listen",
                                 "127.0.0.1:0", "--store", f"sqlite://{tmp_path / 'c.db'}",
                                 "--port-file", str(port_file), "--metrics-port",
                                 str(metrics_port)), tmp_path / "controller.log",
                      name="controller")
    prometheus = None
    try:
        port = int(wait_for_file(port_file, controller))
        rows = prepare(tmp_path, port)
        asyncio.run(drive_agent(port, rows, metrics_port))
        prometheus, prom_port = _start_prometheus(tmp_path / "prom", metrics_port)
        printed = _wait_for(prom_port, PRINTED, lambda v: v > 0, prometheus, [controller],
                            timeout=120)
        assert printed == 1
        assert _query(prom_port, 'up{job="cetak-controller"}') == 1
        assert _query(prom_port, "count(count by (__name__) ({__name__=~\"cetak_.+\"}))") >= 20
        groups = {g["name"] for g in _api(prom_port, "rules")["groups"]}
        assert {"cetak-campaign", "cetak-consumables", "cetak-fleet"} <= groups
    finally:
        if prometheus is not None:
            prometheus.stop()
        controller.stop()


@pytest.mark.slow
def test_demo_scraped_by_prometheus(tmp_path):
    """`cetak demo --metrics-port P --linger S`: Prometheus sees the cards printed, and the
    controller's /metrics is still up after the campaign ended."""
    need("prometheus")
    cards, linger = 40, 45
    metrics_port = free_port()
    demo = Proc(cetak_argv("demo", "--cards", str(cards), "--sites", "2", "--metrics-port",
                           str(metrics_port), "--linger", str(linger), "--json",
                           "--out", str(tmp_path / "demo"), "--timeout", "300"),
                tmp_path / "demo.log", name="demo")
    prometheus = None
    try:
        prometheus, prom_port = _start_prometheus(tmp_path / "prom", metrics_port)
        assert _wait_for(prom_port, PRINTED, lambda v: v > 0, prometheus, [demo],
                         timeout=300) > 0
        # The campaign ends; the demo lingers with the controller (and /metrics) up.
        _wait_for(prom_port, PRINTED, lambda v: v >= cards, prometheus, [demo], timeout=300)
        if demo.alive():
            text = scrape(metrics_port)
            assert value(text, "cetak_cards_printed_total") == cards
            assert sum(1 for n, _, _ in samples(text) if n.startswith("cetak_")) >= 20
            check = promtool("check", "metrics", stdin=text)
            assert check.returncode == 0, check.stdout + check.stderr
        demo.popen.wait(timeout=linger + 120)
        assert demo.popen.returncode == 0, demo.output()[-3000:]
        summary = json.loads([line for line in demo.output().splitlines()
                              if line.startswith("{")][-1])
        assert summary["printed"] == cards
    finally:
        if prometheus is not None:
            prometheus.stop()
        # SIGINT lets the demo stop its own controller, printers and agents (its finally).
        demo.stop(signal.SIGINT, timeout=60)
