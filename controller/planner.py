"""Allocation planner (`cetak plan`): what each site needs to finish its queue by the deadline,
and what to move where when a site is short or behind.

`plan(PlanInput) -> Plan` is pure (numbers in, numbers out; unit-tested without a store).
`gather(store, campaign_id, now_ms)` reads the numbers from a store.

Per site: demand is the cards still to print (queued, leased, held), trimmed to what the
category budgets leave; blanks needed are that demand plus a spoil allowance, ribbons and
films that many cards at what one card takes on the site's printers (no film where every
printer is direct-to-card); capacity is the site's rate (measured when it has printed
recently, else the rated speed of its connected printers) times the working hours left
before the deadline in its calendar (hours per weekday, overtime cap, holidays:
controller/calendar.py). Then, in this order:
1. records: a site that cannot print its queue in time (down, or too slow) hands the excess
   to sites with spare capacity, the Dinas office first (MoveRecords);
2. consumables: each item short at a site is covered from sites with a surplus, largest
   surplus first (TransferInventory); what no site can cover is a warning.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from cetak.printers.models import UNKNOWN_PRINTER

from .calendar import SiteCalendar
from .forecast import HOUR_MS, MEASURE_WINDOW_MS, MIN_MEASURED_CARDS

DEFAULT_SPOIL_ALLOWANCE = 0.03
OFFICE_WORDS = ("DINAS", "DISDUKCAPIL", "KANTOR")


@dataclass(frozen=True)
class SiteInput:
    site_code: str
    site_name: str = ""
    demand_baru: int = 0
    demand_penggantian: int = 0
    blanks_have: int = 0
    ribbons_have: int | None = None     # None: the site's ribbons are not tracked
    films_have: int | None = None
    # what one card takes on the site's printers (printers.models): a direct-to-card site
    # needs no film; a site whose printers are not known yet is planned for both
    ribbon_prints_per_card: int = 1
    film_frames_per_card: int = 1
    cards_per_hour: float = 0.0
    working_hours_left: float | None = None   # None: no deadline, time is not the limit
    is_office: bool = False


@dataclass(frozen=True)
class PlanInput:
    campaign_id: str
    as_of_ms: int
    deadline_ms: int
    sites: list[SiteInput]
    budget_baru_left: int | None = None        # None: no category budget
    budget_penggantian_left: int | None = None
    spoil_allowance: float = DEFAULT_SPOIL_ALLOWANCE


@dataclass
class SitePlan:
    site_code: str
    site_name: str = ""
    demand: int = 0
    demand_baru: int = 0
    demand_penggantian: int = 0
    blanks_need: int = 0
    blanks_have: int = 0
    ribbons_need: int = 0
    ribbons_have: int = 0
    films_need: int = 0
    films_have: int = 0
    cards_per_hour: float = 0.0
    working_hours_left: float = 0.0
    capacity: int = 0
    down: bool = False
    blanks_short: int = 0
    behind_by: int = 0


@dataclass(frozen=True)
class Move:
    kind: str          # "transfer" | "move_records"
    item: str          # transfer: blank | ribbon | film; move_records: "record"
    from_site: str
    to_site: str
    quantity: int
    reason: str


@dataclass
class Plan:
    campaign_id: str
    as_of_ms: int
    deadline_ms: int
    sites: list[SitePlan] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    budget_baru_left: int = -1          # -1: no budget
    budget_penggantian_left: int = -1
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _budgeted(demand: list[int], budget: int | None) -> list[int]:
    """Demand per site within a category budget, shared in proportion to demand (largest
    remainders get the odd units, so the shares add up to the budget exactly)."""
    total = sum(demand)
    if budget is None or total <= budget:
        return list(demand)
    budget = max(budget, 0)
    exact = [d * budget / total for d in demand]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(demand)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in order[:budget - sum(shares)]:
        shares[i] += 1
    return shares


def plan(inp: PlanInput) -> Plan:
    out = Plan(inp.campaign_id, inp.as_of_ms, inp.deadline_ms,
               budget_baru_left=-1 if inp.budget_baru_left is None else inp.budget_baru_left,
               budget_penggantian_left=(-1 if inp.budget_penggantian_left is None
                                        else inp.budget_penggantian_left))
    sites = sorted(inp.sites, key=lambda s: s.site_code)
    baru = _budgeted([s.demand_baru for s in sites], inp.budget_baru_left)
    pengg = _budgeted([s.demand_penggantian for s in sites], inp.budget_penggantian_left)
    for label, asked, allowed in (("BARU", [s.demand_baru for s in sites], baru),
                                  ("PENGGANTIAN", [s.demand_penggantian for s in sites], pengg)):
        if sum(asked) > sum(allowed):
            out.warnings.append(f"{label} budget covers {sum(allowed)} of {sum(asked)} cards "
                                "still to print")
    plans: dict[str, SitePlan] = {}
    for s, b, p in zip(sites, baru, pengg, strict=True):
        hours = s.working_hours_left
        capacity = (b + p if hours is None and s.cards_per_hour > 0
                    else int(s.cards_per_hour * (hours or 0.0)))
        plans[s.site_code] = SitePlan(
            site_code=s.site_code, site_name=s.site_name, demand=b + p, demand_baru=b,
            demand_penggantian=p, blanks_have=s.blanks_have,
            ribbons_have=s.ribbons_have or 0, films_have=s.films_have or 0,
            cards_per_hour=round(s.cards_per_hour, 1),
            working_hours_left=round(hours if hours is not None else -1.0, 2),
            capacity=capacity, down=s.cards_per_hour <= 0)
    by_code = {s.site_code: s for s in sites}
    # Unlimited time (no deadline): a working site's capacity is whatever it is given.
    unlimited = {c for c, s in by_code.items()
                 if s.working_hours_left is None and s.cards_per_hour > 0}

    # 1. records from sites behind to sites with spare capacity (the office first)
    def spare(code: str) -> float:
        sp = plans[code]
        return math.inf if code in unlimited else sp.capacity - sp.demand

    for code in sorted(plans, key=lambda c: plans[c].demand - plans[c].capacity, reverse=True):
        sp = plans[code]
        behind = 0 if code in unlimited else sp.demand - sp.capacity
        if behind <= 0 or sp.demand == 0:
            continue
        receivers = sorted((c for c in plans if c != code and spare(c) > 0),
                           key=lambda c: (not by_code[c].is_office, -spare(c), c))
        for r in receivers:
            if behind <= 0:
                break
            n = int(min(behind, spare(r)))
            if n <= 0:
                continue
            why = ("site is down (no printer connected)" if sp.down else
                   f"site can print {sp.capacity} of {sp.demand} by the deadline")
            out.moves.append(Move("move_records", "record", code, r, n, why))
            _shift_demand(sp, plans[r], n)
            behind -= n
    for sp in plans.values():
        sp.behind_by = 0 if sp.site_code in unlimited else max(0, sp.demand - sp.capacity)
        if sp.behind_by:
            out.warnings.append(f"site {sp.site_code} stays {sp.behind_by} cards behind: no "
                                "site has spare capacity")

    # 2. consumables: need with the spoil allowance, then cover shortages from surpluses
    for sp in plans.values():
        # round() first: 100 * 0.1 is 10.000000000000002 in floating point, not 11 blanks
        need = sp.demand + math.ceil(round(sp.demand * inp.spoil_allowance, 6))
        site = by_code[sp.site_code]
        sp.blanks_need = need
        sp.ribbons_need = need * site.ribbon_prints_per_card
        sp.films_need = need * site.film_frames_per_card
    for item in ("blank", "ribbon", "film"):
        tracked = [c for c in plans if item == "blank"
                   or getattr(by_code[c], f"{item}s_have") is not None]
        _balance(item, [plans[c] for c in tracked], out)
    for sp in plans.values():
        sp.blanks_short = max(0, sp.blanks_need - sp.blanks_have)
    out.sites = [plans[c] for c in sorted(plans)]
    return out


def _shift_demand(src: SitePlan, dst: SitePlan, n: int) -> None:
    """Move n cards of demand, penggantian first (new cards stay at their kelurahan when the
    queue must be split: first-time holders are the deadline-critical ones there)."""
    p = min(n, src.demand_penggantian)
    src.demand_penggantian -= p
    dst.demand_penggantian += p
    b = n - p
    src.demand_baru -= b
    dst.demand_baru += b
    src.demand -= n
    dst.demand += n


def _balance(item: str, plans: list[SitePlan], out: Plan) -> None:
    have = {sp.site_code: getattr(sp, f"{item}s_have") for sp in plans}
    need = {sp.site_code: getattr(sp, f"{item}s_need") for sp in plans}
    surplus = {c: have[c] - need[c] for c in have if have[c] > need[c]}
    short = {c: need[c] - have[c] for c in have if need[c] > have[c]}
    for code in sorted(short, key=lambda c: (-short[c], c)):
        for giver in sorted(surplus, key=lambda c: (-surplus[c], c)):
            if short[code] <= 0:
                break
            n = min(short[code], surplus[giver])
            if n <= 0:
                continue
            out.moves.append(Move("transfer", item, giver, code, n,
                                  f"{code} needs {need[code]}, has {have[code]}"))
            surplus[giver] -= n
            short[code] -= n
    missing = sum(short.values())
    if missing:
        out.warnings.append(f"{missing} {item}s short beyond what sites can spare: deliver "
                            "them from the central store")


# -- reading the inputs from a store ------------------------------------------------------------

def gather(store, campaign_id: str, now_ms: int,
           spoil_allowance: float = DEFAULT_SPOIL_ALLOWANCE) -> PlanInput:
    from .inventory import consumables_used, printer_yields, site_stock
    from .ledger import LedgerError
    from .scheduler import _BUDGET_STATES
    from .sites import site_names

    campaign = store.get_campaign(campaign_id)
    if campaign is None:
        raise LedgerError(f"no campaign {campaign_id!r}")
    meta = {s["site_code"]: s for s in store.list_sites()}
    demand: dict[str, dict[str, int]] = {}
    for site, kategori, state, n in store.record_counts_by_kategori(campaign_id):
        if state in ("queued", "leased", "held"):
            demand.setdefault(site, {}).setdefault(kategori, 0)
            demand[site][kategori] += n
    recent = dict(store.printed_since(campaign_id, now_ms - MEASURE_WINDOW_MS))
    codes = sorted(set(demand) | set(meta) | set(store.inventory_sites()))
    names = site_names(list(meta.values()), codes)
    consumed = consumables_used(store)
    _, _, yields = printer_yields(store)
    sites = []
    for code in codes:
        m = meta.get(code, {})
        connected = [p for p in store.printers(code) if p["connected"]]
        rate = sum(p["cards_per_hour"] for p in connected)
        if connected and recent.get(code, 0) >= MIN_MEASURED_CARDS:
            rate = recent[code] * HOUR_MS / MEASURE_WINDOW_MS
        hours = (SiteCalendar.of_site(m).working_hours_between(now_ms, campaign.deadline_ms)
                 if campaign.deadline_ms else None)
        stock = site_stock(store, code, consumed)
        per_card = yields.get(code, UNKNOWN_PRINTER)
        name = names[code]
        sites.append(SiteInput(
            site_code=code, site_name=name, demand_baru=demand.get(code, {}).get("BARU", 0),
            demand_penggantian=demand.get(code, {}).get("PENGGANTIAN", 0),
            blanks_have=stock.blanks.in_stock,
            ribbons_have=stock.ribbons_in_stock if stock.ribbons_received else None,
            films_have=stock.films_in_stock if stock.films_received else None,
            ribbon_prints_per_card=per_card.ribbon_prints,
            film_frames_per_card=per_card.film_frames,
            cards_per_hour=rate, working_hours_left=hours,
            is_office=any(w in name.upper() for w in OFFICE_WORDS)))
    budgets: list[int | None] = []
    for kategori, budget in (("BARU", campaign.budget_baru),
                             ("PENGGANTIAN", campaign.budget_penggantian)):
        if not budget:
            budgets.append(None)
            continue
        used = store.count_attempts(campaign_id=campaign_id, kategori=kategori,
                                    states=_BUDGET_STATES)
        budgets.append(max(0, budget - used))
    return PlanInput(campaign_id=campaign_id, as_of_ms=now_ms,
                     deadline_ms=campaign.deadline_ms, sites=sites,
                     budget_baru_left=budgets[0], budget_penggantian_left=budgets[1],
                     spoil_allowance=spoil_allowance)
