"""Which queued records a site prints next (docs/design.md section 6).

Site affinity (a record prints at its kelurahan unless an admin moves it), priorities
(deadline-critical first; new cards before replacements when blanks are short; then PRR order),
category budgets per campaign and the blanks a site holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import AttemptState, SiteBlanks

# Attempts that hold a blank of a category's budget (reserved or consumed).
_BUDGET_STATES = (AttemptState.LEASED, AttemptState.PRINTING, AttemptState.PRINTED,
                  AttemptState.SPOILED, AttemptState.UNKNOWN)


@dataclass
class LeaseBudget:
    site_code: str
    blanks_available: int          # in stock at the site and not yet reserved by a lease
    # (campaign_id, kategori) -> blanks left in that category budget; absent = no budget
    category_left: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def measure(cls, store, site_code: str, blanks: SiteBlanks, leased: int) -> LeaseBudget:
        """The budget of a grant at `site_code`, which holds `blanks` and has `leased` of them
        reserved by leases (both from store.grant_inputs)."""
        left = {}
        for c in store.list_campaigns():
            for kategori, budget in (("BARU", c.budget_baru),
                                     ("PENGGANTIAN", c.budget_penggantian)):
                if budget > 0:
                    used = store.count_attempts(campaign_id=c.campaign_id, kategori=kategori,
                                                states=_BUDGET_STATES)
                    left[(c.campaign_id, kategori)] = max(0, budget - used)
        return cls(site_code=site_code, blanks_available=max(0, blanks.in_stock - leased),
                   category_left=left)

    def blanks_short(self, store) -> bool:
        """More queued at the site than blanks to print them. Counted only up to one past
        the blanks: the answer needs no more, and the cost stays bounded."""
        available = self.blanks_available
        return available < store.count_queued(self.site_code, limit=available + 1)


def choose_records(store, site_code: str, wanted: int, budget: LeaseBudget) -> list[tuple]:
    """Up to `wanted` queued records of the site, best first, within the category budgets."""
    exhausted = [k for k, n in budget.category_left.items() if n <= 0]
    # Records of a spent budget are skipped by the store: read and skipped here, a queue
    # led by them filled every row read and starved the other records behind them, which
    # `campaign status` counts as printable (blockers.py). A few more rows than wanted, so
    # the skips of a budget this grant spends do not starve it either.
    limit = wanted * (2 if budget.category_left else 1)
    rows = store.next_queued(site_code, limit, exclude_budgets=exhausted)
    # New cards go first only when blanks are short, and that reorders only replacements:
    # when the first rows in plain order hold none, they are the first rows in either order,
    # and the queue need not be counted.
    if any(row[2] == "PENGGANTIAN" for row in rows) and budget.blanks_short(store):
        rows = store.next_queued(site_code, limit, exclude_budgets=exhausted, new_first=True)
    left = dict(budget.category_left)
    chosen = []
    for row in rows:
        key = (row[1], row[2])
        if key in exhausted or left.get(key, 1) <= 0:
            continue
        if key in left:
            left[key] -= 1
        chosen.append(row)
        if len(chosen) >= wanted:
            break
    return chosen
