"""`cetak record held` and `cetak record resolve`: an admin finds a print attempt whose outcome
is unknown and decides it from what was found at the printer, through a real controller."""

from __future__ import annotations

import json

from cetak.controller.ledger import LeasePolicy, Ledger
from cetak.controller.model import AgentEvent, AttemptState, Campaign
from cetak.controller.store import SqliteStore
from tests.controller.conftest import SITE, make_records, receive_blanks

from .conftest import run_cetak as run
from .conftest import serving_controller


def _unknown_attempts(db, n: int) -> list[str]:
    """n records leased and lost track of (agent crash): held with an UNKNOWN attempt."""
    store = SqliteStore(db)
    try:
        ledger = Ledger(store, LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
        ledger.create_campaign(Campaign("c1", "Pemilu", created_ms=1))
        ledger.add_records(make_records("c1", n), 1)
        receive_blanks(ledger, SITE, 10)
        ledger.hello("a1", SITE, [("p1", b"", 100.0)], [], "test", 0.0, 10)
        grants = ledger.grant("a1", SITE, n, 10)
        ledger.apply_events("a1", [AgentEvent(event_id=f"e{i}", lease_id=g.lease_id,
                                              epoch=g.epoch, record_id=g.record_id,
                                              state=AttemptState.UNKNOWN, reason="agent_crash")
                                   for i, g in enumerate(grants)], 20)
        return [g.record_id for g in grants]
    finally:
        store.close()


def test_held_lists_unknown_attempts_and_resolve_decides_them(tmp_path):
    db = tmp_path / "controller.db"
    records = _unknown_attempts(db, 2)
    with serving_controller(db) as conn:
        r = run("record", "held", "--campaign", "c1", "--json", *conn)
        assert r.returncode == 0, r.stderr
        held = {h["record_id"]: h for h in json.loads(r.stdout)["held"]}
        assert set(held) == set(records)
        assert all(h["hold_reason"] == "unknown_outcome" and h["unknown_attempt_id"]
                   for h in held.values())
        r = run("record", "held", *conn)  # the text form says what to run next
        assert r.returncode == 0 and r.stdout.count("cetak record resolve ") == 2

        first, second = (held[rid]["unknown_attempt_id"] for rid in records)
        r = run("record", "resolve", first, "--printed", "--evidence", "   ", *conn)
        assert r.returncode == 2 and "evidence" in r.stderr
        r = run("record", "resolve", first, "--printed", "--evidence",
                "card found in the output hopper", "--json", *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["state"] == "printed"
        r = run("record", "resolve", second, "--spoiled", "--evidence", "ribbon torn, card "
                "in the reject tray", "--json", *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["state"] == "queued"  # printed again later
        r = run("record", "resolve", first, "--not-fed", "--evidence", "again", *conn)
        assert r.returncode == 2  # already decided: refused, nothing changes
        r = run("record", "resolve", "no-such-attempt", "--not-fed", "--evidence", "x", *conn)
        assert r.returncode == 2
        r = run("record", "held", "--campaign", "c1", "--json", *conn)
        assert json.loads(r.stdout)["held"] == []
    store = SqliteStore(db)
    try:
        actions = [row[0] for row in store.connection.execute(
            "SELECT action FROM audit_log ORDER BY seq")]
        assert actions.count("attempt.resolve") == 2
    finally:
        store.close()
