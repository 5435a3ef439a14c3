"""Site calendars (controller/calendar.py): hours per weekday, overtime, holidays, zones; and
the forecast, the status and the plan reading them from a real store."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cetak.controller.calendar import HOUR_MS, SiteCalendar, WorkingHours
from cetak.controller.forecast import forecast_site
from cetak.controller.inventory import Inventory
from cetak.controller.planner import gather
from cetak.controller.sites import Site, complete
from cetak.controller.status import campaign_status

from ..controller.conftest import make_records
from .conftest import OTHER_SITE, SITE

JKT = "Asia/Jakarta"


def _ms(*args: int, tz: str = JKT) -> int:
    from zoneinfo import ZoneInfo

    return int(datetime(*args, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def office_hours(*days: int, start: int = 8, end: int = 16) -> tuple[WorkingHours, ...]:
    return tuple(WorkingHours(d, start * 60, end * 60) for d in days)


WEEKDAYS = office_hours(0, 1, 2, 3, 4)
MONDAY_8 = _ms(2026, 11, 30, 8, 0)      # Monday 30 November 2026, 08:00 WIB


def test_hours_overtime_and_holidays_between_two_instants():
    cal = SiteCalendar(WEEKDAYS)
    friday_8 = _ms(2026, 12, 4, 8, 0)
    next_monday_8 = _ms(2026, 12, 7, 8, 0)
    assert cal.working_hours_between(MONDAY_8, friday_8) == 32
    assert cal.working_hours_between(friday_8, next_monday_8) == 8   # the weekend is closed
    assert SiteCalendar(WEEKDAYS, 180).working_hours_between(MONDAY_8, friday_8) == 44
    holiday = SiteCalendar(WEEKDAYS, holidays=frozenset({date(2026, 12, 1)}))
    assert holiday.working_hours_between(MONDAY_8, friday_8) == 24
    # No hours: around the clock, holidays still off.
    assert SiteCalendar().working_hours_between(MONDAY_8, friday_8) == 96
    off = SiteCalendar(holidays=frozenset({date(2026, 12, 1)}))
    assert off.working_hours_between(MONDAY_8, friday_8) == 72
    assert cal.working_hours_between(friday_8, MONDAY_8) == 0


def test_overtime_follows_the_last_span_of_the_day_only():
    split = (WorkingHours(0, 8 * 60, 12 * 60), WorkingHours(0, 13 * 60, 16 * 60))
    cal = SiteCalendar(split, overtime_cap_minutes=60)
    monday_0 = _ms(2026, 11, 30, 0, 0)
    assert cal.working_hours_between(monday_0, monday_0 + 24 * HOUR_MS) == 8   # 4 + 3 + 1
    assert not cal.is_open(_ms(2026, 11, 30, 12, 30))
    assert cal.is_open(_ms(2026, 11, 30, 16, 30))
    assert not cal.is_open(_ms(2026, 11, 30, 17, 0))


def test_a_span_past_midnight_with_overtime_and_merged_spans():
    night = SiteCalendar((WorkingHours(0, 20 * 60, 24 * 60), WorkingHours(1, 0, 4 * 60)), 60)
    monday_0 = _ms(2026, 11, 30, 0, 0)
    # Monday 20:00-24:00 and Tuesday 00:00-05:00 (overtime after Tuesday's last span) merge
    assert list(night.spans(monday_0, monday_0 + 48 * HOUR_MS)) == [
        (_ms(2026, 11, 30, 20, 0), _ms(2026, 12, 1, 5, 0))]
    assert night.is_open(_ms(2026, 12, 1, 1, 0))
    assert night.done_at(monday_0, 6 * HOUR_MS) == _ms(2026, 12, 1, 2, 0)


def test_done_at_skips_closed_time_and_holidays():
    cal = SiteCalendar(WEEKDAYS)
    assert cal.done_at(MONDAY_8, 8 * HOUR_MS) == _ms(2026, 11, 30, 16, 0)
    assert cal.done_at(MONDAY_8, 9 * HOUR_MS) == _ms(2026, 12, 1, 9, 0)
    assert cal.done_at(_ms(2026, 12, 4, 15, 0), 2 * HOUR_MS) == _ms(2026, 12, 7, 9, 0)
    holiday = SiteCalendar(WEEKDAYS, holidays=frozenset({date(2026, 12, 1)}))
    assert holiday.done_at(MONDAY_8, 9 * HOUR_MS) == _ms(2026, 12, 2, 9, 0)
    assert SiteCalendar(WEEKDAYS, 120).done_at(MONDAY_8, 9 * HOUR_MS) == _ms(2026, 11, 30, 17)
    assert SiteCalendar().done_at(MONDAY_8, 9 * HOUR_MS) == MONDAY_8 + 9 * HOUR_MS
    every_day_off = SiteCalendar(WEEKDAYS, holidays=frozenset(
        date.fromordinal(date(2026, 11, 30).toordinal() + i) for i in range(30)))
    assert every_day_off.done_at(MONDAY_8, HOUR_MS, horizon_days=20) == 0


def test_local_time_is_the_sites_own_zone():
    wita = SiteCalendar(WEEKDAYS, timezone="Asia/Makassar")
    # 08:00 WIB is 09:00 WITA: 7 of its 8 hours are left on Monday
    assert wita.working_hours_between(MONDAY_8, _ms(2026, 11, 30, 23, 0)) == 7
    wit = SiteCalendar(WEEKDAYS, timezone="Asia/Jayapura")
    assert wit.done_at(MONDAY_8, HOUR_MS) == _ms(2026, 11, 30, 11, 0, tz="Asia/Jayapura")


def test_hours_per_working_day_for_the_daily_demand_metric():
    assert SiteCalendar().hours_per_working_day() == 24
    six_days = WEEKDAYS + office_hours(5, end=12)
    assert SiteCalendar(six_days, 60).hours_per_working_day() == pytest.approx(
        (5 * 8 + 4) / 6 + 1)


def test_an_eight_hour_site_finishes_later_than_a_round_the_clock_one():
    around = forecast_site("B", 160, 0, 10.0, MONDAY_8, 0, SiteCalendar())
    office = forecast_site("A", 160, 0, 10.0, MONDAY_8, 0, SiteCalendar(WEEKDAYS))
    assert around.eta_ms == MONDAY_8 + 16 * HOUR_MS
    assert office.eta_ms == _ms(2026, 12, 1, 16, 0)
    deadline = _ms(2026, 12, 1, 12, 0)
    assert not forecast_site("B", 160, 0, 10.0, MONDAY_8, deadline).will_miss
    late = forecast_site("A", 160, 0, 10.0, MONDAY_8, deadline, SiteCalendar(WEEKDAYS))
    assert late.will_miss and late.late_by_ms == 4 * HOUR_MS


# -- through a store: what the admin registered is what status and plan use ------------------

def test_status_and_plan_read_the_registry(ledger, store):
    deadline = _ms(2026, 12, 1, 12, 0)
    store._x("UPDATE campaigns SET deadline_ms=%s WHERE campaign_id='c1'", (deadline,))
    ledger.add_records(make_records("c1", 160, site=SITE), 1)
    ledger.add_records(make_records("c1", 160, site=OTHER_SITE), 1)
    # Blanks for every record: a queue without them is blocked, not in the forecast.
    inventory = Inventory(ledger)
    for code in (SITE, OTHER_SITE):
        inventory.receive(code, "blank", 160, 1)
    ledger.hello("a1", SITE, [("p1", b"", 10.0)], [], "test", 0.0, 1)
    ledger.hello("a2", OTHER_SITE, [("p1", b"", 10.0)], [], "test", 0.0, 1)
    ledger.upsert_site(complete(Site(SITE, name="Kantor Kelurahan", hours=WEEKDAYS)), "admin")

    view = campaign_status(store, "c1", MONDAY_8)
    sites = {s.site_code: s for s in view.sites}
    assert sites[SITE].site_name == "Kantor Kelurahan"
    assert sites[OTHER_SITE].site_name == "Depok Jaya"    # not registered: the region table's
    assert sites[SITE].eta_ms == _ms(2026, 12, 1, 16, 0) and sites[SITE].will_miss_deadline
    assert sites[OTHER_SITE].eta_ms == MONDAY_8 + 16 * HOUR_MS
    assert not sites[OTHER_SITE].will_miss_deadline
    hours = {s.site_code: s.working_hours_left for s in gather(store, "c1", MONDAY_8).sites}
    assert hours == {SITE: 12, OTHER_SITE: 28}

    # A holiday on Tuesday and 3 hours of overtime: the site is a day later, with 11 hours.
    ledger.upsert_site(complete(Site(SITE, name="Kantor Kelurahan", hours=WEEKDAYS,
                                     overtime_cap_minutes=180, holidays=("2026-12-01",))),
                       "admin")
    sites = {s.site_code: s for s in campaign_status(store, "c1", MONDAY_8).sites}
    assert sites[SITE].eta_ms == _ms(2026, 12, 2, 13, 0)
    hours = {s.site_code: s.working_hours_left for s in gather(store, "c1", MONDAY_8).sites}
    assert hours[SITE] == 11
