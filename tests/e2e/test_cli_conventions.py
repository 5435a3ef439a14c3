"""The admin CLI's conventions, through real `cetak` processes (against a real controller on
loopback where one is needed): no traceback ever reaches the user, a wrong identity names the
files looked for, an unreachable controller is said so, refusals are one line."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
from pathlib import Path

import pytest

from cetak.procs import cetak_argv

from ..operations.conftest import serving_controller


def cetak(*args: str, lang: str = "en") -> subprocess.CompletedProcess:
    """`cetak ARGS` as a user runs it, in `lang` (en or id) by the locale variables."""
    env = dict(os.environ, LC_ALL={"en": "en_US.UTF-8", "id": "id_ID.UTF-8"}[lang],
               COLUMNS="80")
    return subprocess.run(cetak_argv(*args), capture_output=True, text=True, timeout=120,
                          env=env)


def one_line_refusal(r: subprocess.CompletedProcess) -> str:
    """The one line on stderr of a command that exited 2 without a traceback."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    assert cetak("pki", "init", "--dir", str(folder)).returncode == 0
    assert cetak("pki", "issue-auditor", "--dir", str(folder), "--name",
                 "inspektorat").returncode == 0
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_wrong_identity_names_the_files_it_looked_for(pki: Path) -> None:
    for lang in ("en", "id"):
        line = one_line_refusal(cetak("record", "held", "--pki", str(pki), "--identity",
                                      "inspektorat", lang=lang))
        assert line.startswith("cetak record held: ")
        assert str(pki / "inspektorat.pem") in line and str(pki / "inspektorat.key") in line
        assert "auditor-inspektorat" in line  # what is there instead
        assert ("looked for" if lang == "en" else "sudah dicari") in line
    line = one_line_refusal(cetak("campaign", "status", "c1", "--pki", str(pki / "nope")))
    assert "no such folder" in line
    damaged = pki.parent / "damaged-pki"
    damaged.mkdir()
    for name in ("ca.pem", "admin.pem"):
        (damaged / name).write_bytes((pki / name).read_bytes())
    (damaged / "admin.key").write_text("not a key\n")
    line = one_line_refusal(cetak("campaign", "status", "c1", "--pki", str(damaged)))
    assert "admin.key" in line and "private key" in line


def test_an_unreachable_controller_is_said_so_by_every_admin_command(tmp_path) -> None:
    address = f"127.0.0.1:{_free_port()}"
    conn = ["--controller", address, "--insecure"]
    prr = tmp_path / "prr.csv"
    prr.write_text("nik\n")
    for command in (["campaign", "status", "c1"], ["campaign", "create", "c1"],
                    ["campaign", "import", "c1", str(prr)],
                    ["campaign", "report", "c1", "--out", str(tmp_path / "out")],
                    ["record", "held"], ["record", "status", "3276010101990001"],
                    ["inventory", "show"], ["plan", "c1"], ["agent", "release", "--agent", "a1"]):
        line = one_line_refusal(cetak(*command, *conn))
        assert line.endswith(f"cannot reach the controller at {address} — is it running? "
                             "(cetak controller serve)"), line
    line = one_line_refusal(cetak("record", "held", *conn, lang="id"))
    assert line == (f"cetak record held: tidak dapat menghubungi controller di {address} — "
                    "apakah sedang berjalan? (cetak controller serve)")


def test_refusals_by_the_controller_are_one_line(tmp_path, pki: Path) -> None:
    with serving_controller(tmp_path / "c.db", pki) as conn:
        # The auditor's right identity works; what it may not do is refused in one line.
        r = cetak("record", "held", *conn, "--identity", "auditor-inspektorat")
        assert r.returncode == 0, r.stderr
        line = one_line_refusal(cetak("campaign", "create", "c1", *conn, "--identity",
                                      "auditor-inspektorat"))
        assert line.startswith("cetak campaign create: refused by the controller: ")
        assert "auditor" in line and "campaign.create" in line
        assert cetak("campaign", "create", "c1", *conn).returncode == 0
        line = one_line_refusal(cetak("campaign", "create", "c1", *conn))
        assert "already exists" in line and "FAILED_PRECONDITION" not in line


def _raising(args: argparse.Namespace) -> int:
    raise RuntimeError("disk\non fire")


def test_an_unexpected_error_is_one_line_and_the_traceback_only_with_v(capsys) -> None:
    from cetak.cli import run_handler

    args = argparse.Namespace(group="campaign", command="status", verbose=0)
    assert run_handler(_raising, args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and "RuntimeError: disk on fire" in err and "-v" in err
    args.verbose = 1
    assert run_handler(_raising, args) == 2
    assert "Traceback" in capsys.readouterr().err
