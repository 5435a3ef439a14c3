"""Fixtures for campaign-operations tests: a real SQLite store in a temporary folder."""

from __future__ import annotations

import contextlib
import csv
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cetak.controller.ledger import LeasePolicy, Ledger
from cetak.controller.model import Campaign
from cetak.controller.store import SqliteStore

SITE = "32.76.01.1006"
OTHER_SITE = "32.76.01.1007"


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "controller.db", durable=False)
    yield s
    s.close()


@pytest.fixture
def ledger(store) -> Ledger:
    led = Ledger(store, LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
    led.create_campaign(Campaign("c1", "Pemilu", created_ms=1))
    return led


def duplicate_person_file(folder: Path, n: int = 6, seed: int = 11,
                          sites: list[str] | None = None) -> tuple[Path, str, str]:
    """A valid PRR CSV whose last row repeats row 1's person under another NIK (the serial
    digits changed): (path, first NIK, second NIK)."""
    from cetak.prr.synthetic import write_prr

    path = write_prr(folder, n, seed=seed, sites=sites)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    nik = rows[0].index("nik")
    twin = list(rows[1])
    serial = int(twin[nik][12:])
    twin[nik] = twin[nik][:12] + f"{(serial % 9000) + 1000 if serial != 9999 else 1234:04d}"
    if twin[nik] == rows[1][nik]:
        twin[nik] = twin[nik][:12] + "0777"
    rows.append(twin)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path, rows[1][nik], twin[nik]


def run_cetak(*args: str) -> subprocess.CompletedProcess:
    """A real `cetak` command, its output captured."""
    from ..procs import cetak_argv

    return subprocess.run(cetak_argv(*args), capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def serving_controller(db: Path, pki: Path | None = None) -> Iterator[list[str]]:
    """`cetak controller serve` on the SQLite file `db` (loopback, port 0; plaintext, or mutual
    TLS from the PKI folder `pki`): the connection options of a `cetak` command (with `pki`,
    add --identity NAME for another identity than admin); stopped (by pid) at the end."""
    from ..procs import Proc, cetak_argv, wait_for_file

    port_file = db.with_name(db.name + ".port")
    security = ["--pki", str(pki)] if pki else ["--insecure"]
    server = Proc(cetak_argv("controller", "serve", "--listen", "127.0.0.1:0", "--store",
                             f"sqlite://{db}", *security, "--port-file", str(port_file)),
                  db.with_name(db.name + ".log"))
    try:
        yield ["--controller", f"127.0.0.1:{wait_for_file(port_file, server)}", *security]
    finally:
        assert server.stop() == 0, server.output()
