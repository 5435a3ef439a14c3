"""Human-readable tables for the terminal, shared by `campaign status` and the demo."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

from cetak.output import table
from cetak.timefmt import campaign_zone as _campaign_zone
from cetak.timefmt import format_ms


def campaign_zone(zones: Mapping[str, str]) -> str:
    """The zone of a campaign's own times, from its sites' (site code -> zone)."""
    return _campaign_zone(zones.values())


def print_status_table(status, zones: Mapping[str, str] | None = None,  # noqa: ANN001
                       file: TextIO | None = None) -> None:
    """Print a CampaignStatus message: one row per site (its times in its own zone, from
    `zones`: site code -> time zone), then the totals, then the deadline."""
    zones = zones or {}
    # The campaign's sites' zone; before any record is in, the registry's.
    overall = campaign_zone({s.site_code: zones.get(s.site_code, "") for s in status.sites}
                            if status.sites else zones)
    rows = []
    for s in status.sites:
        blocked = sum(getattr(s.reasons, n) for n in ("budget_spent", "budget_short",
                                                       "no_blanks", "blanks_short"))
        verdict = ("[red]miss[/red]" if s.will_miss_deadline else
                   f"[red]{blocked} blocked[/red]" if blocked else "[green]ok[/green]")
        rows.append([s.site_code, s.site_name, str(s.queued), str(s.leased), str(s.printed),
                     str(s.spoiled), str(s.held), f"{s.cards_per_hour:.0f}",
                     format_ms(s.eta_ms, zones.get(s.site_code) or overall),
                     verdict if status.deadline_ms else "-"])
    total = ["total", "", str(status.queued), str(status.leased), str(status.printed),
             str(status.spoiled), str(status.held), "", format_ms(status.eta_ms, overall),
             _verdict(status)]
    columns = [("site", "id"), ("name", "text"), ("queued", "number"), ("leased", "number"),
               ("printed", "number"), ("spoiled", "number"), ("held", "number"),
               ("cards/h", "number"), ("ETA", "time"), ("forecast", "text")]
    table(f"Campaign {status.campaign_id}", columns, rows, file=file, footer=[total])
    lines = [f"deadline: {format_ms(status.deadline_ms, overall, empty='none')}"]
    if status.cancelled:
        lines.append(f"cancelled: {status.cancelled} records")
    if status.rejected:
        lines.append(f"rejected: {status.rejected} records")
    if getattr(status, "cancelled_ms", 0):
        lines.append(f"campaign cancelled at {format_ms(status.cancelled_ms, overall)}"
                     + (f": {status.cancel_reason}" if status.cancel_reason else ""))
    print("\n".join(lines), file=file or sys.stdout)


def _verdict(status) -> str:  # noqa: ANN001 - a CampaignStatus
    """On track only when no site will miss the deadline and nothing is blocked: records a
    budget or a site's blanks block are not in the forecast (controller/blockers.py)."""
    if status.will_miss_deadline:
        return "[red]will miss[/red]"
    if status.cannot_print:
        return f"[red]{status.cannot_print} blocked[/red]"
    return "[green]on track[/green]" if status.deadline_ms else "-"
