"""SIGTERM on a real agent process: the card in progress finishes and is reported, unstarted
leases go back to the controller, the journal is left empty, the exit code is 0."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent_fakes import FakeController, ThreadedController, make_lease, wait_until

from cetak.agent.journal import Journal
from cetak.agent.sealing import Sealer
from cetak.api.v1 import common_pb2

HERE = Path(__file__).parent

CONFIG = """
agent_id = "agent-sigterm"
site_code = "32.76.01.1001"

[controller]
address = "127.0.0.1:{port}"
insecure = true

[journal]
path = "journal.sqlite"
key_env = "CETAK_TEST_JOURNAL_KEY"

[tuning]
heartbeat_s = 0.5
reconnect_initial_s = 0.05
reconnect_max_s = 0.2

[[printers]]
id = "p1"
transport = "virtual"
"""


def test_sigterm_finishes_card_in_progress_and_exits_0(tmp_path: Path) -> None:
    key = os.urandom(32)
    expires = time.time_ns() // 1_000_000 + 600_000
    fake = FakeController([make_lease(i, expires) for i in range(3)], window=3)
    with ThreadedController(fake) as controller:
        config = tmp_path / "agent.toml"
        config.write_text(CONFIG.format(port=controller.port))
        release = tmp_path / "release"
        stderr = tmp_path / "stderr.log"
        env = dict(os.environ, CETAK_TEST_JOURNAL_KEY=base64.b64encode(key).decode())
        with stderr.open("w") as err:
            proc = subprocess.Popen([sys.executable, str(HERE / "agent_process.py"),
                                     str(config), str(release)], env=env, stderr=err,
                                    stdout=subprocess.DEVNULL)
        try:
            wait_until(lambda: common_pb2.PRINTING in controller.states("lease-0"),
                       timeout=30, what="card 0 fed")
            wait_until(lambda: len(controller.outstanding) == 3, what="window filled")
            os.kill(proc.pid, signal.SIGTERM)
            wait_until(lambda: "stopping" in stderr.read_text(), what="stop requested")
            release.touch()  # the card in progress leaves the printer after the signal
            assert proc.wait(30) == 0, stderr.read_text()
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
        assert controller.states("lease-0") == [common_pb2.PRINTING, common_pb2.PRINTED]
        assert controller.states("lease-1") == controller.states("lease-2") == []
        assert sorted(controller.returned) == ["lease-1", "lease-2"]
    journal = Journal(tmp_path / "journal.sqlite", Sealer(key))
    try:
        assert journal.counts() == {"held": 0, "started": 0, "done": 0, "returning": 0,
                                    "events": 0}
    finally:
        journal.close()
