"""Site calendars: when a site prints, in its own time zone (one module for the forecast, the
planner and the metrics, which each used to do this arithmetic themselves).

A site works its hours per weekday; the overtime cap extends each working day past the end of
its last span; a holiday is a local date on which the site does not work at all. A site with no
hours works around the clock (except on its holidays): nothing is assumed about a site nobody
has described. Pure: numbers in, numbers out, no store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR_MS = 3_600_000
DAY_MINUTES = 24 * 60
DEFAULT_TIMEZONE = "Asia/Jakarta"
HORIZON_DAYS = 400        # a forecast further out than this is "cannot finish"

# Indonesia's three zones, by the names people use (there is no daylight saving time).
ZONES: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
ZONE_NAMES: dict[str, str] = {tz: name for name, tz in ZONES.items()}


@dataclass(frozen=True, order=True)
class WorkingHours:
    weekday: int          # 0 = Monday
    start_minute: int     # minutes after local midnight
    end_minute: int


@dataclass(frozen=True)
class SiteCalendar:
    hours: tuple[WorkingHours, ...] = ()
    overtime_cap_minutes: int = 0
    timezone: str = DEFAULT_TIMEZONE
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of_site(cls, site: Mapping | None) -> SiteCalendar:
        """The calendar of a site as the store lists it (calendar, overtime_cap_minutes,
        timezone, holidays); an unregistered site (None) works around the clock."""
        site = site or {}
        return cls(
            hours=tuple(sorted(WorkingHours(int(h["weekday"]), int(h["start_minute"]),
                                            int(h["end_minute"]))
                               for h in site.get("calendar") or ())),
            overtime_cap_minutes=int(site.get("overtime_cap_minutes") or 0),
            timezone=site.get("timezone") or DEFAULT_TIMEZONE,
            holidays=frozenset(date.fromisoformat(d) for d in site.get("holidays") or ()))

    @property
    def around_the_clock(self) -> bool:
        return not self.hours and not self.holidays

    # -- the working spans -----------------------------------------------------------------

    def _day_spans(self, day: datetime) -> list[tuple[datetime, datetime]]:
        """Working spans of one local day (midnight `day`), overtime after the last one."""
        if day.date() in self.holidays:
            return []
        if not self.hours:
            return [(day, day + timedelta(days=1))]
        today = [h for h in self.hours if h.weekday == day.weekday()]
        spans = [(day + timedelta(minutes=h.start_minute), day + timedelta(minutes=h.end_minute))
                 for h in today]
        if spans and self.overtime_cap_minutes:
            last = max(range(len(spans)), key=lambda i: spans[i][1])
            a, b = spans[last]
            spans[last] = (a, b + timedelta(minutes=self.overtime_cap_minutes))
        return spans

    def _spans_from(self, start_ms: int, days: int) -> Iterator[tuple[int, int]]:
        """Merged working spans (unix ms) that end after `start_ms`, in order, over `days`
        local days (from the day before: a span may run past midnight)."""
        tz = ZoneInfo(self.timezone)
        local = datetime.fromtimestamp(start_ms / 1000, UTC).astimezone(tz)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        pending: tuple[int, int] | None = None
        for _ in range(days + 1):
            for a, b in sorted(self._day_spans(day)):
                span = (int(a.timestamp() * 1000), int(b.timestamp() * 1000))
                if span[1] <= span[0]:
                    continue
                if pending is not None and span[0] <= pending[1]:
                    pending = (pending[0], max(pending[1], span[1]))
                    continue
                if pending is not None and pending[1] > start_ms:
                    yield pending
                pending = span
            day += timedelta(days=1)   # wall-clock: midnight stays midnight
        if pending is not None and pending[1] > start_ms:
            yield pending

    def spans(self, start_ms: int, end_ms: int) -> Iterator[tuple[int, int]]:
        """Working time between two instants, as (from_ms, to_ms) spans clipped to them."""
        if end_ms <= start_ms:
            return
        days = (end_ms - start_ms) // (DAY_MINUTES * 60_000) + 2
        for a, b in self._spans_from(start_ms, days):
            if a >= end_ms:
                return
            yield max(a, start_ms), min(b, end_ms)

    # -- what the forecast, planner and metrics ask -----------------------------------------

    def working_hours_between(self, start_ms: int, end_ms: int) -> float:
        """Hours of working time between two instants."""
        if end_ms <= start_ms:
            return 0.0
        if self.around_the_clock:
            return (end_ms - start_ms) / HOUR_MS
        return sum(b - a for a, b in self.spans(start_ms, end_ms)) / HOUR_MS

    def done_at(self, start_ms: int, work_ms: float, horizon_days: int = HORIZON_DAYS) -> int:
        """Instant (unix ms) at which `work_ms` of working time has passed from `start_ms`;
        0 when that is beyond the horizon (or the site never works)."""
        if work_ms <= 0:
            return start_ms
        if self.around_the_clock:
            return int(start_ms + work_ms)
        left = work_ms
        for a, b in self._spans_from(start_ms, horizon_days):
            a = max(a, start_ms)
            if b - a >= left:
                return int(a + left)
            left -= b - a
        return 0

    def is_open(self, now_ms: int) -> bool:
        """Inside a working span now."""
        if self.around_the_clock:
            return True
        return next(self.spans(now_ms, now_ms + 1), None) is not None

    def hours_per_working_day(self) -> float:
        """Average working hours (overtime included) of the weekdays the site works; 24 for
        a site with no hours. Holidays are exceptions, not part of a typical day."""
        if not self.hours:
            return 24.0
        per_day: dict[int, float] = {}
        for h in self.hours:
            per_day[h.weekday] = per_day.get(h.weekday, 0.0) + max(
                0, h.end_minute - h.start_minute) / 60
        return sum(per_day.values()) / len(per_day) + self.overtime_cap_minutes / 60


def zone_label(timezone: str) -> str:
    """'WIB' for Asia/Jakarta; other names as they are."""
    return ZONE_NAMES.get(timezone, timezone)
