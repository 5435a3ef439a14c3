"""`cetak demo` stopped by a signal mid-campaign (as kill, systemd or timeout(1) would stop it)
leaves nothing running: its controller, virtual printers and agents are stopped by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cetak.procs import cetak_argv


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_campaign_stops_every_child(tmp_path, sig):
    demo = subprocess.Popen(
        cetak_argv("demo", "--cards", "400", "--sites", "2", "--json", "--out",
                   str(tmp_path / "demo"), "--time-scale", "4"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: everything it starts is findable
    try:
        # Mid-campaign: controller, two printers and two agents are up, cards are printing.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and demo.poll() is None:
            cards = list((tmp_path / "demo").glob("**/*.png"))
            if len(_children(demo.pid)) >= 5 and cards:
                break
            time.sleep(0.2)
        assert demo.poll() is None, demo.communicate()[1][-3000:]
        started = _children(demo.pid)
        assert len(started) >= 5, "the demo never got its fleet up"
        os.kill(demo.pid, sig)
        _, err = demo.communicate(timeout=120)
        assert demo.returncode != 0
        assert "Traceback" not in err.decode(errors="replace")
        left = _group_members(demo.pid)
        assert left == [], f"still running after the demo exited: {left}"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)
        for pid in _group_members(demo.pid):  # never leave anything behind, even on failure
            os.kill(pid, signal.SIGKILL)
