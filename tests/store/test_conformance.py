"""One conformance suite for every store: same methods, same results, same refusals.

Each test runs against SqliteStore and PostgresStore (fixture `store`, tests/store/conftest.py).
"""

from __future__ import annotations

import sqlite3

import pytest

from cetak.controller.model import (
    Attempt,
    AttemptState,
    Campaign,
    InventoryMovement,
    NewRecord,
    RecordState,
)
from cetak.controller.store import StoreError
from tests.controller.conftest import SITE, make_records

OTHER = "32.76.01.1007"
A = AttemptState


def setup_records(store, n=3, site=SITE, campaign="c1", start=0, **kw):
    if store.get_campaign(campaign) is None:
        store.create_campaign(Campaign(campaign, "Pemilu", created_ms=1))
    records = make_records(campaign, n, site=site, start=start, **kw)
    store.insert_records(records, 5)
    return [r.record_id for r in records]


def lease(store, record_id, lease_id, agent="a1", epoch=1, expires=1_000, site=SITE,
          campaign="c1", leased_ms=10):
    store.insert_attempt(Attempt(lease_id=lease_id, record_id=record_id, campaign_id=campaign,
                                 site_code=site, agent_id=agent, epoch=epoch,
                                 expires_ms=expires, state=A.LEASED, updated_ms=leased_ms),
                         leased_ms)
    store.set_record_state(record_id, RecordState.LEASED, epoch=epoch)


def refused(store, sql: str) -> bool:
    """Run raw SQL on the store's own connection: True if the database refused it."""
    import_errors: tuple = (sqlite3.IntegrityError,)
    try:
        import psycopg

        import_errors += (psycopg.errors.IntegrityError,)
    except ImportError:
        pass
    try:
        with store.transaction():
            store.connection.execute(sql)
    except import_errors:
        return True
    return False


# -- campaigns, sites --------------------------------------------------------------------------

def test_campaigns(store):
    assert store.list_campaigns() == [] and store.get_campaign("c1") is None
    store.create_campaign(Campaign("c2", "b", 9, 10, 5, created_ms=2))
    store.create_campaign(Campaign("c1", "a", created_ms=2))
    assert store.get_campaign("c2") == Campaign("c2", "b", 9, 10, 5, 2)
    assert [c.campaign_id for c in store.list_campaigns()] == ["c1", "c2"]
    with pytest.raises(StoreError):
        store.create_campaign(Campaign("c1", "again"))


def test_sites(store):
    store.upsert_site("S2", "two")
    store.upsert_site("S1", "one", "kec", [{"day": 1}], 180, "Asia/Makassar")
    store.upsert_site("S2", "two again", overtime_cap_minutes=60,
                      holidays=["2026-12-25", "2026-12-24"], printers_expected=3)
    assert store.list_sites() == [
        dict(site_code="S1", name="one", kecamatan="kec", calendar=[{"day": 1}],
             overtime_cap_minutes=180, timezone="Asia/Makassar", holidays=[],
             printers_expected=0),
        dict(site_code="S2", name="two again", kecamatan="", calendar=[],
             overtime_cap_minutes=60, timezone="Asia/Jakarta",
             holidays=["2026-12-24", "2026-12-25"], printers_expected=3)]
    assert store.get_site("S2") == store.list_sites()[1]
    assert store.get_site("S3") is None


# -- records -----------------------------------------------------------------------------------

def test_records_insert_and_read(store):
    ids = setup_records(store, 3)
    assert store.insert_records([], 1) == 0
    row = store.record_row(ids[0])
    assert row == (ids[0], "c1", SITE, "queued", "", "BARU", 0, 0)
    view = store.get_record(ids[1])
    assert view.state == RecordState.QUEUED and view.attempts == []
    assert store.record_row("nope") is None and store.get_record("nope") is None
    assert isinstance(store.record_payload(ids[2]), bytes)
    with pytest.raises(StoreError):
        store.record_payload("nope")
    nik = make_records("c1", 1)[0].nik
    assert [v.record_id for v in store.records_by_nik(nik)] == [ids[0]]
    assert store.records_by_nik(nik, "other") == []
    assert store.niks_in_campaign("c1", [nik, "x"]) == {nik}
    assert store.niks_in_campaign("c1", []) == set()
    with pytest.raises(StoreError):  # same NIK twice in a campaign
        store.insert_records(make_records("c1", 1), 6)
    with pytest.raises(StoreError):  # unknown campaign (foreign key)
        store.insert_records(make_records("zz", 1), 6)


def test_queue_records_same_rows_as_insert_records(store):
    """The importer's batch insert writes what insert_records writes for default NewRecords."""
    store.create_campaign(Campaign("c1", "x", created_ms=1))
    store.create_campaign(Campaign("c2", "x", created_ms=1))
    one = make_records("c1", 3) + make_records("c1", 2, site=OTHER, start=5,
                                                kategori="PENGGANTIAN")
    one[1] = NewRecord(**{**one[1].__dict__, "alasan": "RUSAK", "payload": b""})
    one[2] = NewRecord(**{**one[2].__dict__, "payload": bytes(range(256)) * 3})
    two = [NewRecord(**{**r.__dict__, "campaign_id": "c2", "record_id": f"2-{r.record_id}"})
           for r in one]
    assert store.insert_records(one, 7) == 5
    assert store.queue_records("c2", [(r.record_id, r.nik, r.site_code, r.kategori, r.alasan,
                                       r.payload, 0) for r in two], 7) == 5
    assert store.queue_records("c2", [], 7) == 0

    def rows(campaign):
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row[2:])
                for row in store.connection.execute(
                    "SELECT record_id, prr_seq, nik, site_code, kategori, alasan, priority, "
                    "state, hold_reason, payload, imported_ms, epoch, printed_ms FROM records "
                    f"WHERE campaign_id='{campaign}' ORDER BY prr_seq").fetchall()]

    assert rows("c1") == rows("c2")
    seqs = [r[0] for r in store.connection.execute(
        "SELECT prr_seq FROM records ORDER BY prr_seq").fetchall()]
    assert len(set(seqs)) == 10  # queued after the first five, in the given order
    assert [store.record_payload(r.record_id) for r in two] == [r.payload for r in two]
    with pytest.raises(StoreError):  # same NIK twice in a campaign
        store.queue_records("c2", [(two[0].record_id + "x", two[0].nik, SITE, "BARU", "",
                                    b"", 0)], 8)


def test_campaign_update_and_cancel(store):
    ids = setup_records(store, 4)
    store.set_record_state(ids[1], RecordState.HELD, hold_reason="possible_duplicate_person")
    store.set_record_state(ids[2], RecordState.HELD, hold_reason="unknown_outcome")
    store.set_record_state(ids[3], RecordState.LEASED, epoch=1)
    store.update_campaign(Campaign("c1", "Pemilu 2030", 99, 3, 4, created_ms=123))
    c = store.get_campaign("c1")
    assert (c.name, c.deadline_ms, c.budget_baru, c.budget_penggantian, c.created_ms) == (
        "Pemilu 2030", 99, 3, 4, 1)  # created_ms is never changed
    assert store.cancelled_campaigns() == set()
    # Waiting records (queued, held as a duplicate) are cancelled; leased and unknown wait.
    assert store.cancel_campaign("c1", 50, "diundur", "campaign_cancelled") == 2
    c = store.get_campaign("c1")
    assert (c.cancelled_ms, c.cancel_reason) == (50, "diundur")
    assert [store.get_record(i).state for i in ids] == [
        RecordState.CANCELLED, RecordState.CANCELLED, RecordState.HELD, RecordState.LEASED]
    assert store.get_record(ids[0]).hold_reason == "campaign_cancelled"
    assert store.cancelled_campaigns() == {"c1"}
    assert [x.campaign_id for x in store.list_campaigns()] == ["c1"]


def test_person_groups(store):
    store.create_campaign(Campaign("c1", "x", created_ms=1))
    store.create_campaign(Campaign("c2", "x", created_ms=1))

    def rec(rid, key, campaign="c1"):
        return NewRecord(record_id=rid, campaign_id=campaign, nik=rid.ljust(16, "0"),
                         site_code=SITE, kategori="BARU", alasan="", payload=rid.encode(),
                         person_key=key)

    store.insert_records([rec("1", 7), rec("2", 7), rec("3", 8), rec("4", 0),
                          rec("5", 7, "c2")], 5)
    groups = store.person_groups(["1", "3", "4"])
    assert [(g[0], g[1], g[4]) for g in groups["1"]] == [("1", "c1", b"1"), ("2", "c1", b"2")]
    assert [g[0] for g in groups["3"]] == ["3"]
    assert [g[0] for g in groups["4"]] == ["4"]  # no key: a group of itself
    assert store.person_groups([]) == {}


def test_hold_person_duplicates_only_across_imports(store):
    """Person keys under different NIKs, one import (id prefix "new-") against the earlier
    ones: the queued records of such a person are held, nothing else."""
    store.create_campaign(Campaign("c1", "x", created_ms=1))
    store.create_campaign(Campaign("c2", "x", created_ms=1))

    def rec(rid, nik, key, campaign="c1"):
        return NewRecord(record_id=rid, campaign_id=campaign, nik=nik, site_code=SITE,
                         kategori="BARU", alasan="", payload=b"p", person_key=key)

    store.insert_records([
        rec("old-1", "1" * 16, 7),          # and new-1: same person, another NIK -> held
        rec("old-2", "2" * 16, 8),          # and old-3: a pair of one earlier import only
        rec("old-3", "3" * 16, 8),
        rec("old-4", "4" * 16, 0),          # no key (older records): never compared
        rec("new-1", "5" * 16, 7),
        rec("new-2", "6" * 16, 9),          # alone
        rec("new-4", "7" * 16, 0),
        rec("new-5", "8" * 16, 10, "c2"),   # the same key in another campaign: not compared
        rec("old-5", "9" * 16, 10),
    ], 5)
    assert store.hold_person_duplicates("c1", "new-", "possible_duplicate_person") == 2
    held = {v.record_id for v in store.held_records("c1")}
    assert held == {"old-1", "new-1"}
    assert store.get_record("old-1").hold_reason == "possible_duplicate_person"
    assert store.hold_person_duplicates("c1", "none-", "x") == 0


def test_records_by_nik_across_campaigns(store):
    """A NIK in several campaigns is found in each (migration 0005: no index on NIK alone)."""
    first = setup_records(store, 2, campaign="old")
    second = setup_records(store, 2, campaign="new")
    nik = make_records("old", 1)[0].nik
    assert sorted(v.record_id for v in store.records_by_nik(nik)) == sorted(
        [first[0], second[0]])
    assert [v.record_id for v in store.records_by_nik(nik, "new")] == [second[0]]
    assert store.records_by_nik("0" * 16) == []


def test_niks_printed_elsewhere(store):
    (rid,) = setup_records(store, 1, campaign="old")
    setup_records(store, 1, campaign="new")
    nik = make_records("old", 1)[0].nik
    assert store.niks_printed_elsewhere("new", [nik]) == set()
    store.set_record_state(rid, RecordState.PRINTED, printed_ms=9)
    assert store.niks_printed_elsewhere("new", [nik]) == {nik}
    assert store.niks_printed_elsewhere("old", [nik]) == set()


def test_next_queued_order_and_filters(store):
    store.create_campaign(Campaign("c1", "x", created_ms=1))
    recs = (make_records("c1", 2, kategori="PENGGANTIAN")
            + make_records("c1", 2, start=10, kategori="BARU"))
    urgent = make_records("c1", 1, start=20)[0]
    recs.append(NewRecord(**{**urgent.__dict__, "priority": 5}))
    store.insert_records(recs, 1)
    ids = [r.record_id for r in recs]
    rows = store.next_queued(SITE, 10)
    assert [r[0] for r in rows] == [ids[4], ids[0], ids[1], ids[2], ids[3]]
    assert rows[0][1:5] == ("c1", "BARU", 0, 5) and isinstance(rows[0][5], bytes)
    assert [r[0] for r in store.next_queued(SITE, 10, new_first=True)] == \
        [ids[4], ids[2], ids[3], ids[0], ids[1]]
    assert [r[0] for r in store.next_queued(SITE, 10, exclude_kategori=["PENGGANTIAN"])] == \
        [ids[4], ids[2], ids[3]]
    assert len(store.next_queued(SITE, 2)) == 2 and store.next_queued(OTHER, 5) == []
    store.set_record_state(ids[4], RecordState.HELD, hold_reason="adjudication")
    assert store.count_queued(SITE) == 4
    assert ids[4] not in [r[0] for r in store.next_queued(SITE, 10)]


def test_set_state_move_and_held(store):
    ids = setup_records(store, 4)
    store.set_record_state(ids[0], RecordState.HELD, hold_reason="unknown_outcome")
    store.set_record_state(ids[1], RecordState.LEASED, epoch=3)
    assert store.record_row(ids[1])[6] == 3
    store.set_record_state(ids[1], RecordState.PRINTED, printed_ms=77)
    assert store.record_row(ids[1])[3:8] == ("printed", "", "BARU", 3, 77)
    assert [v.record_id for v in store.held_records()] == [ids[0]]
    assert store.held_records("c1", OTHER) == []
    assert store.held_records(campaign_id="c1", site_code=SITE)[0].hold_reason == \
        "unknown_outcome"
    # Named records: queued or held move, a printed one does not.
    assert store.move_queued("c1", SITE, OTHER, [ids[0], ids[1], ids[2]]) == 2
    assert store.move_queued("c1", SITE, OTHER, []) == 1  # all queued: ids[3]
    assert store.count_queued(OTHER) == 2
    assert store.record_row(ids[0])[2] == OTHER


def test_bad_record_state_refused(store):
    (rid,) = setup_records(store, 1)
    with pytest.raises(StoreError):
        store.set_record_state(rid, "lost")  # type: ignore[arg-type]


# -- attempts ----------------------------------------------------------------------------------

def test_attempts_read_and_update(store):
    ids = setup_records(store, 3)
    lease(store, ids[0], "L1", leased_ms=10, expires=100)
    lease(store, ids[1], "L2", leased_ms=10, expires=200)
    lease(store, ids[2], "L3", agent="a2", leased_ms=11, expires=300)
    a = store.get_attempt("L1")
    assert (a.record_id, a.agent_id, a.epoch, a.expires_ms, a.state, a.kategori) == \
        (ids[0], "a1", 1, 100, A.LEASED, "BARU")
    assert store.get_attempt("nope") is None and store.find_attempt("nope") is None
    assert [x.lease_id for x in store.active_attempts("a1")] == ["L1", "L2"]
    store.update_attempt("L1", A.PRINTING, 20, attempt_id="att-1", printer_id="p1",
                         blank_serial="B1")
    a = store.get_attempt("L1")
    assert (a.state, a.attempt_id, a.printer_id, a.blank_serial, a.updated_ms) == \
        (A.PRINTING, "att-1", "p1", "B1", 20)
    assert store.find_attempt("att-1").lease_id == "L1"
    assert store.find_attempt("L2").lease_id == "L2"
    assert [x.lease_id for x in store.leased_expired_before(250)] == ["L2"]
    assert len(store.leased_expired_before(1_000, limit=1)) == 1
    assert store.count_attempts(states=[A.LEASED, A.PRINTING]) == 3
    assert store.count_attempts(site_code=SITE, states=[A.LEASED]) == 2
    assert store.count_attempts(campaign_id="c1", kategori="BARU", states=[A.PRINTING]) == 1
    assert store.count_attempts(campaign_id="x", states=[A.LEASED]) == 0
    store.update_attempt("L1", A.PRINTED, 30)
    store.update_attempt("L2", A.FAILED_BEFORE_CARD, 30, reason="offline")
    assert [x.lease_id for x in store.active_attempts("a1")] == []
    assert [x.state for x in store.attempts_of_record(ids[0])] == [A.PRINTED]
    assert store.get_attempt("L2").reason == "offline"
    with pytest.raises(StoreError):  # one attempt per lease id
        lease(store, ids[0], "L1")


def test_attempt_totals_follow_every_write(store):
    """The totals a grant reads (site_blanks, count_attempts) move with each attempt written,
    inside the transaction before its commit, and not with a savepoint rolled back."""
    ids = setup_records(store, 4)
    blanks_used = lambda: (lambda b: (b.in_flight, b.printed, b.spoiled))(  # noqa: E731
        store.site_blanks(SITE))
    with store.transaction():
        lease(store, ids[0], "L1")
        store.lease_records([Attempt(lease_id=f"L{i + 2}", record_id=rid, campaign_id="c1",
                                     site_code=SITE, agent_id="a1", epoch=1, expires_ms=99,
                                     state=A.LEASED, kategori="BARU", updated_ms=10)
                             for i, rid in enumerate(ids[1:])], 10)
        assert store.count_attempts(site_code=SITE, states=[A.LEASED]) == 4  # not yet committed
        was = [store.get_attempt("L1"), store.get_attempt("L2")]
        store.write_reports([("L1", "printed", 20, None, "t1", "p1", "B1"),
                             ("L2", "printing", 20, None, "t2", "p1", "B2")],
                            [(ids[0], "printed", "", 20)], [], was)
        assert blanks_used() == (1, 1, 0)
        with pytest.raises(StoreError):
            with store.transaction():  # a refused call takes its changes to the totals along
                store.update_attempt("L3", A.SPOILED, 30, reason="jam")
                assert blanks_used() == (1, 1, 1)
                lease(store, ids[0], "L1")  # duplicate lease id: refused
        assert blanks_used() == (1, 1, 0)
    assert blanks_used() == (1, 1, 0)
    store.update_attempt("L2", A.SPOILED, 40, reason="jam")
    store.update_attempt("L3", A.FAILED_BEFORE_CARD, 40, reason="offline")
    assert blanks_used() == (0, 1, 1)
    assert store.count_attempts(site_code=SITE, states=[A.LEASED]) == 1
    blanks, leased, held_by_agent = store.grant_inputs(SITE, "a1")  # the same in one read
    assert blanks == store.site_blanks(SITE) and (leased, held_by_agent) == (1, 1)
    assert store.grant_inputs(SITE, "nobody")[2] == 0
    assert store.count_attempts(campaign_id="c1", kategori="BARU",
                                states=[A.PRINTED, A.SPOILED, A.LEASED]) == 3
    assert store.count_attempts(campaign_id="c1", kategori="PENGGANTIAN",
                                states=[A.PRINTED]) == 0
    with pytest.raises(RuntimeError):
        with store.transaction():  # a whole transaction rolled back: nothing kept
            store.update_attempt("L4", A.PRINTING, 50)
            raise RuntimeError("boom")
    assert store.count_attempts(states=[A.PRINTING]) == 0
    assert store.attempt_totals_drift() == []


def test_attempt_totals_drift_is_reported(store):
    from cetak.controller.verify import verify_store

    ids = setup_records(store, 2)
    lease(store, ids[0], "L1")
    lease(store, ids[1], "L2")
    assert verify_store(store).ok
    with store.transaction():  # a hand edit of the file
        store.connection.execute("UPDATE attempt_totals SET n = n + 5 WHERE state = 'leased'")
    assert store.attempt_totals_drift() == [(SITE, "c1", "BARU", "leased", 7, 2)]
    report = verify_store(store)
    assert [(v.invariant, v.subject) for v in report.violations] == [("attempt_totals", SITE)]
    assert "keeps 7, attempts counted 2" in report.violations[0].detail
    with store.transaction():  # the admin's repair (campaign verify --recount-totals)
        store.recount_attempt_totals()
    assert store.attempt_totals_drift() == [] and verify_store(store).ok
    assert store.count_attempts(site_code=SITE, states=[A.LEASED]) == 2


def test_one_printed_attempt_per_record(store):
    (rid,) = setup_records(store, 1)
    lease(store, rid, "L1", epoch=1)
    store.update_attempt("L1", A.PRINTED, 20)
    lease(store, rid, "L2", epoch=2, leased_ms=30)
    with pytest.raises(StoreError):
        store.update_attempt("L2", A.PRINTED, 40)
    store.update_attempt("L2", A.SPOILED, 40)  # other outcomes are fine
    assert [a.lease_id for a in store.attempts_of_record(rid)] == ["L1", "L2"]
    assert store.printed_attempt_counts() == []


ALLOWED = [(A.LEASED, s) for s in (A.PRINTING, A.PRINTED, A.SPOILED, A.FAILED_BEFORE_CARD,
                                   A.UNKNOWN)] + \
          [(A.PRINTING, s) for s in (A.PRINTED, A.SPOILED, A.UNKNOWN)] + \
          [(A.UNKNOWN, s) for s in (A.PRINTED, A.SPOILED, A.FAILED_BEFORE_CARD)]
REFUSED = [(A.PRINTING, A.LEASED), (A.PRINTING, A.FAILED_BEFORE_CARD), (A.PRINTED, A.LEASED),
           (A.PRINTED, A.SPOILED), (A.PRINTED, A.UNKNOWN), (A.SPOILED, A.PRINTED),
           (A.SPOILED, A.LEASED), (A.FAILED_BEFORE_CARD, A.PRINTED),
           (A.FAILED_BEFORE_CARD, A.LEASED), (A.UNKNOWN, A.LEASED), (A.UNKNOWN, A.PRINTING)]
PATH = {A.LEASED: [], A.PRINTING: [A.PRINTING], A.PRINTED: [A.PRINTED],
        A.SPOILED: [A.SPOILED], A.FAILED_BEFORE_CARD: [A.FAILED_BEFORE_CARD],
        A.UNKNOWN: [A.UNKNOWN]}


def test_transition_trigger(store):
    pairs = [(f, t, True) for f, t in ALLOWED] + [(f, t, False) for f, t in REFUSED]
    ids = setup_records(store, len(pairs))
    for i, (start, to, allowed) in enumerate(pairs):
        lease(store, ids[i], f"L{i}")
        for step in PATH[start]:
            store.update_attempt(f"L{i}", step, 15)
        if allowed:
            store.update_attempt(f"L{i}", to, 20)
            assert store.get_attempt(f"L{i}").state == to
        else:
            with pytest.raises(StoreError):
                store.update_attempt(f"L{i}", to, 20)
            assert store.get_attempt(f"L{i}").state == start
    # Same state again is not a transition: allowed (e.g. a reason update).
    store.update_attempt("L0", A.PRINTING, 30, reason="again")


def test_attempt_identity_is_immutable(store):
    (rid,) = setup_records(store, 1)
    lease(store, rid, "L1")
    assert refused(store, "UPDATE attempts SET epoch = 9 WHERE lease_id = 'L1'")
    assert refused(store, "UPDATE attempts SET agent_id = 'x' WHERE lease_id = 'L1'")
    assert store.get_attempt("L1").epoch == 1


# -- events ------------------------------------------------------------------------------------

def test_events(store):
    assert store.event_status("a1", "e1") is None
    store.record_event("a1", "e1", "applied", "", 5)
    assert tuple(store.event_status("a1", "e1")) == ("applied", "")
    store.record_event("a2", "e1", "flagged", "x", 5)  # ids are per agent
    with pytest.raises(StoreError):
        store.record_event("a1", "e1", "applied", "", 6)
    store.flag_event("a1", "e9", "L1", "r1", 3, "printed", "stale_epoch", "stale_epoch: x", 7)
    store.flag_event("a1", "e10", "L1", "r1", 3, "printed", "bad", "bad: y", 8)
    flagged = store.flagged_events()
    assert [f["event_id"] for f in flagged] == ["e9", "e10"]
    assert flagged[0] | {"id": 0} == dict(id=0, agent_id="a1", event_id="e9", lease_id="L1",
                                          record_id="r1", epoch=3, state="printed",
                                          reason="stale_epoch", detail="stale_epoch: x",
                                          flagged_ms=7, reviewed=0)
    assert len(store.flagged_events(only_unreviewed=False)) == 2


# -- inventory ---------------------------------------------------------------------------------

def test_inventory_and_blanks(store):
    (r1, r2, r3, r4) = setup_records(store, 4)
    store.add_movement(InventoryMovement("m1", SITE, "blank", "receive", 10, "B0", "B9",
                                         "DO-1", "", 1))
    store.add_movement(InventoryMovement("m2", SITE, "blank", "transfer_out", 2,
                                         counterpart_site=OTHER, at_ms=2))
    store.add_movement(InventoryMovement("m3", OTHER, "blank", "transfer_in", 2, at_ms=2))
    store.add_movement(InventoryMovement("m4", SITE, "ribbon", "receive", 3, at_ms=3))
    with pytest.raises(StoreError):
        store.add_movement(InventoryMovement("m1", SITE, "blank", "receive", 1))
    with pytest.raises(StoreError):
        store.add_movement(InventoryMovement("m5", SITE, "blank", "receive", -1))
    with pytest.raises(StoreError):
        store.add_movement(InventoryMovement("m6", SITE, "toner", "receive", 1))
    for i, (rid, state) in enumerate([(r1, A.PRINTED), (r2, A.SPOILED), (r3, A.UNKNOWN),
                                      (r4, A.PRINTING)]):
        lease(store, rid, f"L{i}")
        store.update_attempt(f"L{i}", state, 9)
    store.add_movement(InventoryMovement("m7", SITE, "blank", "destroy", 1, at_ms=4))
    b = store.site_blanks(SITE)
    assert (b.received, b.transferred_in, b.transferred_out, b.printed, b.spoiled, b.unknown,
            b.in_flight, b.destroyed, b.in_stock) == (10, 0, 2, 1, 1, 1, 1, 1, 4)
    assert isinstance(b.received, int) and store.site_blanks(OTHER).in_stock == 2
    assert [m.movement_id for m in store.movements(SITE)] == ["m1", "m2", "m4", "m7"]
    assert store.movements()[0] == InventoryMovement("m1", SITE, "blank", "receive", 10, "B0",
                                                     "B9", "DO-1", "", 1)
    store.upsert_site("S9", "nine")
    assert store.inventory_sites() == sorted([SITE, OTHER, "S9"])
    # Append-only, in the database itself.
    assert refused(store, "UPDATE inventory_movements SET quantity = 99")
    assert refused(store, "DELETE FROM inventory_movements")
    assert store.site_blanks(SITE).received == 10


# -- agents and printers -----------------------------------------------------------------------

def test_agents_and_printers(store):
    assert store.agent_site("a1") is None
    store.upsert_agent("a1", SITE, "1.0", 4.0, 10)
    store.upsert_agent("a0", OTHER, "1.0", 2.5, 11)
    store.upsert_agent("a1", SITE, "1.1", 3.0, 12)
    assert store.agent_site("a1") == SITE
    store.set_agent_connected("a0", False, 20)
    assert store.agents() == [
        dict(agent_id="a0", site_code=OTHER, connected=0, last_seen_ms=20, software="1.0",
             window_hours=2.5),
        dict(agent_id="a1", site_code=SITE, connected=1, last_seen_ms=12, software="1.1",
             window_hours=3.0)]
    store.upsert_printer("a1", "p1", SITE, b"info", 120.0, 10, "Evolis Avansia", True)
    store.upsert_printer("a1", "p2", SITE, b"info2", 60.0, 10, "Evolis Primacy", False)
    store.upsert_printer("a1", "p1", SITE, b"info1", 150.0, 11)  # its kind no longer said
    store.upsert_printer("zz", "p1", OTHER, b"x", 10.0, 11)  # an agent never seen
    store.set_printer_status("a1", "p2", b"status", 12)
    rows = store.printers(SITE)
    assert rows == [
        dict(agent_id="a1", printer_id="p1", site_code=SITE, info=b"info1", status=None,
             cards_per_hour=150.0, connected=1, model="", retransfer=None),
        dict(agent_id="a1", printer_id="p2", site_code=SITE, info=b"info2", status=b"status",
             cards_per_hour=60.0, connected=1, model="Evolis Primacy", retransfer=0)]
    assert [r["agent_id"] for r in store.printers()] == ["a1", "a1", "zz"]
    assert store.printers()[2]["connected"] == 0
    assert store.site_cards_per_hour(SITE) == 210.0
    assert store.site_cards_per_hour(OTHER) == 0.0


def test_blanks_fed_per_printer_and_their_serials(store):
    ids = setup_records(store, 4) + setup_records(store, 1, site=OTHER, start=50)
    for i, (rid, state) in enumerate(zip(ids, (A.PRINTED, A.SPOILED, A.FAILED_BEFORE_CARD,
                                               A.PRINTED, A.UNKNOWN), strict=True)):
        site = OTHER if i == 4 else SITE
        lease(store, rid, f"L{i}", agent="a2" if i == 4 else "a1", site=site)
        store.update_attempt(f"L{i}", state, 20, printer_id="p2" if i == 3 else "p1",
                             blank_serial="" if i == 4 else f"KTP000{i}")
    lease(store, setup_records(store, 1, start=90)[0], "L9")  # leased: nothing fed yet
    assert sorted(store.blanks_fed_by_printer()) == [
        (SITE, "a1", "p1", 2), (SITE, "a1", "p2", 1), (OTHER, "a2", "p1", 1)]
    assert sorted(store.blanks_fed_by_printer(OTHER)) == [(OTHER, "a2", "p1", 1)]
    assert sorted(store.used_serials_by_site()) == [
        (SITE, "KTP0000"), (SITE, "KTP0001"), (SITE, "KTP0003")]


# -- reporting ---------------------------------------------------------------------------------

def test_reporting(store):
    ids = setup_records(store, 4) + setup_records(store, 1, site=OTHER, start=50)
    lease(store, ids[0], "L0", leased_ms=10)
    store.update_attempt("L0", A.PRINTED, 100)
    store.set_record_state(ids[0], RecordState.PRINTED, printed_ms=100)
    lease(store, ids[1], "L1")
    assert sorted(store.record_counts("c1")) == [(SITE, "leased", 1), (SITE, "printed", 1),
                                                 (SITE, "queued", 2), (OTHER, "queued", 1)]
    assert sorted(store.attempt_counts("c1")) == [(SITE, "leased", 1), (SITE, "printed", 1)]
    assert store.printed_since("c1", 50) == [(SITE, 1)]
    assert store.printed_since("c1", 101) == []
    assert store.records_without_final_state("c1") == 0
    assert store.inconsistent_records() == []
    # Damage two records behind the ledger's back: both are reported.
    store.set_record_state(ids[2], RecordState.LEASED)
    store.set_record_state(ids[0], RecordState.QUEUED)
    assert sorted(p[2] for p in store.inconsistent_records()) == [
        "leased record without an active lease", "printed attempt but record not printed"]


# -- transactions and migrations ---------------------------------------------------------------

def test_savepoints_roll_back_alone(store):
    store.create_campaign(Campaign("c1", "x", created_ms=1))
    with store.transaction():
        store.upsert_site("S1", "kept")
        with pytest.raises(StoreError):
            with store.transaction():
                store.upsert_site("S2", "rolled back with its savepoint")
                store.create_campaign(Campaign("c1", "duplicate"))
        with store.transaction():
            store.upsert_site("S3", "kept too")
    assert [s["site_code"] for s in store.list_sites()] == ["S1", "S3"]
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert_site("S4", "all of it goes")
            with store.transaction():
                store.upsert_site("S5", "released savepoint, outer rollback")
            raise RuntimeError("boom")
    assert [s["site_code"] for s in store.list_sites()] == ["S1", "S3"]
    with store.transaction():  # the connection is usable after all that
        store.upsert_site("S6", "after")
    assert len(store.list_sites()) == 3


def test_nested_levels_as_the_dispatch_path_opens_them(store):
    """Group, call and ledger levels: empty levels, siblings with the same depth, a failure
    after a released sibling (PostgreSQL sends BEGIN, SAVEPOINT and RELEASE with the next
    statement: every order of them must mean what it says)."""
    store.create_campaign(Campaign("c1", "x", created_ms=1))
    with store.transaction():  # nothing at all inside
        with store.transaction():
            pass
    with store.transaction():                      # the group
        with store.transaction():                  # a call
            with store.transaction():              # a ledger method: nothing ran
                pass
            with store.transaction():              # another: kept
                store.upsert_site("A", "kept")
        with pytest.raises(RuntimeError):
            with store.transaction():              # a call that fails in Python ...
                with store.transaction():
                    store.upsert_site("B", "released, then undone with its caller")
                with store.transaction():
                    raise RuntimeError("refused")  # ... after a released sibling
        with pytest.raises(StoreError):
            with store.transaction():              # a call that fails in the database
                with store.transaction():
                    store.upsert_site("C", "undone")
                store.create_campaign(Campaign("c1", "duplicate"))
        with store.transaction():
            with store.transaction():
                store.upsert_site("D", "kept after the failures")
    assert [s["site_code"] for s in store.list_sites()] == ["A", "D"]


def test_migrations_are_idempotent(store_factory):
    first = store_factory()
    first.create_campaign(Campaign("c1", "x", created_ms=1))
    second = store_factory()  # opening again applies nothing and keeps the data
    assert second.get_campaign("c1") is not None
    if first.kind == "sqlite":
        from cetak.controller.store.migrations import apply_migrations, migration_files
    else:
        from cetak.controller.store.postgres import apply_migrations, migration_files
    assert apply_migrations(second.connection) == []
    rows = second.connection.execute("SELECT version, name FROM schema_migrations "
                                     "ORDER BY version").fetchall()
    assert [tuple(r) for r in rows] == [(v, n) for v, n, _ in migration_files()]
    assert rows[0] == (1, "0001_initial.sql")


def test_migration_versions_match():
    from cetak.controller.store.migrations import migration_files as sqlite_files
    from cetak.controller.store.postgres import migration_files as pg_files

    assert [(v, n) for v, n, _ in sqlite_files()] == [(v, n) for v, n, _ in pg_files()]


def test_public_methods_match():
    pytest.importorskip("psycopg")
    from cetak.controller.store import SqliteStore
    from cetak.controller.store.postgres import PostgresStore

    def public(cls):
        return {n for n in dir(cls) if not n.startswith("_")}

    missing = public(SqliteStore) - public(PostgresStore)
    assert not missing, f"PostgresStore lacks {sorted(missing)}"


def test_audit_log_in_the_store(store):
    from cetak.controller.audit import audit_log_for

    log = audit_log_for(store)
    with store.transaction():
        log.record("ledger", "campaign.create", detail={"campaign_id": "c1"})
    with pytest.raises(RuntimeError):
        with store.transaction():
            log.record("ledger", "rolled.back")
            raise RuntimeError("the change failed, its entry goes with it")
    with store.transaction():
        entry = log.record("ledger", "records.add", detail={"count": 3})
    assert entry.seq == 2 and log.verify() == []
    assert refused(store, "DELETE FROM audit_log")


def _store_written_before(version, tmp_path, monkeypatch, rows):
    """A SqliteStore over a file first migrated only below `version`, given campaign 'c1' and
    `rows` (sql, args) there, then opened with every migration."""
    import sqlite3 as sq

    from cetak.controller.store import SqliteStore, migrations

    every = migrations.migration_files()
    monkeypatch.setattr(migrations, "migration_files",
                        lambda: [m for m in every if m[0] < version])
    conn = sq.connect(tmp_path / "old.sqlite", isolation_level=None)
    migrations.apply_migrations(conn)
    conn.execute("INSERT INTO campaigns (campaign_id, name, created_ms) VALUES ('c1', 'x', 1)")
    for sql, args in rows:
        conn.execute(sql, args)
    conn.close()
    monkeypatch.setattr(migrations, "migration_files", lambda: every)
    return SqliteStore(tmp_path / "old.sqlite")


_OLD_RECORD = ("INSERT INTO records (record_id, campaign_id, nik, site_code, kategori, prr_seq, "
               "state, payload, imported_ms) VALUES (?, 'c1', ?, ?, 'BARU', ?, ?, x'00', 1)")


def test_migration_0007_counts_the_attempts_already_there(tmp_path, monkeypatch):
    """A store written before the totals existed gets them from its attempts."""
    rows = []
    for i, state in enumerate(("printed", "printed", "leased")):
        rows.append((_OLD_RECORD, (f"r{i}", f"{i:016d}", SITE, i, "leased")))
        rows.append(("INSERT INTO attempts (lease_id, record_id, campaign_id, site_code, "
                     "agent_id, epoch, expires_ms, state, kategori, leased_ms, updated_ms) "
                     "VALUES (?, ?, 'c1', ?, 'a1', 1, 9, ?, 'BARU', 1, 1)",
                     (f"L{i}", f"r{i}", SITE, state)))
    store = _store_written_before(7, tmp_path, monkeypatch, rows)
    try:
        assert store.site_blanks(SITE).printed == 2
        assert store.count_attempts(site_code=SITE, states=[A.LEASED]) == 1
        assert store.attempt_totals_drift() == []
    finally:
        store.close()


def test_migration_0008_numbers_new_records_after_the_old_ones(tmp_path, monkeypatch):
    """The import-order counter starts after the records already there."""
    store = _store_written_before(8, tmp_path, monkeypatch, [
        (_OLD_RECORD, (f"r{seq}", f"{seq:016d}", SITE, seq, "queued")) for seq in (3, 41)])
    try:
        with store.transaction():
            store.queue_records("c1", [(f"n{i}", f"{100 + i:016d}", SITE, "BARU", "", b"x", 0)
                                       for i in range(3)], 2)
            store.insert_records(make_records("c1", 2, start=500), 2)
        seqs = [r for (r,) in store.connection.execute(
            "SELECT prr_seq FROM records ORDER BY prr_seq")]
        assert seqs == [3, 41, 42, 43, 44, 45, 46]
        names = {n for (n,) in store.connection.execute(
            "SELECT name FROM sqlite_master WHERE type='index'")}
        assert "records_seq" not in names
    finally:
        store.close()


def test_migration_0009_keeps_the_sites_and_gives_them_no_holidays(tmp_path, monkeypatch):
    """Sites registered before the registry had holidays and printers keep what they had."""
    store = _store_written_before(9, tmp_path, monkeypatch, [(
        "INSERT INTO sites VALUES (?, 'Depok', 'Pancoran Mas', ?, 120, 'Asia/Jakarta')",
        (SITE, '[{"weekday": 0, "start_minute": 480, "end_minute": 960}]'))])
    try:
        assert store.list_sites() == [dict(
            site_code=SITE, name="Depok", kecamatan="Pancoran Mas",
            calendar=[dict(weekday=0, start_minute=480, end_minute=960)],
            overtime_cap_minutes=120, timezone="Asia/Jakarta", holidays=[],
            printers_expected=0)]
    finally:
        store.close()


def test_sqlite_too_old_for_the_hot_path_is_refused_by_name(tmp_path, monkeypatch):
    import sqlite3 as sq

    from cetak.controller.store import SqliteStore

    monkeypatch.setattr(sq, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sq, "sqlite_version", "3.31.1")
    with pytest.raises(StoreError, match=r"SQLite 3\.33\.0 or newer is needed; this Python "
                                         r"has 3\.31\.1"):
        SqliteStore(tmp_path / "x.sqlite")
    assert not (tmp_path / "x.sqlite").exists()  # nothing written
