from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from cetak.security import (
    AuditError,
    AuditLog,
    MemoryAuditSink,
    SqliteAuditSink,
    chain_entry,
    verify_chain,
)
from cetak.security.audit import (
    ACTION_CONTROLLER_START,
    ACTION_CONTROLLER_STOP,
    CONTROLLER_ACTOR,
    GENESIS_HASH,
    AuditEntry,
    entry_hash,
)

from .conftest import cetak_cli


def _chain(n: int) -> list[AuditEntry]:
    log = AuditLog(MemoryAuditSink(), clock=iter(range(1000, 100000, 7)).__next__)
    log.record(CONTROLLER_ACTOR, ACTION_CONTROLLER_START, detail={"version": "0.1.0"})
    for i in range(1, n - 1):
        log.record("admin:admin", "campaign.create", allowed=i % 3 != 0,
                   detail={"campaign_id": f"c{i}", "note": "ü"})
    log.record(CONTROLLER_ACTOR, ACTION_CONTROLLER_STOP)
    return list(log.sink.iter_entries())


def _kinds(entries: list[AuditEntry]) -> set[str]:
    return {p.kind for p in verify_chain(entries)}


def test_chain_links_and_hash_encoding() -> None:
    entries = _chain(6)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert verify_chain(entries) == []
    # The documented canonical encoding, recomputed by hand.
    import hashlib
    e = entries[1]
    assert e.detail == '{"campaign_id":"c1","note":"\\u00fc"}'
    text = json.dumps(["cetak-audit-v1", e.seq, e.at_ms, e.actor, e.action, e.allowed,
                       e.detail, e.prev_hash], ensure_ascii=True, separators=(",", ":"))
    assert e.hash == hashlib.sha256(text.encode()).hexdigest()


def test_altered_removed_reordered_and_truncated_detected() -> None:
    entries = _chain(6)
    altered = list(entries)
    altered[2] = dataclasses.replace(entries[2], allowed=not entries[2].allowed)
    assert _kinds(altered) == {"altered"}

    rehashed = dataclasses.replace(altered[2], hash=entry_hash(
        altered[2].seq, altered[2].at_ms, altered[2].actor, altered[2].action,
        altered[2].allowed, altered[2].detail, altered[2].prev_hash))
    assert _kinds(altered[:2] + [rehashed] + altered[3:]) == {"broken-link"}

    assert _kinds(entries[:3] + entries[4:]) == {"removed"}
    assert _kinds(entries[1:]) == {"removed"}  # head truncated
    assert _kinds(entries[:2] + [entries[3], entries[2]] + entries[4:]) == {"reordered"}
    assert _kinds(entries + [entries[-1]]) == {"duplicate"}
    assert _kinds([]) == {"empty"}


def test_anchor_reveals_tail_removal_and_rewrite() -> None:
    entries = _chain(6)
    anchor = (entries[-1].seq, entries[-1].hash)
    assert verify_chain(entries, anchor) == []
    assert {p.kind for p in verify_chain(entries[:-1], anchor)} == {"removed"}
    # A rewritten but self-consistent chain passes alone, not against the anchor.
    rewritten = [chain_entry(None, at_ms=1, actor="controller", action="controller.start")]
    for _ in range(5):
        rewritten.append(chain_entry(rewritten[-1], at_ms=2, actor="x", action="y"))
    assert verify_chain(rewritten) == []
    assert {p.kind for p in verify_chain(rewritten, anchor)} == {"altered"}


@pytest.mark.parametrize("detail", [{"nik": "3276010101900001"}, {"ok": {"Nama": "Budi"}},
                                    {"rows": [{"alamat": "Jl. Merdeka"}]},
                                    {"facts": [["a", ("b", {"ok": [1, {"NIK": "x"}]})]]}])
def test_personal_data_refused(detail: dict) -> None:
    with pytest.raises(AuditError, match="personal data") as refused:
        chain_entry(None, at_ms=1, actor="a", action="b", detail=detail)
    assert "detail." in str(refused.value)  # names where it is, never the value
    assert "3276010101900001" not in str(refused.value) and "Budi" not in str(refused.value)


def test_detail_keys_must_be_strings() -> None:
    with pytest.raises(AuditError, match="keys must be strings"):
        chain_entry(None, at_ms=1, actor="a", action="b", detail={"rows": [{1: "x"}]})


def test_detail_must_be_plain_json() -> None:
    with pytest.raises(AuditError):
        chain_entry(None, at_ms=1, actor="a", action="b", detail={"x": float("nan")})
    with pytest.raises(AuditError):
        chain_entry(None, at_ms=1, actor="a", action="b", detail={"x": object()})


def _sqlite_log(path: Path, n: int = 6) -> None:
    conn = sqlite3.connect(path)
    try:
        sink = SqliteAuditSink(conn)
        for entry in _chain(n):
            sink.append(entry)
    finally:
        conn.close()


def test_sqlite_table_is_append_only(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    _sqlite_log(db)
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET allowed = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE seq = 6")
        with pytest.raises(sqlite3.IntegrityError, match="chain"):
            conn.execute("INSERT OR REPLACE INTO audit_log VALUES (3, 1, 'a', 'b', 1, '{}', "
                         f"'{GENESIS_HASH}', 'x')")
        sink = SqliteAuditSink(conn)
        with pytest.raises(AuditError):
            sink.append(chain_entry(None, at_ms=1, actor="a", action="b"))  # seq 1 again
        assert verify_chain(sink.iter_entries()) == []
    finally:
        conn.close()


def test_sqlite_append_joins_the_callers_transaction(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "store.db")
    try:
        conn.execute("CREATE TABLE things (x)")
        log = AuditLog(SqliteAuditSink(conn))
        log.record("controller", "controller.start")
        conn.execute("INSERT INTO things VALUES (1)")  # opens a transaction
        log.record("admin:admin", "thing.add")
        conn.rollback()  # the state change and its audit entry go together
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
        log.record("admin:admin", "thing.add")  # chains to what is really stored
        assert [e.seq for e in log.sink.iter_entries()] == [1, 2]
        assert log.verify() == []
    finally:
        conn.close()


def _verify(db: Path | str, *extra: str) -> tuple[int, dict]:
    done = cetak_cli("audit", "verify", "--store", f"sqlite:///{db}" if isinstance(db, Path)
                     else db, "--json", *extra)
    return done.returncode, json.loads(done.stdout)


def _tamper(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    try:
        for name in ("audit_log_no_update", "audit_log_no_delete", "audit_log_chain"):
            conn.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def test_cli_verify_intact_log(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    _sqlite_log(db)
    code, out = _verify(db)
    assert (code, out["ok"], out["entries"], out["problems"], out["warnings"]) == (
        0, True, 6, [], [])
    anchor = f"{out['head']['seq']}:{out['head']['hash']}"
    assert _verify(str(db), "--anchor", anchor)[0] == 0  # plain path works too


@pytest.mark.parametrize("statements, kind", [
    (["UPDATE audit_log SET detail = '{\"campaign_id\":\"c9\",\"note\":\"\\u00fc\"}' "
      "WHERE seq = 2"], "altered"),
    (["UPDATE audit_log SET allowed = 1 WHERE seq = 4"], "altered"),  # a refusal turned yes
    (["DELETE FROM audit_log WHERE seq = 4"], "removed"),
    (["DELETE FROM audit_log WHERE seq = 1"], "removed"),
    # Swap entries 3 and 4 (contents move, seq numbers stay in order).
    (["UPDATE audit_log SET seq = -3 WHERE seq = 3", "UPDATE audit_log SET seq = 3 WHERE seq = 4",
      "UPDATE audit_log SET seq = 4 WHERE seq = -3"], "altered"),
    # Renumber entry 3 to the end: the order changes and so does its hashed seq.
    (["UPDATE audit_log SET seq = 99 WHERE seq = 3"], "removed"),
])
def test_cli_verify_detects_raw_sql_tampering(tmp_path: Path, statements: list[str],
                                              kind: str) -> None:
    db = tmp_path / "store.db"
    _sqlite_log(db)
    _tamper(db, *statements)
    code, out = _verify(db)
    assert code == 1 and not out["ok"]
    assert kind in {p["kind"] for p in out["problems"]}
    assert len(out["warnings"]) == 3  # the dropped triggers are reported too


def test_cli_verify_detects_tail_removal_only_with_anchor(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    _sqlite_log(db)
    _, out = _verify(db)
    anchor = f"{out['head']['seq']}:{out['head']['hash']}"
    _tamper(db, "DELETE FROM audit_log WHERE seq = 6")
    assert _verify(db)[0] == 0  # what a chain alone cannot show ...
    code, out = _verify(db, "--anchor", anchor)
    assert code == 1 and out["problems"][0]["kind"] == "removed"  # ... an anchor does


def test_cli_verify_unusable_stores(tmp_path: Path) -> None:
    assert _verify(tmp_path / "missing.db")[0] == 2
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert _verify(empty)[0] == 2  # no audit_log table
    assert _verify("postgresql://localhost/cetak")[0] == 2
    done = cetak_cli("audit", "verify", "--store", str(empty))
    assert done.returncode == 2 and "no audit_log table" in done.stderr


def test_store_urls() -> None:
    from cetak.security.audit_cli import sqlite_path

    assert sqlite_path("sqlite:///var/lib/cetak/store.db") == "/var/lib/cetak/store.db"
    assert sqlite_path("sqlite:////var/lib/cetak/store.db") == "/var/lib/cetak/store.db"
    assert sqlite_path("sqlite:store.db") == "store.db"
    assert sqlite_path("data/store.db") == "data/store.db"
    with pytest.raises(ValueError):
        sqlite_path("postgresql://db/cetak")


def test_detail_of_parts_is_the_canonical_detail() -> None:
    """The ledger encodes each batched fact once and assembles the entry from the texts."""
    from cetak.security.audit import canonical_detail, canonical_part, detail_of_parts

    facts = [["agent:a1", "agent.report", {"z": 1, "events": [["e1", "l1", 2, "printed"]],
                                             "a": "kelurahan Cipayung Jaya é"}],
             ["ledger", "lease.grant", {"leases": [["l", "r", 1]], "site_code": "32.76"}]]
    assert detail_of_parts("facts", [canonical_part(f) for f in facts]) == \
        canonical_detail({"facts": facts})
    with pytest.raises(AuditError, match="personal data"):
        canonical_part(["x", "y", {"nama": "Budi"}])
    with pytest.raises(AuditError, match="at most"):
        detail_of_parts("facts", ['"' + "x" * 20_000 + '"'])
