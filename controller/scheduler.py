"""Which queued records a site prints next (DESIGN.md section 6).

Site affinity (a record prints at its kelurahan unless an admin moves it), priorities
(deadline-critical first; new cards before replacements when blanks are short; then PRR order),
category budgets per campaign and the blanks a site holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import AttemptState

# Attempts that hold a blank of a category's budget (reserved or consumed).
_BUDGET_STATES = (AttemptState.LEASED, AttemptState.PRINTING, AttemptState.PRINTED,
                  AttemptState.SPOILED, AttemptState.UNKNOWN)


@dataclass
class LeaseBudget:
    blanks_available: int          # in stock at the site and not yet reserved by a lease
    queued_at_site: int            # counted up to blanks_available + 1 (enough for blanks_short)
    # (campaign_id, kategori) -> blanks left in that category budget; absent = no budget
    category_left: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def measure(cls, store, site_code: str) -> LeaseBudget:
        blanks = store.site_blanks(site_code)
        leased = store.count_attempts(site_code=site_code, states=[AttemptState.LEASED])
        left = {}
        for c in store.list_campaigns():
            for kategori, budget in (("BARU", c.budget_baru),
                                     ("PENGGANTIAN", c.budget_penggantian)):
                if budget > 0:
                    used = store.count_attempts(campaign_id=c.campaign_id, kategori=kategori,
                                                states=_BUDGET_STATES)
                    left[(c.campaign_id, kategori)] = max(0, budget - used)
        available = max(0, blanks.in_stock - leased)
        # Only "more queued than blanks?" is asked of this count: stop counting one past the
        # blanks, so a grant's cost does not grow with the site's queue.
        return cls(blanks_available=available,
                   queued_at_site=store.count_queued(site_code, limit=available + 1),
                   category_left=left)

    @property
    def blanks_short(self) -> bool:
        return self.blanks_available < self.queued_at_site


def choose_records(store, site_code: str, wanted: int, budget: LeaseBudget) -> list[tuple]:
    """Up to `wanted` queued records of the site, best first, within the category budgets."""
    exhausted = [k for k, n in budget.category_left.items() if n <= 0]
    # Ask for a few more rows than wanted so budget skips do not starve the grant.
    rows = store.next_queued(site_code, wanted * (2 if budget.category_left else 1),
                             new_first=budget.blanks_short)
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
