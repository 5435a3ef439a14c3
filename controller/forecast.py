"""Deadline forecast: per-site and overall ETA from measured rates and site calendars.

A site's rate is what it actually printed over the recent window when it has printed enough to
measure, else the rated speed of its connected printers. Printing only happens inside the
site's working hours (plus its overtime cap); a site with no calendar prints around the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR_MS = 3_600_000
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


@dataclass(frozen=True)
class WorkingHours:
    weekday: int          # 0 = Monday
    start_minute: int
    end_minute: int


def working_ms_until_done(remaining_ms: float, start_ms: int, hours: list[WorkingHours],
                          overtime_cap_minutes: int, timezone: str,
                          horizon_days: int = 400) -> int:
    """Wall-clock instant (unix ms) at which `remaining_ms` of printing time has been worked."""
    if remaining_ms <= 0:
        return start_ms
    if not hours:
        return int(start_ms + remaining_ms)
    tz = ZoneInfo(timezone)
    t = datetime.fromtimestamp(start_ms / 1000, UTC).astimezone(tz)
    left = remaining_ms
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(horizon_days):
        for h in hours:
            if h.weekday != day.weekday():
                continue
            open_at = day + timedelta(minutes=h.start_minute)
            close_at = day + timedelta(minutes=h.end_minute + overtime_cap_minutes)
            begin = max(open_at, t)
            if begin >= close_at:
                continue
            span_ms = (close_at - begin).total_seconds() * 1000
            if span_ms >= left:
                return int((begin + timedelta(milliseconds=left)).timestamp() * 1000)
            left -= span_ms
        day = day + timedelta(days=1)
    return 0


def forecast_site(site_code: str, remaining: int, measured_recent: int, rated_per_hour: float,
                  now_ms: int, deadline_ms: int, calendar: list[dict],
                  overtime_cap_minutes: int = 0, timezone: str = "Asia/Jakarta") -> SiteForecast:
    if measured_recent >= MIN_MEASURED_CARDS:
        rate = measured_recent * HOUR_MS / MEASURE_WINDOW_MS
    else:
        rate = rated_per_hour
    if remaining <= 0:
        return SiteForecast(site_code, 0, rate, now_ms, False, 0)
    if rate <= 0:
        return SiteForecast(site_code, remaining, 0.0, 0, bool(deadline_ms), 0)
    hours = [WorkingHours(int(h["weekday"]), int(h["start_minute"]), int(h["end_minute"]))
             for h in calendar]
    eta = working_ms_until_done(remaining / rate * HOUR_MS, now_ms, hours,
                                overtime_cap_minutes, timezone)
    if eta == 0:
        return SiteForecast(site_code, remaining, rate, 0, bool(deadline_ms), 0)
    late = max(0, eta - deadline_ms) if deadline_ms else 0
    return SiteForecast(site_code, remaining, rate, eta, late > 0, late)
