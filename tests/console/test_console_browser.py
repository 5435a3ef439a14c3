"""The operator console in a real headless browser (Debian's chromium + chromedriver, driven
by selenium) against real processes: `cetak controller serve --insecure`, `cetak printer
emulate` and `cetak agent run`. A jam injected into the virtual printer shows its instruction;
pressing Lanjut clears it and printing resumes; Jeda pauses; stopping the controller shows the
outage banner with the cards left. Screenshots go to the test's tmp folder (artefacts), to
$CETAK_ARTIFACTS_DIR if set, and to docs/img/ with CETAK_UPDATE_SCREENSHOTS=1 (the guides
use them; CI does not rewrite the repository).

Marked `browser`: skipped when chromium, chromedriver or selenium is missing, except with
CETAK_REQUIRE_ALL=1 (CI, after .ci/browser.sh), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from cetak.procs import ManagedProcess, cetak_argv, free_port, wait_for_file

from .helpers import http

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")


def _find(candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(why: str) -> None:
    if os.environ.get("CETAK_REQUIRE_ALL") == "1":
        pytest.fail(f"browser test required (CETAK_REQUIRE_ALL=1) but {why}; run .ci/browser.sh")
    pytest.skip(f"{why} (install them with .ci/browser.sh: Debian chromium and chromium-driver)")


@pytest.fixture
def browser(tmp_path: Path):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install '.[test]')")
    chromium, driver = _find(CHROMIUM), _find(CHROMEDRIVER)
    if chromium is None or driver is None:
        _unavailable("chromium or chromedriver is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    service = Service(executable_path=driver, log_output=str(tmp_path / "chromedriver.log"))
    session = webdriver.Chrome(options=options, service=service)
    try:
        yield session
    finally:
        session.quit()  # ends chromedriver and the browser it started


def _screenshot(browser, tmp_path: Path, name: str) -> None:
    targets = [tmp_path / "screenshots"]
    if os.environ.get("CETAK_ARTIFACTS_DIR"):
        targets.append(Path(os.environ["CETAK_ARTIFACTS_DIR"]))
    if os.environ.get("CETAK_UPDATE_SCREENSHOTS") == "1":
        targets.append(REPO / "docs" / "img")
    png = browser.get_screenshot_as_png()
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png)


def _ready_line(proc: ManagedProcess, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in proc.output().splitlines():
            if line.startswith("{"):
                return json.loads(line)
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} printed no ready line")


def _prepare_campaign(port: int, tmp_path: Path, site, cards: int) -> None:
    from cetak.api.v1 import admin_pb2, admin_pb2_grpc
    from cetak.client import open_channel
    from cetak.controller.campaign_cli import import_chunks
    from cetak.prr.bundle import bundle_prr
    from cetak.prr.synthetic import write_prr

    prr = write_prr(tmp_path / "prr", cards, sites=[site.code], seed=5)
    channel = open_channel(f"127.0.0.1:{port}", insecure=True)
    try:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        stub.CreateCampaign(admin_pb2.CreateCampaignRequest(campaign=admin_pb2.Campaign(
            campaign_id="latihan", name="Latihan konsol",
            deadline_ms=int((time.time() + 3600) * 1000))), timeout=30)
        stub.UpsertSite(admin_pb2.Site(site_code=site.code, name=site.name,
                                       kecamatan=site.kecamatan), timeout=30)
        stub.RecordInventory(admin_pb2.InventoryMovement(
            site_code=site.code, item="blank", kind="receive", quantity=cards + 20,
            reference="delivery for the console test"), timeout=30)
        upload = bundle_prr(prr, tmp_path / "upload.zip")
        result = stub.ImportRecords(import_chunks("latihan", upload, False), timeout=120)
        assert result.imported == cards and not result.invalid
    finally:
        channel.close()


def _write_agent_config(tmp_path: Path, site_code: str, controller_port: int,
                        printer: dict, console_port: int) -> Path:
    key = tmp_path / "agent" / "journal.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
    listen = printer["listen"].removeprefix("tcp://")
    service = printer["service"].removeprefix("tcp://")
    config = tmp_path / "agent" / "agent.toml"
    config.write_text(f"""
agent_id = "site-console"
site_code = "{site_code}"
console_address = "127.0.0.1:{console_port}"

[controller]
address = "127.0.0.1:{controller_port}"
insecure = true

[journal]
path = "journal.db"
key_file = "journal.key"

[tuning]
heartbeat_s = 1
silence_s = 5
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
printer_retry_s = 0.5

[[printers]]
id = "printer-1"
transport = "tcp"
address = "{listen}"
dialect = "evolis"
service = "{service}"
""")
    return config


def test_console_shows_a_jam_and_lanjut_resumes_printing(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from cetak.printers.virtual.service import ServiceClient
    from cetak.prr.regions import depok_kelurahan

    site = depok_kelurahan()[0]
    cards = 12
    logs = tmp_path / "logs"
    procs: list[ManagedProcess] = []
    try:
        port_file = tmp_path / "controller.port"
        controller = ManagedProcess(cetak_argv(
            "controller", "serve", "--listen", "127.0.0.1:0", "--insecure",
            "--store", f"sqlite://{tmp_path / 'controller.db'}", "--port-file", str(port_file),
            "--lease-seconds", "900", "--skew-margin-seconds", "5"), logs / "controller.log",
            name="controller")
        procs.append(controller)
        port = int(wait_for_file(port_file, controller, timeout=60).strip())
        _prepare_campaign(port, tmp_path, site, cards)

        printer_proc = ManagedProcess(cetak_argv(
            "printer", "emulate", "--dialect", "evolis", "--listen", "tcp://127.0.0.1:0",
            "--service", "tcp://127.0.0.1:0", "--out", str(tmp_path / "printer"), "--json",
            "--cards-per-hour", "200", "--time-scale", "36", "--blanks", str(cards + 20)),
            logs / "printer.log", name="printer")
        procs.append(printer_proc)
        printer = _ready_line(printer_proc)
        hands = ServiceClient(printer["service"].removeprefix("tcp://"))
        hands.inject_fault("jam_after_feed")  # the first card jams
        hands.close()

        console_port = free_port()
        config = _write_agent_config(tmp_path, site.code, port, printer, console_port)
        agent = ManagedProcess(cetak_argv("agent", "run", "--config", str(config),
                                          "--lang", "id"), logs / "agent.log", name="agent")
        procs.append(agent)
        url = f"http://127.0.0.1:{console_port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                if http(url)[0] == 200:
                    break
            except OSError:
                pass
            assert agent.alive(), agent.output()[-3000:]
            assert time.monotonic() < deadline, "console did not come up"
            time.sleep(0.1)

        from selenium.common.exceptions import StaleElementReferenceException

        # The page re-renders as the state changes: an element found a moment ago may be
        # replaced, so waits ignore stale references and elements are found again each time.
        wait = WebDriverWait(browser, 60, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,))

        def printer_card():
            return browser.find_element(By.CSS_SELECTOR, '.printer[data-printer="printer-1"]')

        def click(selector: str) -> str:
            def press(_b):
                button = printer_card().find_element(By.CSS_SELECTOR, selector)
                label = button.text
                button.click()
                return label or True
            return wait.until(press)

        browser.get(url)
        wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, '.printer[data-printer="printer-1"]')))
        assert "Konsol operator cetak" in browser.title

        # The jam appears with its instruction, in Bahasa Indonesia.
        wait.until(ec.visibility_of_element_located(
            (By.CSS_SELECTOR, '.alert.error[data-condition="card_jam"]')))
        wait.until(lambda b: b.find_element(
            By.CSS_SELECTOR, '.alert.error[data-condition="card_jam"]').text.startswith(
                "Kartu macet: buka penutup, keluarkan kartu, tekan Lanjut"))
        wait.until(lambda _b: printer_card().find_element(
            By.CSS_SELECTOR, ".state").text.startswith("Perlu tindakan"))
        _screenshot(browser, tmp_path, "console-jam.png")

        # Follow it: press Lanjut. The virtual printer's cover is "opened" through its
        # service port, the card removed; printing resumes.
        assert click('button[data-action="jam_cleared"]') == "Lanjut"
        wait.until(ec.text_to_be_present_in_element((By.ID, "message"), "Tercatat"))
        wait.until(lambda b: int(b.find_element(
            By.CSS_SELECTOR, '.printer[data-printer="printer-1"] .printed').text) >= 3)
        assert not browser.find_elements(By.CSS_SELECTOR, '.alert[data-condition="card_jam"]')
        rows = browser.find_elements(By.CSS_SELECTOR, '.printer tr[data-outcome="PRINTED"]')
        assert rows, "printed cards are listed"
        _screenshot(browser, tmp_path, "console-printing.png")

        # Jeda: the printer stops taking cards; then the central server goes away and the
        # console says so, with the cards still to print from the local queue.
        click('button[data-action="pause"]')
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR,
                                             '.printer button[data-action="resume"]'))
        controller.stop(signal.SIGTERM, timeout=30)
        banner = wait.until(ec.text_to_be_present_in_element(
            (By.ID, "banner"), "Server pusat tidak terhubung"))
        assert banner
        wait.until(lambda b: "tetap mencetak dari antrean lokal" in (
            text := b.find_element(By.ID, "banner").text) and "kartu tersisa" in text)
        _screenshot(browser, tmp_path, "console-offline.png")

        # English on request.
        wait.until(lambda b: b.find_element(By.ID, "lang-switch").click() or True)
        wait.until(ec.text_to_be_present_in_element((By.ID, "banner"),
                                                    "Central server not connected"))
        _screenshot(browser, tmp_path, "console-english.png")
    finally:
        for proc in reversed(procs):
            proc.stop(signal.SIGTERM, timeout=30)
