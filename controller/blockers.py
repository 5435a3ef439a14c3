"""Why a record not yet printed is not printed: the scheduler's own limits, as counts.

The scheduler (scheduler.py) leases a queued record only within its campaign's category
budget (BARU / PENGGANTIAN: attempts leased, printing, printed, spoiled or unknown spend it)
and only while its site holds a blank no lease has reserved. So every record not yet printed
is in exactly one of these places, in this order of precedence:

- ``leased``: in an agent's window (leased or printing);
- ``held_duplicate`` / ``held_unknown`` / ``held``: held for adjudication (possible duplicate
  person), for an unknown print outcome, or for another reason;
- ``budget_spent``: queued, and its category's budget is spent: it cannot print until an
  admin raises the budget;
- ``budget_short``: queued, the budget has some left but fewer than the records queued in
  the category: this many of them cannot print (which ones depends on which site leases
  first; per site they are shared in proportion to the site's queue, as `cetak plan` does);
- ``no_blanks``: queued at a site with no unreserved blank;
- ``blanks_short``: queued beyond the site's unreserved blanks;
- ``printable``: the rest, which the site can lease now.

Everything is read as aggregates (one grouped pass over the campaign's records, the attempt
totals per site and category, two small reads per site), never record by record, so a
million-record campaign costs what `campaign status` already cost. Blanks are counted
against this campaign's queue; several campaigns queued at one site share its blanks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from .model import AttemptState, Campaign, RecordState, RecordView
from .planner import _budgeted
from .scheduler import _BUDGET_STATES

HOLD_REASONS = {"possible_duplicate_person": "held_duplicate",
                "unknown_outcome": "held_unknown"}

# The reasons a record may be given, most final first (RecordReason.reason; the keys of
# ReasonCounts).
REASONS = ("leased", "held_duplicate", "held_unknown", "held", "budget_spent", "budget_short",
           "no_blanks", "blanks_short", "printable")
# Queued records that cannot print as things stand (an admin must act: budget or blanks).
BLOCKED = ("budget_spent", "budget_short", "no_blanks", "blanks_short")
_UNPRINTED = (RecordState.QUEUED, RecordState.LEASED, RecordState.HELD)


@dataclass
class ReasonCounts:
    """Records not yet printed, by reason (each record counted once)."""

    leased: int = 0
    held_duplicate: int = 0
    held_unknown: int = 0
    held: int = 0
    budget_spent: int = 0
    budget_short: int = 0
    no_blanks: int = 0
    blanks_short: int = 0
    printable: int = 0

    @property
    def blocked(self) -> int:
        """Queued records that cannot print until an admin raises a budget or sends blanks."""
        return sum(getattr(self, name) for name in BLOCKED)

    def add(self, other: ReasonCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class CategoryBudget:
    kategori: str
    budget: int          # 0: the category has no budget (never blocks)
    used: int            # attempts that spent it (leased, printing, printed, spoiled, unknown)
    queued: int = 0      # records of the category still queued in the campaign

    @property
    def left(self) -> int | None:
        """Blanks left in the budget; None when there is no budget."""
        return max(0, self.budget - self.used) if self.budget > 0 else None


@dataclass
class CampaignBlockers:
    campaign_id: str
    total: ReasonCounts = field(default_factory=ReasonCounts)
    sites: dict[str, ReasonCounts] = field(default_factory=dict)
    blanks_available: dict[str, int] = field(default_factory=dict)  # per site, unreserved
    budgets: list[CategoryBudget] = field(default_factory=list)


@dataclass(frozen=True)
class RecordReason:
    """Why one record is where it is, with the numbers that say so."""

    reason: str                  # one of REASONS, or printed / rejected / cancelled
    site_code: str
    kategori: str = ""
    budget: int = 0              # budget_*: the category's budget and what is spent of it
    budget_used: int = 0
    queued_in_category: int = 0  # budget_short: queued in the category (counted to left + 1)
    blanks_available: int = 0    # *_blanks: the site's unreserved blanks
    queued_at_site: int = 0      # blanks_short: queued at the site (counted to available + 1)


def category_budgets(store, campaign: Campaign) -> dict[str, CategoryBudget]:
    """Each category's budget and what is spent of it, from the attempt totals."""
    out = {}
    for kategori, budget in (("BARU", campaign.budget_baru),
                             ("PENGGANTIAN", campaign.budget_penggantian)):
        used = store.count_attempts(campaign_id=campaign.campaign_id, kategori=kategori,
                                    states=_BUDGET_STATES) if budget > 0 else 0
        out[kategori] = CategoryBudget(kategori, budget, used)
    return out


def blanks_available(store, site_code: str) -> int:
    """Blanks in stock at the site that no lease has reserved (what a grant may lease)."""
    stock = store.site_blanks(site_code).in_stock
    leased = store.count_attempts(site_code=site_code, states=[AttemptState.LEASED])
    return max(0, stock - leased)


def campaign_blockers(store, campaign: Campaign,
                      breakdown: list[tuple[str, str, str, str, int]] | None = None,
                      ) -> CampaignBlockers:
    """Every record of the campaign not yet printed, counted by reason, overall and per site.
    `breakdown`: store.record_breakdown(campaign), when the caller has read it already."""
    out = CampaignBlockers(campaign.campaign_id)
    sites: dict[str, ReasonCounts] = {}
    queued: dict[str, dict[str, int]] = {}   # kategori -> site -> queued
    if breakdown is None:
        breakdown = store.record_breakdown(campaign.campaign_id)
    for site_code, state, kategori, hold_reason, n in breakdown:
        if state not in _UNPRINTED:
            continue
        counts = sites.setdefault(site_code, ReasonCounts())
        if state == RecordState.LEASED:
            counts.leased += n
        elif state == RecordState.HELD:
            name = HOLD_REASONS.get(hold_reason, "held")
            setattr(counts, name, getattr(counts, name) + n)
        else:
            by_site = queued.setdefault(kategori, {})
            by_site[site_code] = by_site.get(site_code, 0) + n
    candidates: dict[str, int] = {}          # site -> queued within the budgets
    for kategori, budget in category_budgets(store, campaign).items():
        by_site = queued.get(kategori, {})
        codes = sorted(by_site)
        demand = [by_site[c] for c in codes]
        out.budgets.append(CategoryBudget(kategori, budget.budget, budget.used, sum(demand)))
        left = budget.left
        if left == 0:
            for c, d in zip(codes, demand, strict=True):
                sites[c].budget_spent += d
            continue
        within = _budgeted(demand, left)
        for c, d, w in zip(codes, demand, within, strict=True):
            sites[c].budget_short += d - w
            candidates[c] = candidates.get(c, 0) + w
    for code in sorted(sites):
        counts = sites[code]
        available = blanks_available(store, code)
        out.blanks_available[code] = available
        want = candidates.get(code, 0)
        if want and available == 0:
            counts.no_blanks += want
        else:
            counts.blanks_short += max(0, want - available)
            counts.printable += min(want, available)
        out.total.add(counts)
    out.sites = sites
    return out


def record_reason(store, view: RecordView) -> RecordReason:
    """Why one record is where it is: a few bounded reads (the attempt totals, counts that
    stop one past what decides the answer), never a pass over the campaign."""
    site, kategori = view.site_code, view.kategori
    if view.state == RecordState.LEASED:
        return RecordReason("leased", site, kategori)
    if view.state == RecordState.HELD:
        return RecordReason(HOLD_REASONS.get(view.hold_reason, "held"), site, kategori)
    if view.state != RecordState.QUEUED:
        return RecordReason(str(view.state), site, kategori)
    campaign = store.get_campaign(view.campaign_id)
    budgets = category_budgets(store, campaign) if campaign else {}
    budget = budgets.get(kategori)
    if budget is not None and budget.left is not None:
        left = budget.left
        if left == 0:
            return RecordReason("budget_spent", site, kategori, budget.budget, budget.used)
        queued = store.count_queued_in_category(view.campaign_id, kategori, left + 1)
        if queued > left:
            return RecordReason("budget_short", site, kategori, budget.budget, budget.used,
                                queued_in_category=queued)
    available = blanks_available(store, site)
    if available == 0:
        return RecordReason("no_blanks", site, kategori)
    # Records of a spent budget take no blanks (the scheduler skips them): not counted.
    spent = [(view.campaign_id, k) for k, b in budgets.items() if b.left == 0]
    queued_here = store.count_queued(site, limit=available + 1, exclude_budgets=spent)
    if queued_here > available:
        return RecordReason("blanks_short", site, kategori, blanks_available=available,
                            queued_at_site=queued_here)
    return RecordReason("printable", site, kategori, blanks_available=available)


def explain_records(store, views: list[RecordView]) -> list[RecordReason]:
    """record_reason of each view, read in one transaction (one consistent picture)."""
    with store.transaction():
        return [record_reason(store, v) for v in views]
