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

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from cetak.procs import ManagedProcess, cetak_argv, free_port, wait_for_file

from .helpers import http, prepare_campaign, ready_line, write_agent_config

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
        prepare_campaign(port, tmp_path, site, cards)

        printer_proc = ManagedProcess(cetak_argv(
            "printer", "emulate", "--dialect", "evolis", "--listen", "tcp://127.0.0.1:0",
            "--service", "tcp://127.0.0.1:0", "--out", str(tmp_path / "printer"), "--json",
            "--cards-per-hour", "200", "--time-scale", "36", "--blanks", str(cards + 20)),
            logs / "printer.log", name="printer")
        procs.append(printer_proc)
        printer = ready_line(printer_proc)
        hands = ServiceClient(printer["service"].removeprefix("tcp://"))
        hands.inject_fault("jam_after_feed")  # the first card jams
        hands.close()

        console_port = free_port()
        config = write_agent_config(tmp_path, site.code, port, printer, console_port)
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
