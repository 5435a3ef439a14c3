"""Campaign progress per site and category, with the deadline forecast (`campaign status`).

The forecast counts only the records that can print: those a budget or a site's blanks
block (blockers.py) are not "on track", they are counted apart (`cannot_print`) with why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .blockers import CategoryBudget, ReasonCounts, campaign_blockers
from .calendar import SiteCalendar
from .forecast import MEASURE_WINDOW_MS, forecast_site
from .ledger import LedgerError
from .sites import site_names


@dataclass
class SiteStatus:
    site_code: str
    site_name: str = ""
    queued: int = 0
    leased: int = 0
    printed: int = 0
    spoiled: int = 0
    held: int = 0
    unknown: int = 0
    rejected: int = 0
    cancelled: int = 0
    cards_per_hour: float = 0.0
    eta_ms: int = 0
    will_miss_deadline: bool = False
    late_by_ms: int = 0
    reasons: ReasonCounts = field(default_factory=ReasonCounts)
    blanks_available: int = 0


@dataclass
class CampaignStatusView:
    campaign_id: str
    deadline_ms: int
    as_of_ms: int
    records: int = 0
    queued: int = 0
    leased: int = 0
    printed: int = 0
    spoiled: int = 0
    held: int = 0
    unknown: int = 0
    rejected: int = 0
    cancelled: int = 0
    eta_ms: int = 0
    will_miss_deadline: bool = False
    flagged_reports: int = 0
    sites: list[SiteStatus] = field(default_factory=list)
    reasons: ReasonCounts = field(default_factory=ReasonCounts)
    cannot_print: int = 0          # queued records a budget or a site's blanks block
    budgets: list[CategoryBudget] = field(default_factory=list)
    on_track: bool = True          # no site will miss the deadline and nothing is blocked

    def to_dict(self) -> dict:
        return asdict(self)


_RECORD_FIELDS = {"queued": "queued", "leased": "leased", "printed": "printed", "held": "held",
                  "rejected": "rejected", "cancelled": "cancelled"}


def campaign_status(store, campaign_id: str, now_ms: int) -> CampaignStatusView:
    campaign = store.get_campaign(campaign_id)
    if campaign is None:
        raise LedgerError(f"no campaign {campaign_id!r}")
    sites_meta = {s["site_code"]: s for s in store.list_sites()}
    sites: dict[str, SiteStatus] = {}

    def site(code: str) -> SiteStatus:
        if code not in sites:
            sites[code] = SiteStatus(site_code=code)
        return sites[code]

    breakdown = store.record_breakdown(campaign_id)  # one pass: states and reasons
    for code, state, _kategori, _hold, n in breakdown:
        setattr(site(code), _RECORD_FIELDS[state], getattr(site(code), _RECORD_FIELDS[state]) + n)
    for code, state, n in store.attempt_counts(campaign_id):
        if state == "spoiled":
            site(code).spoiled += n
        elif state == "unknown":
            site(code).unknown += n
    blockers = campaign_blockers(store, campaign, breakdown)
    for code, reasons in blockers.sites.items():
        site(code).reasons = reasons
        site(code).blanks_available = blockers.blanks_available.get(code, 0)
    recent = dict(store.printed_since(campaign_id, now_ms - MEASURE_WINDOW_MS))
    view = CampaignStatusView(campaign_id=campaign_id, deadline_ms=campaign.deadline_ms,
                              as_of_ms=now_ms, flagged_reports=len(store.flagged_events()),
                              reasons=blockers.total, cannot_print=blockers.total.blocked,
                              budgets=blockers.budgets)
    worst_eta = 0
    names = site_names(list(sites_meta.values()), set(sites))
    for code in sorted(sites):
        s = sites[code]
        s.site_name = names[code]
        meta = sites_meta.get(code, {})
        # Blocked records are not going to print: they are not in the forecast.
        remaining = s.queued + s.leased + s.held - s.reasons.blocked
        f = forecast_site(code, remaining, recent.get(code, 0), store.site_cards_per_hour(code),
                          now_ms, campaign.deadline_ms, SiteCalendar.of_site(meta))
        s.cards_per_hour, s.eta_ms = round(f.cards_per_hour, 1), f.eta_ms
        s.will_miss_deadline, s.late_by_ms = f.will_miss, f.late_by_ms
        if remaining and f.eta_ms == 0:
            worst_eta = -1
        elif worst_eta >= 0:
            worst_eta = max(worst_eta, f.eta_ms)
        for name in ("queued", "leased", "printed", "spoiled", "held", "unknown", "rejected",
                     "cancelled"):
            setattr(view, name, getattr(view, name) + getattr(s, name))
        view.sites.append(s)
    view.records = (view.queued + view.leased + view.printed + view.held + view.rejected
                    + view.cancelled)
    view.eta_ms = max(worst_eta, 0)
    view.will_miss_deadline = any(s.will_miss_deadline for s in view.sites)
    view.on_track = not view.will_miss_deadline and view.cannot_print == 0
    return view
