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
        assert r.returncode == 1 and "already exists" in r.stderr
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
