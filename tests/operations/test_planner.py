"""The allocation planner: pure numbers in, needs and moves out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cetak.controller.calendar import SiteCalendar
from cetak.controller.planner import (
    PlanInput,
    SiteInput,
    _budgeted,
    plan,
)

JKT = ZoneInfo("Asia/Jakarta")


def _ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=JKT).timestamp() * 1000)


def test_needs_include_the_spoil_allowance_and_cover_shortages_from_surpluses():
    p = plan(PlanInput("c", 0, 0, spoil_allowance=0.1, sites=[
        SiteInput("A", demand_baru=100, blanks_have=50, cards_per_hour=50),
        SiteInput("B", demand_baru=10, blanks_have=200, cards_per_hour=50),
    ]))
    a, b = p.sites
    assert (a.blanks_need, a.blanks_have, a.blanks_short) == (110, 50, 60)
    assert b.blanks_need == 11
    assert [(m.kind, m.item, m.from_site, m.to_site, m.quantity) for m in p.moves] == [
        ("transfer", "blank", "B", "A", 60)]
    assert p.warnings == []
    assert a.behind_by == 0  # no deadline: time is not the limit of a working site


def test_a_down_site_hands_its_queue_to_the_office_first():
    p = plan(PlanInput("c", 0, 1, sites=[
        SiteInput("A", demand_baru=30, demand_penggantian=20, blanks_have=60,
                  cards_per_hour=0, working_hours_left=8),
        SiteInput("B", demand_baru=10, blanks_have=20, cards_per_hour=10,
                  working_hours_left=8),
        SiteInput("DINAS", site_name="Kantor Disdukcapil", blanks_have=0,
                  cards_per_hour=100, working_hours_left=8, is_office=True),
    ]))
    sites = {s.site_code: s for s in p.sites}
    assert sites["A"].down
    records = [m for m in p.moves if m.kind == "move_records"]
    assert [(m.from_site, m.to_site, m.quantity) for m in records] == [("A", "DINAS", 50)]
    assert "down" in records[0].reason
    # The queue moved, so the blanks follow it: A's 60 go to the office.
    assert sites["A"].demand == 0 and sites["DINAS"].demand == 50
    assert sites["DINAS"].demand_penggantian == 20
    blanks = [(m.from_site, m.to_site, m.quantity) for m in p.moves if m.kind == "transfer"
              and m.item == "blank"]
    assert blanks == [("A", "DINAS", 52)]   # 50 cards + 3% spoil allowance


def test_a_slow_site_moves_only_its_excess_and_warns_when_nobody_has_room():
    p = plan(PlanInput("c", 0, 1, sites=[
        SiteInput("A", demand_baru=100, blanks_have=200, cards_per_hour=10,
                  working_hours_left=5),      # capacity 50
        SiteInput("B", demand_baru=0, blanks_have=0, cards_per_hour=4,
                  working_hours_left=5),      # spare 20
    ]))
    sites = {s.site_code: s for s in p.sites}
    assert [(m.from_site, m.to_site, m.quantity) for m in p.moves
            if m.kind == "move_records"] == [("A", "B", 20)]
    assert sites["A"].behind_by == 30
    assert any("30 cards behind" in w for w in p.warnings)


def test_budgets_trim_demand_in_proportion():
    assert _budgeted([30, 10], None) == [30, 10]
    assert _budgeted([30, 10], 100) == [30, 10]
    assert _budgeted([30, 10], 20) == [15, 5]
    assert sum(_budgeted([3, 3, 3], 4)) == 4
    p = plan(PlanInput("c", 0, 0, budget_baru_left=20, sites=[
        SiteInput("A", demand_baru=30, blanks_have=100, cards_per_hour=1),
        SiteInput("B", demand_baru=10, blanks_have=100, cards_per_hour=1)]))
    assert [s.demand for s in p.sites] == [15, 5]
    assert any("BARU budget covers 20 of 40" in w for w in p.warnings)


def test_untracked_ribbons_are_not_planned_but_tracked_ones_are():
    p = plan(PlanInput("c", 0, 0, spoil_allowance=0, sites=[
        SiteInput("A", demand_baru=10, blanks_have=10, ribbons_have=2, cards_per_hour=1),
        SiteInput("B", demand_baru=0, blanks_have=0, ribbons_have=50, cards_per_hour=1),
        SiteInput("C", demand_baru=5, blanks_have=5, cards_per_hour=1)]))
    assert [(m.item, m.from_site, m.to_site, m.quantity) for m in p.moves] == [
        ("ribbon", "B", "A", 8)]


def test_shortage_nobody_can_cover_is_a_warning():
    p = plan(PlanInput("c", 0, 0, spoil_allowance=0, sites=[
        SiteInput("A", demand_baru=10, blanks_have=4, cards_per_hour=1)]))
    assert p.moves == [] and p.sites[0].blanks_short == 6
    assert p.warnings == ["6 blanks short beyond what sites can spare: deliver them from the "
                          "central store"]


def working_hours_between(start_ms, end_ms, calendar, overtime=0):
    return SiteCalendar.of_site(dict(calendar=calendar, overtime_cap_minutes=overtime)
                                ).working_hours_between(start_ms, end_ms)


def test_working_hours_follow_the_calendar_and_overtime():
    monday_8 = _ms(2026, 11, 30, 8, 0)
    tuesday_8 = _ms(2026, 12, 1, 8, 0)
    weekdays = [dict(weekday=d, start_minute=8 * 60, end_minute=16 * 60) for d in range(5)]
    assert working_hours_between(monday_8, tuesday_8, []) == 24
    assert working_hours_between(monday_8, tuesday_8, weekdays) == 8
    assert working_hours_between(monday_8, tuesday_8, weekdays, 180) == 11
    saturday = _ms(2026, 12, 5, 0, 0)
    assert working_hours_between(saturday, _ms(2026, 12, 7, 0, 0), weekdays) == 0
    assert working_hours_between(tuesday_8, monday_8, weekdays) == 0
