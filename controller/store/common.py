"""The part of the store both databases run as written.

`SqlStore` holds the methods whose SQL is the same for SQLite and PostgreSQL: written once,
with `%s` placeholders, run through the store's `_q` (rows) and `_x` (row count), which the
SQLite store reads with `?` placeholders (`qmark`). Methods whose SQL differs (row locks,
arrays, casts, the hot path's batched and pipelined writes) stay in each store.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator

from ..model import (
    Attempt,
    AttemptState,
    Campaign,
    InventoryMovement,
    RecordState,
    RecordView,
    SiteBlanks,
)
from .errors import StoreError

ATTEMPT_COLUMNS = ("lease_id, record_id, campaign_id, site_code, agent_id, epoch, expires_ms, "
                   "state, reason, attempt_id, printer_id, blank_serial, kategori, updated_ms")

# Records of one person key under different NIKs, some from one import (ids starting with a
# prefix) and some from before it: every queued one of them is held. CASE, not booleans, so
# both databases read it the same.
HOLD_PERSON_DUPLICATES = (
    "UPDATE records SET state='held', hold_reason=%s WHERE campaign_id=%s AND state='queued' "
    "AND person_key IN (SELECT person_key FROM records WHERE campaign_id=%s AND person_key<>0 "
    "GROUP BY person_key HAVING COUNT(DISTINCT nik) > 1 "
    "AND MAX(CASE WHEN substr(record_id, 1, %s)=%s THEN 1 ELSE 0 END) = 1 "
    "AND MIN(CASE WHEN substr(record_id, 1, %s)=%s THEN 1 ELSE 0 END) = 0)")


# Totals of attempts per (site, campaign, category, state), kept by the store as it writes
# attempts: what a grant checks (the blanks a site has used, a category's budget spent) is a
# few rows read instead of every attempt counted, which grew with every card printed.
ADD_ATTEMPT_TOTALS = (
    "INSERT INTO attempt_totals (site_code, campaign_id, kategori, state, n) "
    "VALUES (%s,%s,%s,%s,%s) ON CONFLICT (site_code, campaign_id, kategori, state) "
    "DO UPDATE SET n = attempt_totals.n + excluded.n")


# What the totals must equal (verify recounts with it, the repair writes it).
COUNT_ATTEMPTS_BY_KEY = ("SELECT site_code, campaign_id, kategori, state, COUNT(*) FROM attempts "
                         "GROUP BY site_code, campaign_id, kategori, state")


def attempt_row(a: Attempt, leased_ms: int) -> tuple:
    """An attempt as inserted: ATTEMPT_COLUMNS, then leased_ms."""
    return (a.lease_id, a.record_id, a.campaign_id, a.site_code, a.agent_id, a.epoch,
            a.expires_ms, str(a.state), a.reason, a.attempt_id, a.printer_id, a.blank_serial,
            a.kategori, a.updated_ms, leased_ms)


class PendingTotals:
    """The open transaction's changes to the attempt totals, written as its last statements
    before COMMIT (after the commit hooks), in key order: a transaction holding their row
    locks then waits only for other totals, taken in the same order by every replica, so no
    deadlock runs through them; and the hot path writes one row per key per commit, not one
    per attempt. A savepoint rolled back takes its changes with it (`mark`, `rollback_to`)."""

    def __init__(self) -> None:
        self._log: list[tuple[str, str, str, str, int]] = []
        # site -> (campaign, kategori, state) -> change: what reads in the transaction add
        self.by_site: dict[str, dict[tuple[str, str, str], int]] = {}

    def add(self, site_code: str, campaign_id: str, kategori: str, state: str, n: int) -> None:
        self._log.append((site_code, campaign_id, kategori, state, n))
        per_site = self.by_site.setdefault(site_code, {})
        key = (campaign_id, kategori, state)
        per_site[key] = per_site.get(key, 0) + n

    def mark(self) -> int:
        return len(self._log)

    def rollback_to(self, mark: int) -> None:
        for site_code, campaign_id, kategori, state, n in self._log[mark:]:
            self.by_site[site_code][(campaign_id, kategori, state)] -= n
        del self._log[mark:]

    def rows(self) -> Iterator[tuple[str, str, str, str, int]]:
        """The net changes: (site, campaign, kategori, state, change), none of them 0."""
        for site, per_site in self.by_site.items():
            for (campaign, kategori, state), n in per_site.items():
                if n:
                    yield site, campaign, kategori, state, n

    def take(self) -> list[tuple[str, str, str, str, int]]:
        """The net changes, in key order, and forget them."""
        rows = sorted(self.rows())
        self.clear()
        return rows

    def clear(self) -> None:
        self._log.clear()
        self.by_site.clear()


def run_commit_hooks(hooks: list) -> None:
    # A hook may register another (an audit entry written by a hook): run until none is new.
    done = 0
    while done < len(hooks):
        hooks[done][0]()
        done += 1


def drop_commit_hooks(hooks: list) -> None:
    pending, hooks[:] = list(hooks), []
    for _before, rollback in pending:
        rollback()


@functools.lru_cache(maxsize=1024)
def qmark(sql: str) -> str:
    """`sql` with `%s` placeholders as SQLite's `?` (the texts are the code's, a few hundred)."""
    return sql.replace("%s", "?")


class SqlStore:
    """Shared methods; a store provides `_q(sql, args)`, `_x(sql, args)`, `get_record`,
    `_depth`, `_commit_hooks`, `_totals` and `_xmany(sql, rows)`."""

    _depth: int
    _commit_hooks: list[tuple[Callable[[], None], Callable[[], None]]]
    _totals: PendingTotals

    def _xmany(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def _q(self, sql: str, args: Iterable = ()) -> list[tuple]:
        raise NotImplementedError

    def _x(self, sql: str, args: Iterable = ()) -> int:
        raise NotImplementedError

    def get_record(self, record_id: str) -> RecordView | None:
        raise NotImplementedError

    def hold_person_duplicates(self, campaign_id: str, id_prefix: str, hold_reason: str) -> int:
        """Hold the queued records of every person key in a campaign that has records under
        different NIKs both among the ids starting with `id_prefix` (one import) and outside
        them (earlier imports); the count held. One pass over the campaign's records."""
        return self._x(HOLD_PERSON_DUPLICATES,
                       (hold_reason, campaign_id, campaign_id, len(id_prefix), id_prefix,
                        len(id_prefix), id_prefix))

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def on_commit(self, before: Callable[[], None], rollback: Callable[[], None]) -> None:
        """Run `before` inside the outermost open transaction just before it commits, or
        `rollback` if it rolls back instead (the ledger writes its batched audit entry so:
        one chained entry per commit, in the commit it describes)."""
        if self._depth == 0:
            raise StoreError("on_commit needs an open transaction")
        if (before, rollback) not in self._commit_hooks:
            self._commit_hooks.append((before, rollback))

    def create_campaign(self, c: Campaign) -> None:
        self._x("INSERT INTO campaigns (campaign_id, name, deadline_ms, budget_baru, "
                "budget_penggantian, created_ms) VALUES (%s,%s,%s,%s,%s,%s)",
                (c.campaign_id, c.name, c.deadline_ms, c.budget_baru, c.budget_penggantian,
                 c.created_ms))

    _CAMPAIGN_COLUMNS = ("campaign_id, name, deadline_ms, budget_baru, budget_penggantian, "
                         "created_ms, cancelled_ms, cancel_reason")

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        rows = self._q(f"SELECT {self._CAMPAIGN_COLUMNS} FROM campaigns WHERE campaign_id=%s",
                       (campaign_id,))
        return Campaign(*rows[0]) if rows else None

    def list_campaigns(self) -> list[Campaign]:
        return [Campaign(*r) for r in self._q(
            f"SELECT {self._CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_ms, campaign_id")]

    def update_campaign(self, c: Campaign) -> None:
        """Write a campaign's name, deadline and budgets as `c` has them."""
        self._x("UPDATE campaigns SET name=%s, deadline_ms=%s, budget_baru=%s, "
                "budget_penggantian=%s WHERE campaign_id=%s",
                (c.name, c.deadline_ms, c.budget_baru, c.budget_penggantian, c.campaign_id))

    def cancel_campaign(self, campaign_id: str, now_ms: int, reason: str,
                        hold_reason: str) -> int:
        """Mark the campaign cancelled and cancel its records that wait (queued, or held as a
        possible duplicate); the count cancelled. Records leased or held for an unknown
        outcome are left to finish or be resolved (the ledger then cancels them)."""
        self._x("UPDATE campaigns SET cancelled_ms=%s, cancel_reason=%s WHERE campaign_id=%s",
                (now_ms, reason, campaign_id))
        return self._x("UPDATE records SET state='cancelled', hold_reason=%s "
                       "WHERE campaign_id=%s AND (state='queued' OR (state='held' AND "
                       "hold_reason<>'unknown_outcome'))", (hold_reason, campaign_id))

    def cancelled_campaigns(self) -> set[str]:
        return {r[0] for r in self._q("SELECT campaign_id FROM campaigns WHERE cancelled_ms<>0")}

    _SITE_COLUMNS = ("site_code, name, kecamatan, calendar_json, overtime_cap_minutes, timezone, "
                     "holidays_json, printers_expected")

    @staticmethod
    def _site(r) -> dict:
        return dict(site_code=r[0], name=r[1], kecamatan=r[2], calendar=json.loads(r[3]),
                    overtime_cap_minutes=r[4], timezone=r[5], holidays=json.loads(r[6]),
                    printers_expected=r[7])

    def list_sites(self) -> list[dict]:
        return [self._site(r) for r in self._q(
            f"SELECT {self._SITE_COLUMNS} FROM sites ORDER BY site_code")]

    def get_site(self, site_code: str) -> dict | None:
        """One site as list_sites gives it, or None."""
        rows = self._q(f"SELECT {self._SITE_COLUMNS} FROM sites WHERE site_code=%s",
                       (site_code,))
        return self._site(rows[0]) if rows else None

    def set_record_state(self, record_id: str, state: RecordState, *, hold_reason: str = "",
                         epoch: int | None = None, printed_ms: int | None = None) -> None:
        sets = ["state=%s", "hold_reason=%s"]
        args: list = [str(state), hold_reason]
        if epoch is not None:
            sets.append("epoch=%s")
            args.append(epoch)
        if printed_ms is not None:
            sets.append("printed_ms=%s")
            args.append(printed_ms)
        self._x(f"UPDATE records SET {', '.join(sets)} WHERE record_id=%s", (*args, record_id))

    def held_records(self, campaign_id: str = "", site_code: str = "") -> list[RecordView]:
        sql, args = "SELECT record_id FROM records WHERE state='held'", []
        if campaign_id:
            sql += " AND campaign_id=%s"
            args.append(campaign_id)
        if site_code:
            sql += " AND site_code=%s"
            args.append(site_code)
        return [v for (rid,) in self._q(sql + " ORDER BY prr_seq", args)
                if (v := self.get_record(rid)) is not None]

    def person_groups(self, record_ids: list[str]
                      ) -> dict[str, list[tuple[str, str, str, str, bytes]]]:
        """For each of `record_ids`, every record of the same person (person key) in its
        campaign, itself included (alone when it has no key): (record_id, campaign_id,
        site_code, state, payload) in import order. One scan of each campaign involved
        (person_key has no index)."""
        keys: dict[tuple[str, int], list[str]] = {}
        out: dict[str, list[tuple[str, str, str, str, bytes]]] = {
            rid: [] for rid in record_ids}
        for i in range(0, len(record_ids), 500):
            chunk = record_ids[i:i + 500]
            for rid, campaign_id, site_code, state, payload, key in self._q(
                    "SELECT record_id, campaign_id, site_code, state, payload, person_key "
                    f"FROM records WHERE record_id IN ({','.join(['%s'] * len(chunk))})",
                    chunk):
                if key:
                    keys.setdefault((campaign_id, key), []).append(rid)
                else:  # no key (older records): a group of itself
                    out[rid].append((rid, campaign_id, site_code, state, bytes(payload)))
        by_campaign: dict[str, set[int]] = {}
        for campaign_id, key in keys:
            by_campaign.setdefault(campaign_id, set()).add(key)
        for campaign_id, wanted in by_campaign.items():
            for rid, site_code, state, payload, key in self._q(
                    "SELECT record_id, site_code, state, payload, person_key FROM records "
                    "WHERE campaign_id=%s AND person_key<>0 ORDER BY prr_seq", (campaign_id,)):
                if key in wanted:
                    for member in keys[(campaign_id, key)]:
                        out[member].append((rid, campaign_id, site_code, state,
                                            bytes(payload)))
        return out

    def insert_attempt(self, a: Attempt, leased_ms: int) -> None:
        self._x(f"INSERT INTO attempts ({ATTEMPT_COLUMNS}, leased_ms) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", attempt_row(a, leased_ms))
        self._leased([a])

    def update_attempt(self, lease_id: str, state: AttemptState, now_ms: int, *,
                       reason: str | None = None, attempt_id: str | None = None,
                       printer_id: str | None = None, blank_serial: str | None = None,
                       evidence: str | None = None) -> None:
        sets, args = ["state=%s", "updated_ms=%s"], [str(state), now_ms]
        for column, value in (("reason", reason), ("attempt_id", attempt_id),
                              ("printer_id", printer_id), ("blank_serial", blank_serial),
                              ("evidence", evidence)):
            if value is not None:
                sets.append(f"{column}=%s")
                args.append(value)
        was = self._q("SELECT site_code, campaign_id, kategori, state FROM attempts "
                      "WHERE lease_id=%s", (lease_id,))
        if self._x(f"UPDATE attempts SET {', '.join(sets)} WHERE lease_id=%s",
                   (*args, lease_id)) and was:
            self._moved([(*was[0], str(state))])

    def _moved(self, moves: Iterable[tuple[str, str, str, str, str]]) -> None:
        """Attempts written from one state to another: (site, campaign, kategori, old, new)."""
        add = self._totals.add
        for site_code, campaign_id, kategori, old, new in moves:
            if old != new:
                add(site_code, campaign_id, kategori, old, -1)
                add(site_code, campaign_id, kategori, new, 1)
        if not self._depth:  # written outside a transaction: the totals at once, too
            self._write_totals()

    def _reported(self, attempts: list[tuple], was: list[Attempt]) -> None:
        """write_reports' attempt rows (lease_id, new state, ...) written over `was`."""
        self._moved((a.site_code, a.campaign_id, a.kategori, str(a.state), row[1])
                    for a, row in zip(was, attempts, strict=True))

    def _leased(self, attempts: Iterable[Attempt]) -> None:
        """Attempts inserted (called after the insert succeeded, like `_moved`)."""
        add = self._totals.add
        for a in attempts:
            add(a.site_code, a.campaign_id, a.kategori, str(a.state), 1)
        if not self._depth:
            self._write_totals()

    def _write_totals(self) -> None:
        """The transaction's changes to the attempt totals (called just before COMMIT)."""
        rows = self._totals.take()
        if rows:
            self._xmany(ADD_ATTEMPT_TOTALS, rows)

    def count_attempts(self, *, site_code: str | None = None, campaign_id: str | None = None,
                       states: Iterable[AttemptState], kategori: str | None = None) -> int:
        """Attempts in `states`, optionally of one site, campaign and category: from the
        totals (a few rows), with this transaction's own changes."""
        wanted = [str(s) for s in states]
        if not wanted:
            return 0
        sql = ("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM attempt_totals WHERE state IN "
               f"({','.join(['%s'] * len(wanted))})")
        args: list = list(wanted)
        for column, value in (("site_code", site_code), ("campaign_id", campaign_id),
                              ("kategori", kategori)):
            if value is not None:
                sql += f" AND {column}=%s"
                args.append(value)
        return self._q(sql, args)[0][0] + sum(
            n for site, campaign, kat, state, n in self._totals.rows()
            if state in wanted and site_code in (None, site) and campaign_id in (None, campaign)
            and kategori in (None, kat))

    def attempt_totals_drift(self) -> list[tuple[str, str, str, str, int, int]]:
        """(site, campaign, kategori, state, kept total, attempts counted) where they differ:
        must be empty (`cetak campaign verify`)."""
        counted = {tuple(r[:4]): r[4] for r in self._q(COUNT_ATTEMPTS_BY_KEY)}
        kept = {tuple(r[:4]): r[4] for r in self._q(
            "SELECT site_code, campaign_id, kategori, state, n FROM attempt_totals")}
        for *key, n in self._totals.rows():
            kept[tuple(key)] = kept.get(tuple(key), 0) + n
        return sorted((*key, kept.get(key, 0), counted.get(key, 0))
                      for key in set(counted) | set(kept)
                      if kept.get(key, 0) != counted.get(key, 0))

    def recount_attempt_totals(self) -> None:
        """Set the attempt totals to a recount of the attempts (an admin's repair after
        `attempt_totals_drift` found a difference)."""
        self._totals.clear()
        self._x("DELETE FROM attempt_totals")
        self._x("INSERT INTO attempt_totals " + COUNT_ATTEMPTS_BY_KEY)

    def count_active(self, agent_id: str) -> int:
        """Leases an agent holds (leased or printing): a count, not rows."""
        return self._q("SELECT COUNT(*) FROM attempts WHERE agent_id=%s AND "
                       "state IN ('leased','printing')", (agent_id,))[0][0]

    def printed_attempt_counts(self) -> list[tuple[str, int]]:
        """(record_id, printed attempts) for records with more than one: must be empty."""
        return self._q("SELECT record_id, COUNT(*) FROM attempts WHERE state='printed' "
                       "GROUP BY record_id HAVING COUNT(*) > 1")

    def event_status(self, agent_id: str, event_id: str) -> tuple[str, str] | None:
        rows = self._q("SELECT status, detail FROM applied_events WHERE agent_id=%s AND "
                       "event_id=%s", (agent_id, event_id))
        return rows[0] if rows else None

    def record_event(self, agent_id: str, event_id: str, status: str, detail: str,
                     now_ms: int) -> None:
        self._x("INSERT INTO applied_events VALUES (%s,%s,%s,%s,%s)",
                (agent_id, event_id, status, detail, now_ms))

    def flag_event(self, agent_id: str, event_id: str, lease_id: str, record_id: str,
                   epoch: int, state: str, reason: str, detail: str, now_ms: int) -> None:
        self._x("INSERT INTO flagged_events (agent_id, event_id, lease_id, record_id, epoch, "
                "state, reason, detail, flagged_ms) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (agent_id, event_id, lease_id, record_id, epoch, state, reason, detail, now_ms))

    def flagged_events(self, only_unreviewed: bool = True) -> list[dict]:
        sql = ("SELECT id, agent_id, event_id, lease_id, record_id, epoch, state, reason, "
               "detail, flagged_ms, reviewed FROM flagged_events")
        if only_unreviewed:
            sql += " WHERE reviewed=0"
        keys = ("id", "agent_id", "event_id", "lease_id", "record_id", "epoch", "state",
                "reason", "detail", "flagged_ms", "reviewed")
        return [dict(zip(keys, r, strict=True)) for r in self._q(sql + " ORDER BY id")]

    def add_movement(self, m: InventoryMovement) -> None:
        self._x("INSERT INTO inventory_movements VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (m.movement_id, m.site_code, m.item, m.kind, m.quantity, m.serial_from,
                 m.serial_to, m.reference, m.counterpart_site, m.at_ms))

    def movements(self, site_code: str | None = None) -> list[InventoryMovement]:
        sql = ("SELECT movement_id, site_code, item, kind, quantity, serial_from, serial_to, "
               "reference, counterpart_site, at_ms FROM inventory_movements")
        args: tuple = ()
        if site_code:
            sql += " WHERE site_code=%s"
            args = (site_code,)
        return [InventoryMovement(*r) for r in self._q(sql + " ORDER BY at_ms, movement_id", args)]

    def inventory_sites(self) -> list[str]:
        return [r[0] for r in self._q(
            "SELECT site_code FROM inventory_movements UNION SELECT site_code FROM attempts "
            "UNION SELECT site_code FROM sites ORDER BY 1")]

    def agent_site(self, agent_id: str) -> str | None:
        rows = self._q("SELECT site_code FROM agents WHERE agent_id=%s", (agent_id,))
        return rows[0][0] if rows else None

    def set_agent_connected(self, agent_id: str, connected: bool, now_ms: int) -> None:
        self._x("UPDATE agents SET connected=%s, last_seen_ms=%s WHERE agent_id=%s",
                (int(connected), now_ms, agent_id))

    def agents(self) -> list[dict]:
        keys = ("agent_id", "site_code", "connected", "last_seen_ms", "software", "window_hours")
        return [dict(zip(keys, r, strict=True)) for r in self._q(
            f"SELECT {', '.join(keys)} FROM agents ORDER BY agent_id")]

    def site_cards_per_hour(self, site_code: str) -> float:
        rows = self._q("SELECT COALESCE(SUM(p.cards_per_hour), 0) FROM printers p JOIN agents a "
                       "ON a.agent_id=p.agent_id WHERE p.site_code=%s", (site_code,))
        return float(rows[0][0])

    def record_counts(self, campaign_id: str) -> list[tuple[str, str, int]]:
        """(site_code, record state, count) for a campaign."""
        return self._q("SELECT site_code, state, COUNT(*) FROM records WHERE campaign_id=%s "
                       "GROUP BY site_code, state", (campaign_id,))

    def record_breakdown(self, campaign_id: str) -> list[tuple[str, str, str, str, int]]:
        """(site_code, record state, kategori, hold_reason, count) of a campaign's records:
        one pass over them (`campaign status`: the counts per state and per reason)."""
        return self._q("SELECT site_code, state, kategori, hold_reason, COUNT(*) FROM records "
                       "WHERE campaign_id=%s GROUP BY site_code, state, kategori, hold_reason",
                       (campaign_id,))

    def count_queued_in_category(self, campaign_id: str, kategori: str, limit: int) -> int:
        """Queued records of one campaign and category, counted up to `limit` (bounded)."""
        return self._q("SELECT COUNT(*) FROM (SELECT 1 FROM records WHERE campaign_id=%s AND "
                       "kategori=%s AND state='queued' LIMIT %s) q",
                       (campaign_id, kategori, limit))[0][0]

    def attempt_counts(self, campaign_id: str) -> list[tuple[str, str, int]]:
        """(site_code, attempt state, count) for a campaign."""
        return self._q("SELECT site_code, state, COUNT(*) FROM attempts WHERE campaign_id=%s "
                       "GROUP BY site_code, state", (campaign_id,))

    def printed_since(self, campaign_id: str, since_ms: int) -> list[tuple[str, int]]:
        return self._q("SELECT site_code, COUNT(*) FROM attempts WHERE campaign_id=%s AND "
                       "state='printed' AND updated_ms>=%s GROUP BY site_code",
                       (campaign_id, since_ms))

    def records_without_final_state(self, campaign_id: str) -> int:
        rows = self._q("SELECT COUNT(*) FROM records WHERE campaign_id=%s AND state NOT IN "
                       "('queued','leased','printed','held','rejected','cancelled')",
                       (campaign_id,))
        return rows[0][0]

    def inconsistent_records(self) -> list[tuple[str, str, str]]:
        """Records whose state disagrees with their attempts: (record_id, state, problem)."""
        problems = []
        problems += [(r[0], r[1], "printed record without a printed attempt") for r in self._q(
            "SELECT r.record_id, r.state FROM records r WHERE r.state='printed' AND NOT EXISTS "
            "(SELECT 1 FROM attempts a WHERE a.record_id=r.record_id AND a.state='printed')")]
        problems += [(r[0], r[1], "printed attempt but record not printed") for r in self._q(
            "SELECT r.record_id, r.state FROM records r WHERE r.state<>'printed' AND EXISTS "
            "(SELECT 1 FROM attempts a WHERE a.record_id=r.record_id AND a.state='printed')")]
        problems += [(r[0], r[1], "leased record without an active lease") for r in self._q(
            "SELECT r.record_id, r.state FROM records r WHERE r.state='leased' AND NOT EXISTS "
            "(SELECT 1 FROM attempts a WHERE a.record_id=r.record_id AND "
            "a.state IN ('leased','printing'))")]
        problems += [(r[0], r[1], "more than one active lease") for r in self._q(
            "SELECT record_id, 'leased' FROM attempts WHERE state IN ('leased','printing') "
            "GROUP BY record_id HAVING COUNT(*) > 1")]
        return problems

    def media(self, sha256: str) -> bytes:
        rows = self._q("SELECT data FROM media WHERE sha256=%s", (sha256,))
        if not rows:
            raise StoreError(f"no media {sha256[:12]}")
        return bytes(rows[0][0])

    def record_counts_by_kategori(self, campaign_id: str) -> list[tuple[str, str, str, int]]:
        """(site_code, kategori, record state, count) for a campaign."""
        return self._q("SELECT site_code, kategori, state, COUNT(*) FROM records WHERE "
                       "campaign_id=%s GROUP BY site_code, kategori, state", (campaign_id,))

    def blank_ranges(self, site_code: str = "") -> list[tuple[str, str, int, int, int, str]]:
        """(site_code, prefix, first_no, last_no, width, movement_id) held now."""
        sql = ("SELECT site_code, prefix, first_no, last_no, width, movement_id "
               "FROM blank_ranges")
        args: tuple = ()
        if site_code:
            sql += " WHERE site_code=%s"
            args = (site_code,)
        return self._q(sql + " ORDER BY site_code, prefix, first_no", args)

    def spoiled_serials(self, site_code: str) -> list[str]:
        """Serials of blanks spoiled by printing at a site (attempts that named one)."""
        return [r[0] for r in self._q(
            "SELECT blank_serial FROM attempts WHERE site_code=%s AND state='spoiled' AND "
            "blank_serial<>'' ORDER BY blank_serial", (site_code,))]

    def used_serials(self, site_code: str) -> list[str]:
        """Serials of every blank an attempt consumed at a site."""
        return [r[0] for r in self._q(
            "SELECT blank_serial FROM attempts WHERE site_code=%s AND blank_serial<>'' AND "
            "state IN ('printing','printed','spoiled','unknown')", (site_code,))]

    def used_serials_by_site(self) -> list[tuple[str, str]]:
        """(site_code, serial) of every blank an attempt consumed, all sites in one scan."""
        return [(r[0], r[1]) for r in self._q(
            "SELECT site_code, blank_serial FROM attempts WHERE blank_serial<>'' AND "
            "state IN ('printing','printed','spoiled','unknown')")]

    def add_destruction_record(self, d: dict) -> None:
        signatories = ""
        if d.get("officers") or d.get("witness_signatories"):
            signatories = json.dumps({"officers": d.get("officers", []),
                                      "witnesses": d.get("witness_signatories", [])})
        self._x("INSERT INTO destruction_records (number, site_code, place, destroyed_ms, "
                "count, serials_json, witnesses_json, method, created_by, movement_id, "
                "created_ms, signatories_json) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (d["number"], d["site_code"], d["place"], d["destroyed_ms"], d["count"],
                 json.dumps(d["serials"]), json.dumps(d["witnesses"]), d["method"],
                 d["created_by"], d["movement_id"], d["created_ms"], signatories))

    def destruction_records(self, site_code: str = "", number: str = "") -> list[dict]:
        sql = ("SELECT number, site_code, place, destroyed_ms, count, serials_json, "
               "witnesses_json, method, created_by, movement_id, created_ms, "
               "signatories_json FROM destruction_records WHERE 1=1")
        args: list = []
        if site_code:
            sql += " AND site_code=%s"
            args.append(site_code)
        if number:
            sql += " AND number=%s"
            args.append(number)
        out = []
        for r in self._q(sql + " ORDER BY created_ms, number", args):
            signatories = json.loads(r[11]) if r[11] else {}
            out.append(dict(number=r[0], site_code=r[1], place=r[2], destroyed_ms=r[3],
                            count=r[4], serials=json.loads(r[5]), witnesses=json.loads(r[6]),
                            method=r[7], created_by=r[8], movement_id=r[9], created_ms=r[10],
                            officers=signatories.get("officers", []),
                            witness_signatories=signatories.get("witnesses", [])))
        return out

    def count_destruction_records(self, prefix: str) -> int:
        return self._q("SELECT COUNT(*) FROM destruction_records WHERE number LIKE %s",
                       (prefix + "%",))[0][0]

    def upsert_site(self, site_code: str, name: str, kecamatan: str = "",
                    calendar: list[dict] | None = None, overtime_cap_minutes: int = 0,
                    timezone: str = "Asia/Jakarta", holidays: list[str] | None = None,
                    printers_expected: int = 0) -> None:
        self._x("INSERT INTO sites (site_code, name, kecamatan, calendar_json, "
                "overtime_cap_minutes, timezone, holidays_json, printers_expected) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (site_code) DO UPDATE "
                "SET name=excluded.name, kecamatan=excluded.kecamatan, "
                "calendar_json=excluded.calendar_json, "
                "overtime_cap_minutes=excluded.overtime_cap_minutes, timezone=excluded.timezone, "
                "holidays_json=excluded.holidays_json, "
                "printers_expected=excluded.printers_expected",
                (site_code, name, kecamatan, json.dumps(calendar or []), overtime_cap_minutes,
                 timezone, json.dumps(sorted(holidays or [])), printers_expected))

    def upsert_agent(self, agent_id: str, site_code: str, software: str, window_hours: float,
                     now_ms: int) -> None:
        self._x("INSERT INTO agents VALUES (%s,%s,1,%s,%s,%s) ON CONFLICT (agent_id) DO UPDATE "
                "SET site_code=excluded.site_code, connected=1, "
                "last_seen_ms=excluded.last_seen_ms, software=excluded.software, "
                "window_hours=excluded.window_hours",
                (agent_id, site_code, now_ms, software, window_hours))

    def upsert_printer(self, agent_id: str, printer_id: str, site_code: str, info: bytes,
                       cards_per_hour: float, now_ms: int, model: str = "",
                       retransfer: bool | None = None) -> None:
        """A printer as its agent reported it; `retransfer` None: not reported."""
        self._x("INSERT INTO printers (printer_id, agent_id, site_code, info, cards_per_hour, "
                "updated_ms, model, retransfer) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) "
                "ON CONFLICT (agent_id, printer_id) "
                "DO UPDATE SET site_code=excluded.site_code, info=excluded.info, "
                "cards_per_hour=excluded.cards_per_hour, updated_ms=excluded.updated_ms, "
                "model=excluded.model, retransfer=excluded.retransfer",
                (printer_id, agent_id, site_code, info, cards_per_hour, now_ms, model,
                 None if retransfer is None else int(retransfer)))

    def blanks_fed_by_printer(self, site_code: str = "") -> list[tuple[str, str, str, int]]:
        """(site_code, agent_id, printer_id, blanks) fed by attempts, per printer, at one site
        or (no site) everywhere: what the site's ribbons and films were charged for. A scan
        of attempts (no index by site since 0007): read once for all sites where many are
        wanted."""
        sql = ("SELECT site_code, agent_id, printer_id, COUNT(*) FROM attempts WHERE state IN "
               "('printing','printed','spoiled','unknown')")
        args: tuple = ()
        if site_code:
            sql += " AND site_code=%s"
            args = (site_code,)
        return [(r[0], r[1], r[2], int(r[3]))
                for r in self._q(sql + " GROUP BY site_code, agent_id, printer_id", args)]

    def set_printer_status(self, agent_id: str, printer_id: str, status: bytes,
                           now_ms: int) -> None:
        self._x("UPDATE printers SET status=%s, updated_ms=%s WHERE agent_id=%s AND "
                "printer_id=%s", (status, now_ms, agent_id, printer_id))

    def record_payload(self, record_id: str) -> bytes:
        rows = self._q("SELECT payload FROM records WHERE record_id=%s", (record_id,))
        if not rows:
            raise StoreError(f"no record {record_id}")
        return bytes(rows[0][0])

    def count_queued(self, site_code: str, limit: int | None = None, *,
                     exclude_budgets: Iterable[tuple[str, str]] = ()) -> int:
        """Queued records of a site; with `limit`, counting stops there (a bounded read).
        `exclude_budgets`: (campaign_id, kategori) pairs not counted (budgets spent)."""
        pairs = list(exclude_budgets)
        where = "site_code=%s AND state='queued'"
        if pairs:
            where += " AND NOT (" + " OR ".join(["(campaign_id=%s AND kategori=%s)"]
                                                * len(pairs)) + ")"
        args = [site_code, *(x for pair in pairs for x in pair)]
        if limit is None:
            return self._q(f"SELECT COUNT(*) FROM records WHERE {where}", args)[0][0]
        # "q": PostgreSQL wants a subquery in FROM named.
        return self._q(f"SELECT COUNT(*) FROM (SELECT 1 FROM records WHERE {where} "
                       "LIMIT %s) q", (*args, limit))[0][0]

    def site_blanks(self, site_code: str) -> SiteBlanks:
        return self._blanks(site_code)[0]

    def grant_inputs(self, site_code: str, agent_id: str) -> tuple[SiteBlanks, int, int]:
        """What a grant checks, read in one statement (a round trip each was a fifth of a
        PostgreSQL replica's statements): the site's blanks, the leases reserved at the site
        and the leases the agent holds."""
        return self._blanks(site_code, agent_id)

    def _blanks(self, site_code: str, agent_id: str | None = None,
                ) -> tuple[SiteBlanks, int, int]:
        # SUM(bigint) is numeric in PostgreSQL: cast back so callers get ints, as from SQLite.
        sql = ("SELECT 'move', kind, CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM "
               "inventory_movements WHERE site_code=%s AND item='blank' GROUP BY kind "
               "UNION ALL SELECT 'used', state, CAST(SUM(n) AS BIGINT) FROM attempt_totals "
               "WHERE site_code=%s AND state IN ('leased','printing','printed','spoiled',"
               "'unknown') GROUP BY state")
        args: tuple = (site_code, site_code)
        if agent_id is not None:
            sql += (" UNION ALL SELECT 'agent', '', COUNT(*) FROM attempts WHERE agent_id=%s "
                    "AND state IN ('leased','printing')")
            args += (agent_id,)
        moved: dict[str, int] = {}
        used: dict[str, int] = {}
        held = 0
        for part, name, n in self._q(sql, args):
            if part == "move":
                moved[name] = n
            elif part == "used":
                used[name] = n
            else:
                held = n
        for (_campaign, _kategori, state), n in self._totals.by_site.get(site_code, {}).items():
            used[state] = used.get(state, 0) + n
        blanks = SiteBlanks(site_code=site_code, received=moved.get("receive", 0),
                            transferred_in=moved.get("transfer_in", 0),
                            transferred_out=moved.get("transfer_out", 0),
                            printed=used.get("printed", 0),
                            # a blank damaged outside printing is a "spoil" movement
                            spoiled=used.get("spoiled", 0) + moved.get("spoil", 0),
                            unknown=used.get("unknown", 0), in_flight=used.get("printing", 0),
                            destroyed=moved.get("destroy", 0))
        return blanks, used.get("leased", 0), held
