"""SQLite's WAL is checkpointed by the store's own thread (no commit pays for it), for every
store opened on a file: also one opened again on a file an earlier store in this process
used and closed."""

from __future__ import annotations

import sqlite3
import time

from cetak.controller.model import Campaign
from cetak.controller.store import SqliteStore


def _in_database_file(path, campaign_id: str) -> bool:
    # immutable=1 reads the database file alone, never the WAL: only checkpointed pages.
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT 1 FROM campaigns WHERE campaign_id=?",
                            (campaign_id,)).fetchone() is not None
    except sqlite3.OperationalError:  # not even the schema is in the file yet
        return False
    finally:
        conn.close()


def _wait_until_checkpointed(path, campaign_id: str) -> bool:
    deadline = time.monotonic() + 20  # the thread runs every 0.5 s; bounded, not a timing
    while time.monotonic() < deadline:
        if _in_database_file(path, campaign_id):
            return True
        time.sleep(0.1)
    return False


def test_every_store_on_a_file_checkpoints_its_wal(tmp_path):
    path = tmp_path / "controller.db"
    first = SqliteStore(path)
    first.create_campaign(Campaign("c1", "x", created_ms=1))
    assert _wait_until_checkpointed(path, "c1")
    first.close()
    second = SqliteStore(path)  # the same file again, in the same process
    try:
        second.create_campaign(Campaign("c2", "x", created_ms=1))
        assert _wait_until_checkpointed(path, "c2")
    finally:
        second.close()
