"""Helpers for the observability tests: promtool/prometheus lookup, scraping, metric lint.

Tests that need promtool or prometheus skip when the binaries are absent, except with
CETAK_REQUIRE_ALL=1 (CI), where a missing binary fails the test: CI must not go green by
skipping what it was meant to check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "cetak-dashboard.json"

# Every label name a cetak metric may carry; anything else is a review, not a quiet addition.
ALLOWED_LABELS = frozenset({"campaign", "site", "category", "state", "reason", "agent",
                            "printer", "status", "operation", "service", "method", "code",
                            "item", "outcome", "version", "le"})


def need(binary: str) -> str:
    """Path of `binary`; skip without it, or fail when CETAK_REQUIRE_ALL=1."""
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is not installed (apt-get install prometheus)"
        if os.environ.get("CETAK_REQUIRE_ALL") == "1":
            pytest.fail(message + "; CETAK_REQUIRE_ALL=1 requires it")
        pytest.skip(message)
    return path


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([need("promtool"), *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=PROMETHEUS_DIR)


def scrape(port: int, host: str = "127.0.0.1") -> str:
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as response:
        return response.read().decode("utf-8")


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample line of a text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable sample line: {line!r}"
        labels = dict(_LABEL.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def types(text: str) -> dict[str, str]:
    """Metric family name (as exposed) -> type, from the # TYPE lines."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            out[name] = kind
    return out


def lint(text: str) -> list[str]:
    """Naming problems of an exposition: cetak_ prefix, _total counters, bounded labels."""
    problems = []
    for name, kind in types(text).items():
        if not name.startswith("cetak_"):
            problems.append(f"{name}: does not start with cetak_")
        if kind == "counter" and not name.endswith("_total"):
            problems.append(f"{name}: counter without _total")
        if kind != "counter" and name.endswith("_total"):
            problems.append(f"{name}: _total on a {kind}")
    for name, labels, _ in samples(text):
        for label in labels:
            if label not in ALLOWED_LABELS:
                problems.append(f"{name}: label {label!r} is not in the allowed set")
    return sorted(set(problems))


def value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(v for n, ls, v in samples(text)
               if n == name and all(ls.get(k) == x for k, x in labels.items()))
