"""The store snapshot reads beside the writer: never waits for it, never fails a scrape."""

from __future__ import annotations

from prometheus_client import generate_latest

from cetak.controller.metrics import ControllerMetrics
from cetak.controller.model import Campaign
from cetak.controller.store import SqliteStore

from .conftest import value


def _scrape(metrics: ControllerMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_scrape_reads_the_last_commit_while_a_write_is_open(tmp_path):
    db = tmp_path / "c.db"
    store = SqliteStore(db)
    metrics = ControllerMetrics()
    metrics.watch_store(str(db), {})
    try:
        store.create_campaign(Campaign("done", "committed", created_ms=1))
        with store.transaction():  # the writer holds its lock, as the StoreWorker does
            store.create_campaign(Campaign("open", "not committed yet", created_ms=2))
            text = _scrape(metrics)
        assert 'campaign="done"' in text and 'campaign="open"' not in text
        assert value(text, "cetak_metrics_snapshot_errors_total") == 0
        assert 'campaign="open"' in _scrape(metrics)
    finally:
        metrics.close()
        store.close()


def test_an_unreadable_store_still_serves_live_metrics(tmp_path):
    bad = tmp_path / "not-a-db"
    bad.write_bytes(b"this is not sqlite" * 100)
    metrics = ControllerMetrics()
    metrics.watch_store(str(bad), {})
    metrics.granted("32.76.01.1006", 3)
    text = _scrape(metrics)
    assert value(text, "cetak_metrics_snapshot_errors_total") == 1
    assert value(text, "cetak_leases_granted_total") == 3
    assert "cetak_metrics_snapshot_duration_seconds" in text
    metrics.close()


def test_site_calendars_from_the_registry(tmp_path):
    """cetak_site_open follows the registered calendar (a holiday closes the site all day);
    cetak_site_printers_expected is what the admin registered."""
    from datetime import date, timedelta

    from cetak.controller.ledger import Ledger
    from cetak.controller.sites import Site, complete

    db = tmp_path / "c.db"
    store = SqliteStore(db)
    today = date.today()
    # Yesterday, today and tomorrow: whatever the zone's date is at the scrape.
    holidays = tuple((today + timedelta(days=d)).isoformat() for d in (-1, 0, 1))
    Ledger(store).upsert_site(complete(Site("32.76.01.1006", holidays=holidays,
                                            printers_expected=2)), "admin")
    Ledger(store).upsert_site(complete(Site("32.76.01.1007")), "admin")
    metrics = ControllerMetrics()
    metrics.watch_store(str(db), {})
    try:
        text = _scrape(metrics)
        assert value(text, "cetak_site_open", site="32.76.01.1006") == 0
        assert value(text, "cetak_site_open", site="32.76.01.1007") == 1
        assert value(text, "cetak_site_printers_expected", site="32.76.01.1006") == 2
        assert 'cetak_site_printers_expected{site="32.76.01.1007"}' not in text
    finally:
        metrics.close()
        store.close()
