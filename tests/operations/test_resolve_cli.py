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


def test_resolve_records_the_serial_the_agent_never_read_so_destroy_accepts_it(tmp_path):
    """The agent died between the feed and reading the blank's serial: the attempt names no
    blank. The admin reads it off the spoiled card; `inventory destroy --serials` then
    accepts that card, which it refused before."""
    db = tmp_path / "controller.db"
    records = _unknown_attempts(db, 3)
    destroy = ("inventory", "destroy", SITE, "--serials", "KTP0001003", "--place",
               "Kantor Kelurahan", "--officer", "Drs. Ahmad Fauzi", "197001011995031001",
               "--witness", "Budi Santoso", "--witness", "Sri Wahyuni",
               "--method", "dipotong lalu dibakar", "--out", str(tmp_path / "ba"), "--json")
    with serving_controller(db) as conn:
        r = run("record", "held", "--campaign", "c1", "--json", *conn)
        held = {h["record_id"]: h["unknown_attempt_id"] for h in json.loads(r.stdout)["held"]}
        first, second, third = (held[rid] for rid in records)
        r = run(*destroy, *conn)
        assert r.returncode == 2 and "not spoiled blanks" in r.stderr  # nothing names it yet

        # Bad serials and a serial with --not-fed are refused before anything is sent.
        for bad in ("KTP 0001003", "KTP-ABC", "x" * 65 + "1", "KTP\t0001003", "-1"):
            r = run("record", "resolve", first, "--spoiled", "--serial", bad, "--evidence",
                    "card in the reject tray", *conn)
            assert r.returncode == 2 and "--serial" in r.stderr, bad
            assert "Traceback" not in r.stderr
        r = run("record", "resolve", first, "--not-fed", "--serial", "KTP0001003",
                "--evidence", "hopper count unchanged", *conn)
        assert r.returncode == 2 and "--not-fed" in r.stderr

        r = run("record", "resolve", first, "--spoiled", "--serial", " KTP0001003 ",
                "--evidence", "card stuck at the chip station, removed", "--json", *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["state"] == "queued"
        # The same blank cannot have been used by a second card.
        r = run("record", "resolve", second, "--spoiled", "--serial", "KTP0001003",
                "--evidence", "another card", *conn)
        assert r.returncode == 2 and "already recorded for another card" in r.stderr
        r = run("record", "resolve", third, "--printed", "--serial", "KTP0001004",
                "--evidence", "card in the output hopper, good", "--json", *conn)
        assert r.returncode == 0, r.stderr

        r = run(*destroy, *conn)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["count"] == 1
    store = SqliteStore(db)
    try:
        details = [row[0] for row in store.connection.execute(
            "SELECT detail FROM audit_log WHERE action='attempt.resolve' ORDER BY seq")]
        assert len(details) == 2 and "KTP0001003" in details[0] and "KTP0001004" in details[1]
        serials = dict(store.connection.execute(
            "SELECT record_id, blank_serial FROM attempts WHERE blank_serial<>''").fetchall())
        assert serials == {records[0]: "KTP0001003", records[2]: "KTP0001004"}
        destroyed = [json.loads(row[0]) for row in store.connection.execute(
            "SELECT serials_json FROM destruction_records")]
        assert destroyed == [["KTP0001003"]]
    finally:
        store.close()


def test_the_ledger_checks_a_resolution_serial_whoever_calls(tmp_path):
    import pytest

    from cetak.controller.ledger import LedgerError

    db = tmp_path / "controller.db"
    _unknown_attempts(db, 1)
    store = SqliteStore(db)
    try:
        ledger = Ledger(store, LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
        (lease_id,) = [r[0] for r in store.connection.execute("SELECT lease_id FROM attempts")]
        for serial, outcome, why in (
                ("KTP<1>", AttemptState.SPOILED, "expected up to 64"),
                ("KTP0001003", AttemptState.FAILED_BEFORE_CARD, "not fed")):
            with pytest.raises(LedgerError, match=why):
                ledger.resolve(lease_id, outcome, "seen", 30, serial)
        # The printer named the blank: a different one typed by hand is refused.
        store.connection.execute("UPDATE attempts SET blank_serial='KTP0001009'")
        with pytest.raises(LedgerError, match="already names blank KTP0001009"):
            ledger.resolve(lease_id, AttemptState.SPOILED, "seen", 30, "KTP0001003")
        view = ledger.resolve(lease_id, AttemptState.SPOILED, "seen", 30, "KTP0001009")
        assert view.state == "queued"
    finally:
        store.close()
