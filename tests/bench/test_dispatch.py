"""bench/dispatch.py reduced (--quick): every record printed exactly once, over real gRPC and
real processes. No timing assertions: the numbers are for the benchmark's own runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.conftest import PgSchemas, require_postgres

BENCH = Path(__file__).resolve().parents[2] / "bench" / "dispatch.py"


def _run(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", *args],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)  # stdout is exactly one JSON object
    for key in ("printers", "jobs", "jobs_per_s", "grpc_baseline_per_s", "ratio",
                "duplicates", "lost", "store"):
        assert key in result
    return result


def test_quick_sqlite():
    result = _run()
    assert result["store"] == "sqlite" and result["jobs"] > 0
    assert result["duplicates"] == 0 and result["lost"] == 0


@pytest.mark.postgres
def test_quick_postgres_two_replicas():
    dsn = require_postgres()
    schemas = PgSchemas(dsn)
    try:
        before = set(schemas.admin.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cetak_bench_%'").fetchall())
        result = _run("--store", dsn, "--replicas", "2")
        after = set(schemas.admin.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cetak_bench_%'").fetchall())
    finally:
        schemas.close()
    assert result["store"] == "postgresql" and result["replicas"] == 2
    assert result["duplicates"] == 0 and result["lost"] == 0
    assert after == before  # the bench dropped its schema
