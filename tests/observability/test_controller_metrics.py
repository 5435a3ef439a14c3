"""The controller's /metrics, scraped live from `cetak controller serve --metrics-port`.

One controller process (module scope) is driven through the admin API and a hand-made agent
stream: records imported from synthetic PRR data, leases, every kind of outcome, a flagged
report, a malformed event, a printer in error with a worn ribbon. Then the scrape must pass
`promtool check metrics`, follow the naming rules, and carry no NIK or name anywhere.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from cetak.procs import free_port

from ..procs import Proc, cetak_argv, wait_for_file
from .conftest import lint, promtool, samples, scrape, types, value
from .drive import CAMPAIGN, SITE, drive_agent, prepare


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A running controller with activity: (metrics text, PRR rows, metrics port)."""
    tmp = tmp_path_factory.mktemp("controller")
    port_file = tmp / "port"
    metrics_port = free_port()
    server = Proc(cetak_argv("controller", "serve", "--insecure", "--listen", "127.0.0.1:0",
                             "--store", f"sqlite://{tmp / 'c.db'}", "--port-file",
                             str(port_file), "--metrics-port", str(metrics_port)),
                  tmp / "controller.log")
    try:
        port = int(wait_for_file(port_file, server))
        rows = prepare(tmp, port)
        text = asyncio.run(drive_agent(port, rows, metrics_port))
        yield text, rows, metrics_port
    finally:
        server.stop()


def test_live_scrape_passes_promtool_check_metrics(live):
    text, _, _ = live
    result = promtool("check", "metrics", stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr


def test_live_scrape_has_enough_cetak_samples(live):
    text, _, _ = live
    assert sum(1 for name, _, _ in samples(text) if name.startswith("cetak_")) >= 20


def test_names_units_and_labels(live):
    text, _, _ = live
    assert lint(text) == []
    kinds = types(text)
    assert kinds["cetak_cards_printed_total"] == "counter"
    assert kinds["cetak_store_call_duration_seconds"] == "histogram"


def test_no_personal_data_in_any_label_value(live):
    text, rows, _ = live
    personal = {r[k] for r in rows for k in ("nik", "nama", "alamat", "tempat_lahir")
                if r.get(k)}
    assert personal
    for name, labels, _ in samples(text):
        for label, v in labels.items():
            assert v not in personal, f"{name}{{{label}}} carries personal data"
            assert not any(p in v for p in personal if len(p) >= 6), f"{name}{{{label}}}"
    assert not any(r["nik"] in text for r in rows)


def test_values_follow_the_activity(live):
    text, _, _ = live
    assert value(text, "cetak_cards_printed_total", campaign=CAMPAIGN, site=SITE) == 1
    assert value(text, "cetak_cards_spoiled_total", reason="card_jam") == 1
    assert value(text, "cetak_cards_spoiled_total", reason="other") == 1
    assert value(text, "cetak_attempts_failed_before_card_total", reason="feeder_empty") == 1
    assert value(text, "cetak_attempts_unknown", site=SITE) == 1
    assert value(text, "cetak_records", site=SITE) == 8
    assert value(text, "cetak_records_not_printed", site=SITE, reason="held_unknown") == 1
    assert value(text, "cetak_blanks", site=SITE, state="received") == 20
    assert value(text, "cetak_inventory_received_total", site=SITE, item="ribbon") == 2
    assert value(text, "cetak_flagged_reports", reason="stale_epoch") == 1
    assert value(text, "cetak_agent_events_total", status="applied") == 6
    assert value(text, "cetak_agent_events_total", status="flagged") == 1
    assert value(text, "cetak_agent_events_total", status="malformed") == 1
    assert value(text, "cetak_leases_granted_total", site=SITE) == 5
    assert value(text, "cetak_agent_connected", site=SITE) == 1
    assert value(text, "cetak_printer_state", printer="p1", state="error") == 1
    assert value(text, "cetak_printer_state", printer="p1") == 1  # exactly one state is set
    assert value(text, "cetak_printer_ribbon_remaining_ratio", printer="p1") == 20 / 250
    assert value(text, "cetak_campaign_deadline_timestamp_seconds", campaign=CAMPAIGN) > 0
    assert value(text, "cetak_grpc_server_handled_total", method="GetStatus", code="OK") == 1
    assert value(text, "cetak_grpc_server_handled_total", method="GetStatus",
                 code="FAILED_PRECONDITION") == 1


def test_agent_gone_shows_disconnected(live):
    _, _, port = live
    text = scrape(port)  # the driver closed its stream after its scrape
    deadline = time.monotonic() + 20
    while value(text, "cetak_agent_connected", site=SITE) != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        text = scrape(port)
    assert value(text, "cetak_agent_connected", site=SITE) == 0
    assert value(text, "cetak_agent_last_seen_timestamp_seconds", site=SITE) > 0
