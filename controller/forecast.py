"""Deadline forecast: per-site and overall ETA from measured rates and site calendars.

A site's rate is what it actually printed over the recent window when it has printed enough to
measure, else the rated speed of its connected printers. Printing only happens inside the
site's working hours (plus its overtime cap), never on its holidays; a site with no hours
prints around the clock (controller/calendar.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .calendar import HOUR_MS, SiteCalendar

MEASURE_WINDOW_MS = 15 * 60_000
MIN_MEASURED_CARDS = 5


@dataclass(frozen=True)
class SiteForecast:
    site_code: str
    remaining: int
    cards_per_hour: float
    eta_ms: int            # 0 when it cannot finish (no rate) or nothing is known
    will_miss: bool
    late_by_ms: int


def forecast_site(site_code: str, remaining: int, measured_recent: int, rated_per_hour: float,
                  now_ms: int, deadline_ms: int,
                  calendar: SiteCalendar | None = None) -> SiteForecast:
    """When the site finishes `remaining` cards at its rate, working only in its calendar
    (hours, overtime cap, holidays; None: around the clock)."""
    if measured_recent >= MIN_MEASURED_CARDS:
        rate = measured_recent * HOUR_MS / MEASURE_WINDOW_MS
    else:
        rate = rated_per_hour
    if remaining <= 0:
        return SiteForecast(site_code, 0, rate, now_ms, False, 0)
    if rate <= 0:
        return SiteForecast(site_code, remaining, 0.0, 0, bool(deadline_ms), 0)
    eta = (calendar or SiteCalendar()).done_at(now_ms, remaining / rate * HOUR_MS)
    if eta == 0:
        return SiteForecast(site_code, remaining, rate, 0, bool(deadline_ms), 0)
    late = max(0, eta - deadline_ms) if deadline_ms else 0
    return SiteForecast(site_code, remaining, rate, eta, late > 0, late)
