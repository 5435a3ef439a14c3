"""A whole drive as an admin and two kelurahan operators run it from the guides, through the
real `cetak` command only: PKI, controller, campaign, a PRR file with bad lines and a duplicate
person, deliveries, two sites with a virtual Evolis and a virtual Magicard, a jam, the
controller killed mid-drive, an agent killed mid-card and its card taken out of the printer,
the unknown outcome resolved, stock spoiled, a destruction record, and the closing checks.

It ends the way docs/admin-guide.md's closing checks do: `campaign verify` and `audit verify`
OK, and no traceback in anything any command printed.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cetak.demo.configs import write_agent_config
from cetak.drills.operator import SiteConsole
from cetak.printers.virtual.output import read_log
from cetak.procs import ManagedProcess, cetak_argv, free_port, wait_for_file
from cetak.prr.synthetic import write_prr

SITE_A, SITE_B = "32.76.01.1006", "32.76.03.1009"  # Evolis (direct-to-card), Magicard
CAMPAIGN = "drive"


class Terminal:
    """The admin's terminal: every command's output is kept and checked for tracebacks."""

    def __init__(self, pki: Path) -> None:
        self.pki = pki
        self.address = ""
        self.seen: list[str] = []

    def run(self, *args: str, expect: int | None = 0, remote: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
        argv = list(args)
        if remote:
            argv += ["--controller", self.address, "--pki", str(self.pki)]
        done = subprocess.run(cetak_argv(*argv), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        self.seen.append(f"$ cetak {' '.join(args)}\n{done.stdout}{done.stderr}")
        assert "Traceback" not in done.stdout + done.stderr, self.seen[-1]
        if expect is not None:
            assert done.returncode == expect, self.seen[-1]
        return done

    def json(self, *args: str, **kw) -> dict:
        return json.loads(self.run(*args, "--json", **kw).stdout)


def _wait(what: str, check, timeout: float = 90.0, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def _prr_with_mistakes(folder: Path) -> tuple[Path, int]:
    """24 synthetic records over both sites, two bad lines and one possible duplicate person
    (the same name and birth date under another NIK). Returns the file and the valid count."""
    prr = write_prr(folder, 24, sites=[SITE_A, SITE_B], seed=7)
    with prr.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    bad_nik = dict(rows[0], nik="32760150050000X1")
    bad_date = dict(rows[1], nik=rows[1]["nik"][:12] + "9991", tanggal_lahir="2001-02-30")
    twin = dict(rows[2], nik=rows[2]["nik"][:12] + "9992")  # same person, other NIK
    with prr.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, bad_nik, bad_date, twin])
    return prr, 25


def _snapshot(address: str) -> dict:
    from cetak.printers.virtual.service import ServiceClient

    client = ServiceClient(address, timeout=5.0)
    try:
        return client.snapshot()
    finally:
        client.close()


def _operator_request(address: str, line: str) -> str:
    from cetak.printers.virtual.service import ServiceClient

    client = ServiceClient(address, timeout=5.0)
    try:
        return client.request(line)
    finally:
        client.close()


@pytest.mark.slow
def test_a_drive_run_by_hand_ends_with_verify_ok(tmp_path):
    pki, db = tmp_path / "pki", tmp_path / "controller.db"
    term = Terminal(pki)
    procs: list[ManagedProcess] = []
    try:
        # 1. PKI and controller (admin guide sections 2 and 3).
        term.run("pki", "init", "--dir", str(pki), remote=False)
        for code in (SITE_A, SITE_B):
            term.run("pki", "issue-agent", "--dir", str(pki), "--site", code, "--name",
                     "site-" + code.replace(".", ""), remote=False)
        term.run("pki", "issue-auditor", "--dir", str(pki), "--name", "inspektorat",
                 remote=False)
        port = free_port()
        port_file = tmp_path / "controller.port"

        def start_controller() -> ManagedProcess:
            port_file.unlink(missing_ok=True)
            proc = ManagedProcess(cetak_argv(
                "controller", "serve", "--listen", f"127.0.0.1:{port}", "--store",
                f"sqlite://{db}", "--pki", str(pki), "--port-file", str(port_file),
                "--lease-seconds", "900", "--skew-margin-seconds", "5"),
                tmp_path / "logs" / "controller.log", name="controller")
            procs.append(proc)
            wait_for_file(port_file, proc, timeout=60)
            return proc

        controller = start_controller()
        term.address = f"127.0.0.1:{port}"

        # 2. Campaign and records (section 4): the bad lines are named, the rest imported.
        deadline = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M+00:00")
        term.run("campaign", "create", CAMPAIGN, "--name", "Uji coba", "--deadline", deadline,
                 "--budget-baru", "100", "--budget-penggantian", "100")
        prr, valid = _prr_with_mistakes(tmp_path / "prr")
        checked = term.run("record", "validate", str(prr), "--json", remote=False, expect=1)
        verdict = json.loads(checked.stdout)
        assert verdict["invalid"] == 2 and verdict["valid"] == valid
        assert {e["line"] for e in verdict["errors"]} == {26, 27}
        imported = term.json("campaign", "import", CAMPAIGN, str(prr), "--skip-invalid",
                             expect=None)
        assert imported["imported"] == valid
        held = term.json("record", "held", "--campaign", CAMPAIGN)["held"]
        twins = [h for h in held if h["hold_reason"] == "possible_duplicate_person"]
        # Both records of the pair are held; the adjudicator keeps the first, rejects the twin.
        first, second = sorted(twins, key=lambda h: h["record_id"])
        term.run("record", "adjudicate", first["record_id"], "--release", "--reason",
                 "NIK terdaftar di Dukcapil")
        term.run("record", "adjudicate", second["record_id"], "--reject", "--reason",
                 "orang yang sama dengan NIK lain")
        to_print = valid - 1

        # 3. Deliveries (section 5), before any agent connects.
        for code, first in ((SITE_A, 1001), (SITE_B, 2001)):
            term.run("inventory", "receive", code, "--item", "blank", "--serials",
                     f"KTP{first:07d}-KTP{first + 19:07d}", "--reference", "SPB 1/2026")
            term.run("inventory", "receive", code, "--item", "ribbon", "--quantity", "100",
                     "--reference", "SPB 1/2026")
        term.run("inventory", "receive", SITE_B, "--item", "film", "--quantity", "100",
                 "--reference", "SPB 1/2026")

        # 4. The printers and the agents at the sites (section 6). Printer A jams on its 3rd
        # card (the operator clears it within half a minute of printer time).
        printers = {}
        for code, dialect, first, faults in ((SITE_A, "evolis", 1001, "jam_after_feed@3"),
                                             (SITE_B, "magicard", 2001, "")):
            pport = free_port(span=2)
            out = tmp_path / "printers" / code
            argv = ["printer", "emulate", "--dialect", dialect, "--listen",
                    f"tcp://127.0.0.1:{pport}", "--out", str(out), "--blanks", "20",
                    "--blank-prefix", "KTP", "--first-blank", str(first),
                    "--time-scale", "8", "--operator-delay", "30", "--seed", "3"]
            if faults:
                argv += ["--faults", faults]
            procs.append(ManagedProcess(cetak_argv(*argv), tmp_path / "logs" / f"p-{code}.log",
                                        name=f"printer {code}"))
            printers[code] = (pport, dialect, out)
        agents = {}
        # Each site's operator console, used the way the page uses it (Lanjut / Continue).
        consoles = {code: free_port() for code in (SITE_A, SITE_B)}
        operators = [SiteConsole(f"http://127.0.0.1:{p}/") for p in consoles.values()]

        def start_agent(code: str) -> ManagedProcess:
            pport, dialect, _ = printers[code]
            name = "site-" + code.replace(".", "")
            config = write_agent_config(tmp_path / "agents" / code, agent_id=name,
                                        site_code=code, controller=term.address, pki=pki,
                                        printers=[(f"{name}-p1", dialect, f"127.0.0.1:{pport}")],
                                        window_hours=4.0,
                                        console_address=f"127.0.0.1:{consoles[code]}")
            proc = ManagedProcess(cetak_argv("agent", "run", "--config", str(config)),
                                  tmp_path / "logs" / f"agent-{code}.log", name=f"agent {code}")
            procs.append(proc)
            agents[code] = proc
            return proc

        for code in (SITE_A, SITE_B):
            start_agent(code)

        def status() -> dict:
            return term.json("campaign", "status", CAMPAIGN)

        # 5. Mid-drive: the controller is killed; the sites print on from their journals.
        _wait("a first card printed", lambda: int(status()["printed"]) >= 1)
        controller.kill()
        service_a = f"127.0.0.1:{printers[SITE_A][0] + 1}"
        printed_before = _snapshot(service_a)["counters"]["printed"]
        _wait("site A prints while the centre is down",
              lambda: _snapshot(service_a)["counters"]["printed"] > printed_before, timeout=60)
        down = term.run("campaign", "status", CAMPAIGN, expect=None)
        assert down.returncode != 0 and "Traceback" not in down.stderr
        controller = start_controller()


        # 6. Site B's agent is killed with a card in the printer; the operator opens the
        # printer and takes out a card left half-way, then the agent is started again.
        service_b = f"127.0.0.1:{printers[SITE_B][0] + 1}"
        _wait("a card in printer B",
              lambda: _snapshot(service_b)["position"] in ("fed", "contactless", "printing"),
              every=0.05, timeout=120)
        agents[SITE_B].kill()
        in_printer = _snapshot(service_b)["last_blank_serial"]
        time.sleep(1.0)  # a card already printing comes out; one not yet printing stays
        if _snapshot(service_b)["position"] in ("fed", "contactless"):
            assert _operator_request(service_b, "CLEAR").startswith("OK")
        start_agent(SITE_B)

        # 7. The unknown outcome, decided from what the operator found at the printer: the
        # card in the output hopper (printed) or half-printed in the reject bin (spoiled).
        def unknown() -> list[dict]:
            for operator in operators:
                operator.tend()  # a card left in the printer: taken out, Lanjut pressed
            rows = term.json("record", "held", "--campaign", CAMPAIGN)["held"]
            return [h for h in rows if h.get("unknown_attempt_id")]

        (stuck,) = _wait("the interrupted card held as unknown", unknown, timeout=90)
        produced = [e for e in read_log(printers[SITE_B][2]) if e["blank_serial"] == in_printer]
        if produced and produced[0]["outcome"] == "printed":
            term.run("record", "resolve", stuck["unknown_attempt_id"], "--printed",
                     "--evidence", f"kartu {in_printer} ada di hopper keluaran")
        else:
            term.run("record", "resolve", stuck["unknown_attempt_id"], "--spoiled",
                     "--evidence", f"kartu {in_printer} setengah tercetak, dikeluarkan")

        def all_printed() -> bool:
            for operator in operators:
                operator.tend()
            return int(status()["printed"]) == to_print

        _wait("every record printed", all_printed, timeout=180)

        # 8. Stock spoiled in the store room, and the destruction record (section 9).
        term.run("inventory", "spoil", SITE_A, "--item", "blank", "--serials", "KTP0001020",
                 "--reason", "tertekuk di gudang")
        stock_a = term.json("inventory", "show", SITE_A)
        term.run("inventory", "destroy", SITE_A, "--quantity", "2", "--place",
                 "Kantor Disdukcapil Kota Depok", "--officer", "Drs. Ahmad Fauzi",
                 "197001011995031001", "Kepala Bidang", "--witness", "Budi Santoso, Kepala Seksi",
                 "--witness", "Sri Lestari, Staf", "--method", "dipotong lalu dibakar",
                 "--out", str(tmp_path / "berita-acara"))
        assert list((tmp_path / "berita-acara").glob("*.pdf")), stock_a

        for proc in list(agents.values()):
            proc.stop(signal.SIGTERM, timeout=30)
        controller.stop(signal.SIGTERM, timeout=30)
    finally:
        for proc in procs:
            proc.stop(signal.SIGKILL if proc.alive() else signal.SIGTERM, timeout=5)

    # 9. Closing checks (section 10), on the store.
    verified = term.run("campaign", "verify", "--store", str(db), "--json", remote=False,
                        expect=None)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    term.run("audit", "verify", "--store", str(db), remote=False)
    for log in (tmp_path / "logs").glob("*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log.name
