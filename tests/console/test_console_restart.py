"""An agent SIGKILLed mid-card, then started again, against real processes: `cetak controller
serve --insecure`, `cetak printer emulate` (Evolis with its contactless station) and `cetak
agent run` with its console, whose JSON API the test reads as the page does.

The kill is placed deterministically: the agent's chip writes go through a relay that holds
the first one, so the agent is killed while the blank it fed waits at the contactless station.
The restarted agent must then (1) ask the operator what became of that card (Tercetak / Tidak
tercetak), (2) see the card still in the printer, say what to do and feed nothing, and (3) print
again once the operator pressed Lanjut and the printer is empty.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from pathlib import Path

from cetak.procs import ManagedProcess, cetak_argv, free_port, wait_for_file

from .helpers import (
    audit_actions,
    http,
    page_token,
    prepare_campaign,
    ready_line,
    write_agent_config,
)


class ChipRelay:
    """Between the agent and the virtual printer's service port, line by line; while `hold`
    is set, a chip write is kept (never forwarded, never answered) and `held` is set."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.hold = threading.Event()
        self.held = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.address = f"127.0.0.1:{self._server.getsockname()[1]}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        host, port = self.target.rsplit(":", 1)
        try:
            with conn, socket.create_connection((host, int(port)), timeout=10) as up:
                down, upstream = conn.makefile("rb"), up.makefile("rb")
                for line in down:
                    if line.startswith(b"CHIP") and self.hold.is_set():
                        self.held.set()
                        continue  # the agent waits for an answer that never comes
                    up.sendall(line)
                    conn.sendall(upstream.readline())
        except OSError:
            return  # the agent went away (killed): so does its relay

    def close(self) -> None:
        self._stopping.set()
        self._server.close()
        self._thread.join(timeout=5)


def _service(address: str) -> dict:
    from cetak.printers.virtual.service import ServiceClient

    client = ServiceClient(address)
    try:
        return client.snapshot()
    finally:
        client.close()


def _wait(what: str, check, timeout: float = 60.0, procs: tuple = ()):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        for proc in procs:
            assert proc.alive(), f"{proc.name} exited:\n{proc.output()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _state(url: str) -> dict | None:
    try:
        status, body = http(url + "api/state")
    except OSError:
        return None
    return body if status == 200 else None


def test_agent_killed_mid_card_then_restarted(tmp_path: Path) -> None:
    from cetak.card.chip import generate_signer
    from cetak.prr.regions import depok_kelurahan

    site = depok_kelurahan()[0]
    cards = 4
    logs = tmp_path / "logs"
    procs: list[ManagedProcess] = []
    relay = None
    try:
        port_file = tmp_path / "controller.port"
        db = tmp_path / "controller.db"
        controller = ManagedProcess(cetak_argv(
            "controller", "serve", "--listen", "127.0.0.1:0", "--insecure",
            "--store", f"sqlite://{db}", "--port-file", str(port_file),
            "--lease-seconds", "900", "--skew-margin-seconds", "5"), logs / "controller.log",
            name="controller")
        procs.append(controller)
        port = int(wait_for_file(port_file, controller, timeout=60).strip())
        prepare_campaign(port, tmp_path, site, cards)

        printer_proc = ManagedProcess(cetak_argv(
            "printer", "emulate", "--dialect", "evolis", "--listen", "tcp://127.0.0.1:0",
            "--service", "tcp://127.0.0.1:0", "--out", str(tmp_path / "printer"), "--json",
            "--cards-per-hour", "200", "--time-scale", "36", "--blanks", str(cards + 20)),
            logs / "printer.log", name="printer")
        procs.append(printer_proc)
        printer = ready_line(printer_proc)
        service = printer["service"].removeprefix("tcp://")
        relay = ChipRelay(service)
        relay.hold.set()

        key, cert = generate_signer(tmp_path / "signer", "test document signer")
        console_port = free_port()
        config = write_agent_config(
            tmp_path, site.code, port, printer, console_port,
            printer_lines=f'contactless = "{relay.address}"',
            sections=f'[signer]\nkey = "{key}"\ncert = "{cert}"\n')
        argv = cetak_argv("agent", "run", "--config", str(config), "--lang", "id")
        first = ManagedProcess(argv, logs / "agent-1.log", name="agent")
        procs.append(first)

        # The first blank is fed and waits at the contactless station: kill the agent there.
        _wait("the first chip write", lambda: relay.held.is_set(), procs=(first,))
        first.kill()
        before = _service(service)
        assert before["position"] == "contactless" and before["counters"]["fed"] == 1
        fed_serial = before["last_blank_serial"]
        relay.hold.clear()

        second = ManagedProcess(argv, logs / "agent-2.log", name="agent")
        procs.append(second)
        url = f"http://127.0.0.1:{console_port}/"

        def both_alerts():
            state = _state(url)
            if not state:
                return None
            alerts = state["printers"][0]["alerts"]
            kinds = {a.get("kind") or a.get("condition") for a in alerts}
            return state if {"unknown", "card_left"} <= kinds else None

        state = _wait("the restart's alerts", both_alerts, procs=(second,))
        p = state["printers"][0]
        unknown = next(a for a in p["alerts"] if a.get("kind") == "unknown")
        assert unknown["text"].startswith("Agen berhenti saat kartu ")
        assert unknown["blank_serial"] == fed_serial and fed_serial in unknown["text"]
        assert [c["result"] for c in unknown["choices"]] == ["printed", "not_printed"]
        assert [c["label"] for c in unknown["choices"]] == ["Tercetak", "Tidak tercetak"]
        left = next(a for a in p["alerts"] if a.get("condition") == "card_left")
        assert left["text"] == ("Kartu tertinggal di printer: buka penutup, keluarkan kartu, "
                                "tekan Lanjut")
        assert p["state"] == "error" and p["state_text"] == "Perlu tindakan"
        # The card is listed with the latest cards too, unknown, with its blank.
        (row,) = [r for r in p["recent"] if r["attempt_id"] == unknown["attempt_id"]]
        assert row["outcome"] == "UNKNOWN" and row["blank_serial"] == fed_serial
        assert row["reported"] is False
        assert "interrupted by a restart: reporting UNKNOWN" in second.output()

        # Nothing is fed while the card is inside: several of the agent's re-checks later
        # (printer_retry_s = 0.5), the printer has still fed one blank, and no card was
        # refused as "printer busy".
        for _ in range(8):
            time.sleep(0.5)
            assert _service(service)["counters"]["fed"] == 1
        assert "printer busy" not in second.output()
        assert _state(url)["printers"][0]["printed"] == 0

        # Lanjut, pressed as the drills' site operator presses it (the page's token, POST
        # /api/action): the virtual printer's cover is opened through its service port, the
        # card taken out; the printer is empty, so printing resumes.
        from cetak.drills.operator import SiteConsole

        operator = SiteConsole(url)
        operator.tend()
        assert operator.continues == 1
        status, page = http(url)
        token = page_token(page)
        _wait("printing to resume", lambda: (s := _state(url)) and s["printers"][0]["printed"]
              >= 1 and not any(a.get("condition") == "card_left"
                               for a in s["printers"][0]["alerts"]), procs=(second,))
        after = _service(service)["counters"]
        assert after["rejected"] >= 1  # the card the operator took out

        # The operator answers: the card was not printed. The question goes; the controller
        # audits the answer.
        status, answer = http(url + "api/action", {
            "action": "unknown_resolved", "printer_id": "printer-1",
            "attempt_id": unknown["attempt_id"], "result": "not_printed"}, token=token)
        assert status == 200, answer
        p = _state(url)["printers"][0]
        assert not any(a.get("kind") == "unknown" for a in p["alerts"])
        assert [r["reported"] for r in p["recent"] if r["attempt_id"] == unknown["attempt_id"]
                ] == [True]

        def audited():
            return [d for action, d in audit_actions(db)
                    if action == "operator.unknown_resolved"]
        entry = _wait("the answer in the audit log", audited, procs=(second, controller))[0]
        detail = json.loads(entry["detail"])
        assert detail["attempt_id"] == unknown["attempt_id"]
        assert detail["result"] == "not_printed" and detail["blank_serial"] == fed_serial
    finally:
        for proc in reversed(procs):
            proc.stop(signal.SIGTERM, timeout=30)
        if relay is not None:
            relay.close()
