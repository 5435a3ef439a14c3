"""A PKI made once per test session (key generation is cheap, but files are shared)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cetak.security import pki

SITE = "32.76.01.1006"
OTHER_SITE = "32.76.02.2001"


@dataclass(frozen=True)
class Pkis:
    main: Path
    foreign: Path  # another CA with the same file names: must be refused everywhere


@pytest.fixture(scope="session")
def pkis(tmp_path_factory: pytest.TempPathFactory) -> Pkis:
    main = tmp_path_factory.mktemp("pki") / "main"
    pki.init_pki(main)
    pki.issue_agent(main, SITE, "lab-1")
    pki.issue_operator(main, SITE, "siti")
    pki.issue_auditor(main, "bpk")
    foreign = tmp_path_factory.mktemp("pki") / "foreign"
    pki.init_pki(foreign)
    pki.issue_agent(foreign, SITE, "lab-1")
    return Pkis(main, foreign)


def cetak_cli(group: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `cetak GROUP ...` as a real subprocess."""
    return subprocess.run([sys.executable, "-m", "cetak.cli", group, *args],
                          capture_output=True, text=True, timeout=60, check=False)
