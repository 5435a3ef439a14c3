"""Two connections (two replicas) leasing from one database at the same time never get the
same record; on PostgreSQL `FOR UPDATE SKIP LOCKED` makes the second skip, not wait."""

from __future__ import annotations

import threading

import pytest

from cetak.controller.ledger import LeasePolicy, Ledger
from cetak.controller.model import Campaign
from tests.controller.conftest import SITE, make_records, receive_blanks


def test_two_connections_never_lease_one_record(store_factory):
    n = 120
    first = store_factory()
    setup = Ledger(first, LeasePolicy(lease_ms=600_000))
    setup.create_campaign(Campaign("c1", "x", created_ms=1))
    setup.add_records(make_records("c1", n), 1)
    receive_blanks(setup, SITE, n)
    replicas = [setup, Ledger(store_factory(), LeasePolicy(lease_ms=600_000))]
    granted: list[list[str]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def lease_all(i: int) -> None:
        try:
            start.wait()
            for _ in range(10 * n):
                grants = replicas[i].grant(f"a{i}", SITE, 3, 10, window=n)
                granted[i] += [g.record_id for g in grants]
                if sum(map(len, granted)) >= n and not grants:
                    return
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=lease_all, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    everything = granted[0] + granted[1]
    assert len(everything) == len(set(everything)) == n
    assert first.count_queued(SITE) == 0
    assert first.inconsistent_records() == []


@pytest.mark.postgres
def test_skip_locked_two_transactions(pg_schemas):
    from cetak.controller.store.postgres import PostgresStore

    url = pg_schemas.new()
    a, b = PostgresStore(url), PostgresStore(url)
    try:
        a.create_campaign(Campaign("c1", "x", created_ms=1))
        a.insert_records(make_records("c1", 6), 1)
        with a.transaction():
            first = [r[0] for r in a.next_queued(SITE, 4)]
            with b.transaction():  # would block here without SKIP LOCKED
                second = [r[0] for r in b.next_queued(SITE, 4)]
        assert len(first) == 4 and len(second) == 2 and not set(first) & set(second)
        # Outside a transaction nothing is locked: a plain read sees all of them.
        assert len(b.next_queued(SITE, 10)) == 6
    finally:
        a.close()
        b.close()


@pytest.mark.postgres
def test_listen_hears_queued_sites(pg_schemas):
    from cetak.controller.store.postgres import PostgresStore

    store = PostgresStore(pg_schemas.new())
    heard: list[str] = []
    got = threading.Event()

    def on_queued(site: str) -> None:
        heard.append(site)
        got.set()

    try:
        stop = store.listen(on_queued)
        store.create_campaign(Campaign("c1", "x", created_ms=1))
        store.insert_records(make_records("c1", 3), 1)
        assert got.wait(10)
        assert set(heard) == {SITE}
        stop()
        assert store._listeners == []
        store.listen(on_queued)
    finally:
        store.close()  # stops the second listener too
    assert store._listeners == []
