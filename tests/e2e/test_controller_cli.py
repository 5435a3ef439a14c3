"""The controller and campaign commands as an admin runs them: real processes, loopback."""

from __future__ import annotations

import json
import subprocess

from cetak.prr.synthetic import write_prr

from ..procs import Proc, cetak_argv, wait_for_file


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(cetak_argv(*args), capture_output=True, text=True, timeout=120)


def test_serve_create_import_status_verify(tmp_path):
    db = tmp_path / "controller.db"
    port_file = tmp_path / "port"
    server = Proc(cetak_argv("controller", "serve", "--listen", "127.0.0.1:0", "--store",
                             f"sqlite://{db}", "--insecure", "--port-file", str(port_file)),
                  tmp_path / "controller.log")
    try:
        address = f"127.0.0.1:{wait_for_file(port_file, server)}"
        conn = ["--controller", address, "--insecure"]
        r = run("campaign", "create", "pemilu", "--deadline", "2030-01-01T17:00+07:00", *conn)
        assert r.returncode == 0, r.stderr
        r = run("campaign", "create", "pemilu", *conn)
        assert r.returncode == 2 and "already exists" in r.stderr
        prr = write_prr(tmp_path / "prr", 12, seed=5)
        r = run("campaign", "import", "pemilu", str(prr), "--json", *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["imported"] == 12
        r = run("campaign", "status", "pemilu", "--json", *conn)
        assert r.returncode == 0, r.stderr
        status = json.loads(r.stdout)
        assert int(status["queued"]) + int(status["held"]) == 12
    finally:
        assert server.stop() == 0, server.output()
    assert "PLAINTEXT" in server.output()
    r = run("campaign", "verify", "--store", str(db), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ok"] is True
    # Every admin call and state change went to the hash-chained audit log, which verifies.
    r = run("audit", "verify", "--store", str(db), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    import sqlite3

    actions = [a for (a,) in sqlite3.connect(db).execute("SELECT action FROM audit_log")]
    assert actions[0] == "controller.start" and actions[-1] == "controller.stop"
    assert {"campaign.create", "records.import", "rpc.ImportRecords"} <= set(actions)


def test_serve_refuses_without_tls_choice(tmp_path):
    r = run("controller", "serve", "--listen", "127.0.0.1:0", "--store", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "--insecure" in r.stderr


def test_agent_release_requeues_a_dead_agents_leases(tmp_path):
    import asyncio

    from cetak.api.v1 import agent_pb2
    from cetak.controller.ledger import LeasePolicy
    from cetak.controller.model import Campaign
    from cetak.controller.server import create_server

    from ..controller.conftest import SITE, make_records, receive_blanks
    from ..controller.test_agent_stream import FakeAgent

    async def scenario():
        controller = create_server("127.0.0.1:0", str(tmp_path / "c.db"),
                                   policy=LeasePolicy(lease_ms=3_600_000))
        controller.ledger.create_campaign(Campaign("c1", "x", created_ms=1))
        controller.ledger.add_records(make_records("c1", 3), 1)
        receive_blanks(controller.ledger, SITE, 3)
        await controller.start()
        conn = ["--controller", f"127.0.0.1:{controller.port}", "--insecure"]
        try:
            agent = FakeAgent(controller.port, agent_id="dead-1")
            await agent.expect("welcome")
            agent.send(credit=agent_pb2.Credit(slots=3))
            await agent.expect("lease", 3)
            r = await asyncio.to_thread(run, "agent", "release", "--agent", "dead-1", *conn)
            assert r.returncode == 2 and "connected" in r.stderr
            await agent.close()
            for _ in range(100):  # the controller notices the stream ended
                if "dead-1" not in controller.agents.sessions:
                    break
                await asyncio.sleep(0.05)
            r = await asyncio.to_thread(run, "agent", "release", "--agent", "dead-1", *conn)
            assert r.returncode == 0 and "released 3" in r.stdout
            assert controller.ledger.store.count_queued(SITE) == 3
        finally:
            await controller.stop()

    asyncio.run(scenario())
