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


@pytest.mark.postgres
def test_attempt_totals_and_the_audit_lock_cannot_deadlock(pg_schemas):
    """Replica 1 writes an audit entry mid-transaction (it holds the chain's lock), replica 2
    commits a batch whose audit entry is written by a commit hook; both changed the same
    attempt totals. The totals are locked last, so replica 2 waits for the chain's lock
    without holding them, and both commit (written before the hooks, they made a lock cycle
    that PostgreSQL broke by aborting one of them)."""
    from cetak.controller.audit import audit_log_for
    from cetak.controller.model import Attempt, AttemptState
    from cetak.controller.store.postgres import PostgresStore

    url = pg_schemas.new()
    first, second = PostgresStore(url), PostgresStore(url)
    try:
        first.create_campaign(Campaign("c1", "x", created_ms=1))
        ids = [r.record_id for r in make_records("c1", 2)]
        first.insert_records(make_records("c1", 2), 1)
        for i, rid in enumerate(ids):
            first.insert_attempt(Attempt(lease_id=f"L{i}", record_id=rid, campaign_id="c1",
                                         site_code=SITE, agent_id="a1", epoch=1,
                                         expires_ms=99, state=AttemptState.LEASED,
                                         updated_ms=1), 1)
        ledgers = [Ledger(store, audit=audit_log_for(store)) for store in (first, second)]
        holds_chain = threading.Event()
        errors: list[BaseException] = []

        def replica_1() -> None:
            try:
                with first.transaction():
                    ledgers[0].audit("admin", "agent.release", agent_id="a1")  # at once
                    first.update_attempt("L0", AttemptState.PRINTING, 2)
                    holds_chain.set()
                    # Replica 2 commits meanwhile and waits for the chain's lock.
                    threading.Event().wait(1.0)
            except BaseException as exc:  # reported below
                errors.append(exc)

        def replica_2() -> None:
            try:
                with second.transaction():
                    second.update_attempt("L1", AttemptState.PRINTING, 2)
                    ledgers[1].audit("agent:a1", "agent.report", events=[])  # at commit
                    assert holds_chain.wait(10)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=replica_1), threading.Thread(target=replica_2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert first.count_attempts(site_code=SITE, states=[AttemptState.PRINTING]) == 2
        assert first.attempt_totals_drift() == []
        assert ledgers[0]._audit_log.verify() == []
    finally:
        first.close()
        second.close()
