"""The agent's /metrics: served on a port of its own, valid for promtool, bounded labels."""

from __future__ import annotations

import pytest

from cetak.agent.metrics import AgentMetrics
from cetak.api.v1 import common_pb2
from cetak.metric_labels import (
    REASON_LABELS,
    category_label,
    flag_label,
    printer_state_label,
    reason_label,
)

from .conftest import lint, promtool, samples, scrape, value

NIK = "3276014501990003"
NAME = "SITI AMINAH"


class _Journal:
    def __init__(self) -> None:
        self.closed = False

    def counts(self) -> dict[str, int]:
        if self.closed:
            raise RuntimeError("journal closed")
        return {"held": 4, "started": 1, "done": 2, "returning": 0, "events": 3}


@pytest.fixture
def served():
    metrics = AgentMetrics("site-3276011006", "32.76.01.1006", "0.1.0")
    journal = _Journal()
    up = {"value": True}
    metrics.watch(journal=journal, connected=lambda: up["value"])
    metrics.connected(True)
    metrics.card_prepared("p1", 0.12)
    metrics.bytes_sent("p1", 123_456)
    metrics.card_outcome("p1", common_pb2.PRINTED, seconds=18.0)
    metrics.card_outcome("p1", common_pb2.SPOILED, "card jam", seconds=20.0)
    metrics.card_outcome("p1", common_pb2.FAILED_BEFORE_CARD, "feeder empty")
    metrics.card_outcome("p1", common_pb2.UNKNOWN, f"lost {NIK} {NAME}")
    metrics.printer_state("p1", common_pb2.BUSY, common_pb2.Consumables(
        blanks_in_hopper=40, ribbon_panels_left=100, ribbon_panels_capacity=500,
        film_frames_left=0, film_frames_capacity=0))
    server = metrics.serve(0)
    try:
        yield metrics, server.port, journal, up
    finally:
        server.stop()


def test_agent_scrape_passes_promtool(served):
    _, port, _, _ = served
    text = scrape(port)
    result = promtool("check", "metrics", stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr


def test_agent_scrape_names_and_values(served):
    _, port, journal, up = served
    text = scrape(port)
    assert lint(text) == []
    assert NIK not in text and NAME not in text
    assert value(text, "cetak_agent_cards_printed_total", printer="p1") == 1
    assert value(text, "cetak_agent_card_failures_total", reason="card_jam",
                 outcome="spoiled") == 1
    assert value(text, "cetak_agent_card_failures_total", reason="other", outcome="unknown") == 1
    assert value(text, "cetak_agent_printer_sent_bytes_total", printer="p1") == 123_456
    assert value(text, "cetak_agent_card_prepare_seconds_count", printer="p1") == 1
    assert value(text, "cetak_agent_card_print_seconds_count", printer="p1") == 2
    assert value(text, "cetak_agent_printer_state", printer="p1", state="busy") == 1
    assert value(text, "cetak_agent_printer_state", printer="p1") == 1
    assert value(text, "cetak_agent_printer_ribbon_remaining_ratio", printer="p1") == 0.2
    # No film on this printer: no ratio that would read as "0 % left".
    assert not [s for s in samples(text) if s[0] == "cetak_agent_printer_film_remaining_ratio"]
    assert value(text, "cetak_agent_journal_events") == 3
    assert value(text, "cetak_agent_journal_leases", state="held") == 4
    assert value(text, "cetak_agent_controller_connected") == 1
    assert value(text, "cetak_agent_controller_connections_total") == 1
    up["value"] = False
    journal.closed = True  # a closed journal keeps the last reading, the scrape still works
    text = scrape(port)
    assert value(text, "cetak_agent_controller_connected") == 0
    assert value(text, "cetak_agent_journal_events") == 3


def test_two_agents_in_one_process_do_not_collide():
    a, b = AgentMetrics("a", "s"), AgentMetrics("b", "s")
    a.bytes_sent("p1", 1)
    b.bytes_sent("p1", 2)
    assert a.registry is not b.registry


@pytest.mark.parametrize("text,label", [
    ("FEEDER EMPTY", "feeder_empty"), ("feeder empty", "feeder_empty"),
    ("card jam", "card_jam"), ("ribbon out", "ribbon_out"), ("film out", "film_out"),
    ("chip write failed", "chip_write_failed"), ("printer lost after feed",
                                                 "printer_lost_after_feed"),
    ("printer offline", "printer_offline"), ("render failed: FieldInvalid", "render_failed"),
    ("driver error: OSError", "driver_error"), ("failed after feed: jam", "failed_after_feed"),
    ("agent stopped during the attempt, after feed", "agent_stopped"),
    ("lease_expired", "lease_expired"), ("lease_returned", "lease_returned"),
    ("resolved_spoiled", "resolved"), ("spoiled", "unspecified"), ("", "unspecified"),
    (f"{NAME} {NIK}", "other"), ("x" * 10_000, "other"),
])
def test_reason_labels_are_bounded(text, label):
    assert reason_label(text) == label
    assert label in REASON_LABELS


def test_other_labels_are_bounded():
    assert flag_label("stale_epoch: report epoch 3") == "stale_epoch"
    assert flag_label(f"{NIK}: whatever") == "other"
    assert category_label("BARU") == "baru" and category_label(NAME) == "other"
    assert printer_state_label(common_pb2.ERROR) == "error"
    assert printer_state_label(99) == "unknown"
