"""Invariant checks over the whole store (`cetak campaign verify`).

The store enforces what a constraint can (one printed attempt per record, the attempt state
graph); this checks the rest and re-checks those, so a damaged or hand-edited file is caught.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Violation:
    invariant: str
    subject: str
    detail: str


@dataclass
class VerifyReport:
    violations: list[Violation] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)   # not violations, but need a person
    sites: dict[str, dict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict:
        return {"ok": self.ok, "violations": [asdict(v) for v in self.violations],
                "attention": self.attention, "sites": self.sites}


def verify_store(store) -> VerifyReport:
    report = VerifyReport()
    for record_id, n in store.printed_attempt_counts():
        report.violations.append(Violation("one_printed_card", record_id,
                                           f"{n} printed attempts"))
    for record_id, state, problem in store.inconsistent_records():
        report.violations.append(Violation("no_record_lost", record_id,
                                           f"{problem} (state {state})"))
    for site, campaign, kategori, state, kept, counted in store.attempt_totals_drift():
        report.violations.append(Violation(
            "attempt_totals", site,
            f"{campaign}/{kategori}/{state}: the store keeps {kept}, attempts counted {counted}"))
    for site in store.inventory_sites():
        b = store.site_blanks(site)
        report.sites[site] = {"received": b.received, "transferred_in": b.transferred_in,
                              "transferred_out": b.transferred_out, "printed": b.printed,
                              "spoiled": b.spoiled, "unknown": b.unknown,
                              "in_flight": b.in_flight, "destroyed": b.destroyed,
                              "in_stock": b.in_stock}
        if b.in_stock < 0:
            report.violations.append(Violation(
                "blank_conservation", site,
                f"more blanks used ({b.printed + b.spoiled + b.unknown + b.in_flight}) and "
                f"sent away ({b.transferred_out}) than received "
                f"({b.received + b.transferred_in})"))
        if b.destroyed > b.spoiled:
            report.violations.append(Violation(
                "destroyed_subset_of_spoiled", site,
                f"{b.destroyed} destroyed but only {b.spoiled} spoiled"))
    from .inventory import serial_attention, verify_inventory

    for invariant, site, detail in verify_inventory(store):
        report.violations.append(Violation(invariant, site, detail))
    for items in serial_attention(store).values():
        report.attention.extend(items)
    flagged = store.flagged_events()
    if flagged:
        report.attention.append(f"{len(flagged)} agent reports flagged and not applied "
                                "(stale epoch or impossible transition): review them")
    held = store.held_records()
    unknown = sum(1 for r in held if r.hold_reason == "unknown_outcome")
    if unknown:
        report.attention.append(f"{unknown} records held with an unknown outcome: resolve them")
    return report
