"""Human-readable tables for the terminal (rich), shared by `campaign status` and the demo."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table


def _when(ms: int) -> str:
    if not ms:
        return "-"
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


def print_status_table(status, console: Console | None = None) -> None:
    """Print a CampaignStatus message: one row per site, then the totals."""
    console = console or Console(stderr=True)
    table = Table(title=f"Campaign {status.campaign_id}")
    for column in ("site", "name", "queued", "leased", "printed", "spoiled", "held",
                   "cards/h", "ETA", "deadline"):
        table.add_column(column, justify="right" if column not in ("site", "name") else "left")
    for s in status.sites:
        blocked = sum(getattr(s.reasons, n) for n in ("budget_spent", "budget_short",
                                                       "no_blanks", "blanks_short"))
        verdict = ("[red]miss[/red]" if s.will_miss_deadline else
                   f"[red]{blocked} blocked[/red]" if blocked else "[green]ok[/green]")
        table.add_row(s.site_code, s.site_name, str(s.queued), str(s.leased), str(s.printed),
                      str(s.spoiled), str(s.held), f"{s.cards_per_hour:.0f}", _when(s.eta_ms),
                      verdict if status.deadline_ms else "-")
    table.add_row("total", "", str(status.queued), str(status.leased), str(status.printed),
                  str(status.spoiled), str(status.held), "", _when(status.eta_ms),
                  _verdict(status), style="bold")
    console.print(table)


def _verdict(status) -> str:
    """On track only when no site will miss the deadline and nothing is blocked: records a
    budget or a site's blanks block are not in the forecast (controller/blockers.py)."""
    if status.will_miss_deadline:
        return "[red]will miss[/red]"
    if status.cannot_print:
        return f"[red]{status.cannot_print} blocked[/red]"
    return "[green]on track[/green]" if status.deadline_ms else "-"
