"""Alert rules, their promtool unit tests, the scrape example and the Grafana dashboard.

Beyond promtool's own checks: every alert has a test where it fires and one where it must not,
and every metric the rules and the dashboard query is one the controller or an agent exports
(a renamed metric would otherwise leave a silent alert and an empty panel).
"""

from __future__ import annotations

import json
import re

from cetak.agent.metrics import AgentMetrics
from cetak.controller.metrics import ControllerMetrics

from .conftest import DASHBOARD, PROMETHEUS_DIR, promtool, types

_METRIC = re.compile(r"\b(cetak_[a-z0-9_]+)")


def test_promtool_check_rules():
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules():
    tests = sorted(p.name for p in PROMETHEUS_DIR.glob("*test*.yml"))
    assert tests, "no promtool unit tests"
    result = promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_config():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def _alerts() -> list[str]:
    text = (PROMETHEUS_DIR / "alerts.yml").read_text()
    return re.findall(r"^\s*- alert:\s*(\S+)", text, re.M)


def test_every_alert_is_tested_firing_and_not_firing():
    text = "\n".join(p.read_text() for p in PROMETHEUS_DIR.glob("*test*.yml"))
    fires: set[str] = set()
    silent: set[str] = set()
    for case in re.split(r"\n\s*- eval_time:", text)[1:]:
        name = re.search(r"alertname:\s*(\S+)", case).group(1)
        if re.search(r"exp_alerts:\s*\[\]", case):
            silent.add(name)
        elif "exp_labels" in case:
            fires.add(name)
    alerts = set(_alerts())
    assert {"CetakSiteStalled", "CetakPrinterError", "CetakRibbonLow", "CetakFilmLow",
            "CetakBlanksBelowOneDay", "CetakCampaignBehindDeadline", "CetakAgentDisconnected",
            "CetakUnknownOutcomesWaiting"} <= alerts
    assert alerts - fires == set(), "alerts never tested firing"
    assert alerts - silent == set(), "alerts never tested silent"


def _exported() -> set[str]:
    """Every series name the controller and the agent can expose (families are declared even
    without samples, so an empty store still lists them)."""
    import tempfile
    from pathlib import Path

    from prometheus_client import generate_latest

    from cetak.controller.store import SqliteStore

    names: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.db"
        SqliteStore(db).close()
        controller = ControllerMetrics()
        controller.watch_store(str(db), {})
        agent = AgentMetrics("a1", "s1", "0")
        agent.printer_state("p1", 1)
        for registry in (controller.registry, agent.registry):
            for name, kind in types(generate_latest(registry).decode()).items():
                names.add(name)
                if kind == "histogram":
                    names.update(f"{name}_{s}" for s in ("bucket", "sum", "count"))
        controller.close()
    return names


def _referenced(text: str) -> set[str]:
    return set(_METRIC.findall(text))


def test_rules_only_use_exported_metrics():
    exported = _exported()
    used = _referenced((PROMETHEUS_DIR / "alerts.yml").read_text())
    assert used and used <= exported, sorted(used - exported)


def test_dashboard_only_uses_exported_metrics():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = []
    for panel in dashboard["panels"]:
        exprs += [t["expr"] for t in panel.get("targets", [])]
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            exprs.append(var["definition"])
    used = _referenced("\n".join(exprs))
    exported = _exported()
    assert used and used <= exported, sorted(used - exported)


def test_dashboard_shape():
    dashboard = json.loads(DASHBOARD.read_text())
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for topic in ("deadline", "per site", "printer", "ribbon", "film", "blanks", "spoiled"):
        assert topic in titles, topic
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["uid"] == "cetak-campaign"
    # Every query goes to the dashboard's datasource variable, never a hard-coded one.
    for panel in dashboard["panels"]:
        for t in panel.get("targets", []):
            assert t["datasource"]["uid"] == "${datasource}"
