"""Suite-wide setup: a throwaway PostgreSQL server when none is named but one can be started.

The PostgreSQL tests use the server named by CETAK_TEST_PG_DSN (CI starts one in .ci/run).
Where the variable is unset but PostgreSQL's server binaries are installed, the suite starts
its own server with the same script (.ci/postgres.sh: a temporary cluster on 127.0.0.1, trust
authentication, deleted afterwards) instead of skipping every PostgreSQL test. Where it cannot,
the reason is kept in CETAK_TEST_PG_UNAVAILABLE for the skip messages.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

# The CLI speaks Bahasa Indonesia unless the locale says English. Tests read its English
# words unless they ask for Bahasa themselves (LANG/LC_ALL in the env they pass), so a
# developer's own locale does not change what the assertions see.
for _name in ("LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "en_US.UTF-8"

REPO = Path(__file__).resolve().parents[1]
PG_SCRIPT = REPO / ".ci" / "postgres.sh"
_started: dict[str, str] = {}


def _start_postgres() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        os.environ["CETAK_TEST_PG_UNAVAILABLE"] = (
            "psycopg is not installed (python -m pip install -e '.[test]')")
        return
    try:
        started = subprocess.run(["bash", str(PG_SCRIPT), "start"], capture_output=True,
                                 text=True, timeout=180, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        os.environ["CETAK_TEST_PG_UNAVAILABLE"] = f"could not start a PostgreSQL server: {exc}"
        return
    if started.returncode != 0:
        why = (started.stderr.strip().splitlines() or ["no message"])[-1]
        os.environ["CETAK_TEST_PG_UNAVAILABLE"] = (
            f"no server named by CETAK_TEST_PG_DSN and none could be started here ({why})")
        return
    for line in started.stdout.splitlines():
        # The script prints `export NAME=VALUE` lines for a shell's eval.
        name, _, value = line.removeprefix("export ").partition("=")
        if name in ("CETAK_TEST_PG_DSN", "CETAK_TEST_PG_DIR"):
            os.environ[name] = shlex.split(value)[0] if value else ""
            _started[name] = os.environ[name]


def pytest_configure(config) -> None:
    if os.environ.get("CETAK_TEST_PG_DSN") or not PG_SCRIPT.exists():
        return
    _start_postgres()


def pytest_unconfigure(config) -> None:
    folder = _started.get("CETAK_TEST_PG_DIR")
    if folder:
        subprocess.run(["bash", str(PG_SCRIPT), "stop", folder], capture_output=True,
                       timeout=120, stdin=subprocess.DEVNULL)
        _started.clear()
