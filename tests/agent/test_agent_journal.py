"""The agent journal: sealed payloads, key handling, state changes, purge, crash safety."""

from __future__ import annotations

import base64
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from agent_fakes import NAME, NIK, make_lease, write_key_file

from cetak.agent.errors import JournalError, JournalKeyError
from cetak.agent.journal import Journal
from cetak.agent.pipeline import make_event
from cetak.agent.sealing import Sealer, load_key_env, load_key_file
from cetak.api.v1 import agent_pb2, common_pb2

HERE = Path(__file__).parent


@pytest.fixture
def journal(tmp_path: Path):
    j = Journal(tmp_path / "journal.sqlite", Sealer(os.urandom(32)))
    yield j
    j.close()


def raw_bytes(path: Path) -> bytes:
    """The journal's bytes on disk, WAL and shared memory included."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_payload_is_encrypted_at_rest(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite", Sealer(os.urandom(32)))
    for i in range(3):
        j.add_lease(make_lease(i, expires_at_ms=1))
    assert j.load_record("lease-1").nama == f"{NAME} 001"  # readable through the key
    data = raw_bytes(tmp_path / "journal.sqlite")
    j.close()
    data += raw_bytes(tmp_path / "journal.sqlite")
    for secret in (NAME.encode(), NIK[:-4].encode(), b"MARGONDA", b"PHOTO-"):
        assert secret not in data


def test_payload_bound_to_its_lease_and_key(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    key = os.urandom(32)
    j = Journal(path, Sealer(key))
    j.add_lease(make_lease(1, expires_at_ms=1))
    j.add_lease(make_lease(2, expires_at_ms=1))
    j.close()
    db = sqlite3.connect(path)  # move lease-1's ciphertext into lease-2's row
    db.execute("UPDATE leases SET payload = (SELECT payload FROM leases WHERE lease_id = "
               "'lease-1') WHERE lease_id = 'lease-2'")
    db.commit()
    db.close()
    j = Journal(path, Sealer(key))
    assert j.load_record("lease-1").record_id == "rec-1"
    with pytest.raises(JournalError, match="does not decrypt"):
        j.load_record("lease-2")  # associated data is the lease id
    j.close()
    j = Journal(path, Sealer(os.urandom(32)))
    with pytest.raises(JournalError, match="does not decrypt"):
        j.load_record("lease-1")  # wrong key
    j.close()


def test_key_file_must_be_private(tmp_path: Path) -> None:
    key = write_key_file(tmp_path / "journal.key")
    assert len(load_key_file(key)) == 32
    key.chmod(0o644)
    with pytest.raises(JournalKeyError, match="mode 0644") as info:
        load_key_file(key)
    assert "chmod 600" in str(info.value)
    raw = tmp_path / "raw.key"
    raw.write_bytes(os.urandom(32))
    raw.chmod(0o600)
    assert load_key_file(raw) == raw.read_bytes()
    short = tmp_path / "short.key"
    short.write_bytes(b"abc")
    short.chmod(0o600)
    with pytest.raises(JournalKeyError, match="expected 32"):
        load_key_file(short)
    with pytest.raises(JournalKeyError, match="absent.key"):
        load_key_file(tmp_path / "absent.key")


def test_key_from_environment() -> None:
    key = os.urandom(32)
    assert load_key_env("K", {"K": base64.b64encode(key).decode()}) == key
    with pytest.raises(JournalKeyError, match="K is not set"):
        load_key_env("K", {})
    with pytest.raises(JournalKeyError, match="base64"):
        load_key_env("K", {"K": "not base64!"})
    with pytest.raises(JournalKeyError, match="16 bytes"):
        load_key_env("K", {"K": base64.b64encode(os.urandom(16)).decode()})


def test_lease_lifecycle_and_purge_after_ack(journal: Journal) -> None:
    assert journal.add_lease(make_lease(1, expires_at_ms=5))
    assert not journal.add_lease(make_lease(1, expires_at_ms=5))  # a re-sent lease
    info = journal.lease("lease-1")
    assert info is not None and info.state == "held" and journal.outstanding_count() == 1
    assert journal.begin_attempt("lease-1", "att-1", "p1", 0)
    assert not journal.begin_attempt("lease-1", "att-2", "p1", 0)  # never twice
    fed = make_event(info, "att-1", common_pb2.PRINTING, "p1", blank_serial="B1", at_ms=1)
    done = make_event(info, "att-1", common_pb2.PRINTED, "p1", blank_serial="B1", at_ms=2)
    s1, s2 = journal.record_event(fed), journal.record_event(done)
    assert s1 < s2
    assert [e.event_id for _, e in journal.pending_events()] == [fed.event_id, done.event_id]
    assert [e.event_id for _, e in journal.pending_events(after_seq=s1)] == [done.event_id]
    assert journal.lease("lease-1").state == "done"
    assert journal.outstanding_count() == 0
    with pytest.raises(JournalError):
        journal.load_record("lease-1")  # payload purged with the final outcome
    assert journal.ack([done.event_id]) == 1
    assert journal.lease("lease-1") is not None  # an event about it is still unacknowledged
    assert journal.ack([fed.event_id, "unknown-id"]) == 1
    assert journal.lease("lease-1") is None
    assert journal.counts() == {"held": 0, "started": 0, "done": 0, "returning": 0,
                                "events": 0}


def test_drop_return_and_open_attempts(journal: Journal) -> None:
    for i in range(4):
        journal.add_lease(make_lease(i, expires_at_ms=5))
    assert journal.drop_lease("lease-0")
    assert journal.mark_returning("lease-1")
    assert journal.begin_attempt("lease-2", "att-2", "p1", 0)
    assert not journal.drop_lease("lease-2")  # started: its outcome will be reported
    assert not journal.mark_returning("lease-2")
    assert [x.lease_id for x in journal.leases("returning")] == ["lease-1"]
    journal.returned(["lease-1"])
    assert journal.lease("lease-1") is None
    assert [x.lease_id for x in journal.leases("held")] == ["lease-3"]
    journal.record_event(make_event(journal.lease("lease-2"), "att-2", common_pb2.PRINTING,
                                    "p1", blank_serial="B7", at_ms=1))
    (open_attempt,) = journal.open_attempts()
    assert (open_attempt.attempt_id, open_attempt.fed, open_attempt.blank_serial) == \
        ("att-2", True, "B7")
    with pytest.raises(JournalError):  # no event for a lease that is not in the journal
        journal.record_event(agent_pb2.JobEvent(event_id="x", lease_id="lease-0",
                                                state=common_pb2.PRINTED))


def test_meta_roundtrip(journal: Journal) -> None:
    journal.set_meta({"clock_offset_ms": "-42"})
    journal.set_meta({"clock_offset_ms": "7", "skew_margin_ms": "1000"})
    assert journal.get_meta("clock_offset_ms") == "7"
    assert journal.get_meta("absent") is None


def test_survives_sigkill_mid_transaction(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    key = write_key_file(tmp_path / "journal.key")
    proc = subprocess.Popen([sys.executable, str(HERE / "journal_writer.py"), str(path),
                             str(key)], stdout=subprocess.PIPE, text=True, cwd=HERE)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        while len(lines) < 60:
            line = proc.stdout.readline()
            assert line, "writer ended early"
            lines.append(line.split())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    j = Journal(path, Sealer(load_key_file(key)))
    try:
        assert j._query("PRAGMA integrity_check")[0][0] == "ok"
        for verb, lease_id in lines:
            info = j.lease(lease_id)
            if verb == "acked":
                assert info is None
            elif verb == "done":
                assert info is None or info.state == "done"
            elif verb == "started":
                assert info is None or info.state in ("started", "done")
        # Whatever the kill interrupted is all-or-nothing and consistent.
        for info in j.leases("held"):
            assert j.load_record(info.lease_id).record_id == info.record_id
        for info in j.leases("started"):
            assert j.load_record(info.lease_id).record_id == info.record_id
        for att in j.open_attempts():
            assert att.lease.state == "started"
        for info in j.leases("done"):
            states = [e.state for _, e in j.pending_events() if e.lease_id == info.lease_id]
            assert common_pb2.PRINTED in states
    finally:
        j.close()


def test_the_spoolers_job_id_is_kept_with_the_open_attempt(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    sealer = Sealer(os.urandom(32))
    j = Journal(path, sealer)
    j.add_lease(_spool_lease())
    assert j.begin_attempt("lease-s", "att-s", "p1", 1)
    j.set_spool_job("att-s", "42")
    j.close()
    j = Journal(path, sealer)  # survives a restart
    [open_attempt] = j.open_attempts()
    assert (open_attempt.attempt_id, open_attempt.spool_job) == ("att-s", "42")
    with pytest.raises(JournalError, match="not open"):
        j.set_spool_job("att-none", "1")
    j.close()
    # A journal written before the column existed gains it on open.
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.execute("CREATE TABLE attempts (attempt_id TEXT PRIMARY KEY, lease_id TEXT NOT NULL "
               "UNIQUE, printer_id TEXT NOT NULL, started_at_ms INTEGER NOT NULL, fed INTEGER "
               "NOT NULL DEFAULT 0, blank_serial TEXT NOT NULL DEFAULT '', finished INTEGER "
               "NOT NULL DEFAULT 0)")
    db.commit()
    db.close()
    Journal(old, sealer).close()
    db = sqlite3.connect(old)
    assert "spool_job" in {r[1] for r in db.execute("PRAGMA table_info(attempts)")}
    db.close()


def _spool_lease() -> agent_pb2.Lease:
    return agent_pb2.Lease(lease_id="lease-s", campaign_id="c", record_id="r-s", epoch=1,
                           expires_at_ms=10**13, record=common_pb2.CardRecord(record_id="r-s"))
