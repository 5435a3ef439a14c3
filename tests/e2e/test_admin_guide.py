"""docs/admin-guide.md, run as written: its PKI commands in an empty folder, a real controller
serving with that PKI over mutual TLS on loopback, then every command of the guide that talks
to a controller, in the guide's order, and the closing checks on the store it wrote.

Only the address changes (`controller.depok.example:7443` -> the controller's loopback port)
and `prr-depok.zip` is docs/examples/prr-example.csv with its images. What a drive would have
done between the commands and this test cannot (cards spoiled while printing) is one named
setup step; a command that needs something only printing makes (an attempt to resolve) must
reach the controller and be refused for that reason alone."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from cetak.prr.bundle import bundle_prr
from tests.docs_commands import argv_of, commands_in, mentions_in

from ..procs import Proc, cetak_argv, wait_for_file

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "admin-guide.md"
ADDRESS = "controller.depok.example:7443"
# Refusals expected because this drive printed nothing: command prefix -> the controller's words.
NEEDS_PRINTING = {"cetak record resolve ATTEMPT_ID": "no such attempt"}


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cetak_argv(*argv), cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _guide_commands() -> list[str]:
    text = GUIDE.read_text("utf-8")
    blocks = commands_in(text)
    # prose commands that are whole (the dead-PC release), after the blocks' own
    prose = [m for m in mentions_in(text) if f"--controller {ADDRESS}" in m]
    return blocks + prose


def test_admin_guide_runs_against_a_real_controller(tmp_path: Path) -> None:
    commands = _guide_commands()
    for command in [c for c in commands if c.startswith("cetak pki ")]:
        proc = _run(argv_of(command), tmp_path)
        assert proc.returncode == 0, f"`{command}`: {proc.stderr.strip()}"
    bundle_prr(REPO / "docs" / "examples" / "prr-example.csv", tmp_path / "prr-depok.zip")

    db = tmp_path / "controller.db"
    port_file = tmp_path / "port"
    server = Proc(cetak_argv("controller", "serve", "--listen", "127.0.0.1:0", "--store",
                             f"sqlite://{db}", "--pki", str(tmp_path / "pki"),
                             "--port-file", str(port_file)),
                  tmp_path / "controller.log")
    ran = []
    try:
        address = f"127.0.0.1:{wait_for_file(port_file, server)}"
        for command in [c for c in commands if f"--controller {ADDRESS}" in c]:
            if command.startswith("cetak inventory destroy "):
                # setup: the serials the guide destroys besides its own spoil were spoiled
                # while printing in the guide's drive; here they are spoiled by hand
                serials = re.findall(r"KTP\d+-KTP\d+", command)
                setup = _run(["inventory", "spoil", "32.76.01.1006", "--serials", *serials,
                              "--reason", "rusak saat dicetak", "--controller", address,
                              "--pki", "pki"], tmp_path)
                assert setup.returncode == 0, setup.stderr
            argv = [address if a == ADDRESS else a for a in argv_of(command)]
            proc = _run(argv, tmp_path)
            ran.append(command)
            assert "Traceback" not in proc.stderr, proc.stderr
            expected = next((why for prefix, why in NEEDS_PRINTING.items()
                             if command.startswith(prefix)), None)
            if expected:
                assert proc.returncode == 2 and expected in proc.stderr, (
                    f"`{command}`: {proc.stderr.strip()}")
            else:
                assert proc.returncode == 0, f"`{command}`: {proc.stderr.strip()}"
    finally:
        assert server.stop() == 0, server.output()[-3000:]

    groups = {" ".join(shlex.split(c)[1:3]) for c in ran}
    assert {"campaign create", "campaign import", "plan depok-2026", "inventory receive",
            "inventory transfer", "inventory destroy", "record status", "record held",
            "agent release"} <= groups
    written = sorted(p.suffix for p in (tmp_path / "berita-acara").iterdir())
    assert written == [".csv", ".pdf"]  # one destruction record, as PDF and CSV
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "progress.csv", "progress.png"]

    # Section 10, on the store this drive wrote.
    closing = [c for c in commands if c.startswith(("cetak campaign verify --store",
                                                    "cetak audit verify --store"))
               and "..." not in c]
    assert len(closing) == 2
    for command in closing:
        argv = [str(db) if a.endswith("controller.db") else a for a in argv_of(command)]
        proc = _run(argv, tmp_path)
        assert proc.returncode == 0, f"`{command}`: {proc.stdout} {proc.stderr.strip()}"
