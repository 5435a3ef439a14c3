"""`cetak site add|set|list`: the site registry (name, time zone, working hours, overtime cap,
holidays, printers expected), over the admin API's UpsertSite and ListSites.

The forecast, the plan, the status and the metrics read these calendars: a site nobody has
described prints around the clock. Exit codes: 0 done; 1 the controller could not be asked;
2 refused (bad input, unknown kelurahan code, a site added twice or set before it was added),
with nothing changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, timedelta

from cetak.client import add_connection_options
from cetak.i18n import N_

# Day names people write: English and Bahasa Indonesia, short and long (0 = Monday).
DAY_NAMES: dict[str, int] = {}
for _i, _names in enumerate((("mon", "monday", "sen", "senin"),
                             ("tue", "tuesday", "sel", "selasa"),
                             ("wed", "wednesday", "rab", "rabu"),
                             ("thu", "thursday", "kam", "kamis"),
                             ("fri", "friday", "jum", "jumat"),
                             ("sat", "saturday", "sab", "sabtu"),
                             ("sun", "sunday", "min", "minggu"))):
    DAY_NAMES.update(dict.fromkeys(_names, _i))
DAY_LABELS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MAX_HOLIDAY_RANGE_DAYS = 366


class Refused(Exception):
    """Input the command refuses: a message (marked for the catalogue) and its values."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template)
        self.template = template
        self.values = values


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="site_command", metavar="COMMAND", required=True)

    def common(p: argparse.ArgumentParser, adding: bool) -> None:
        p.add_argument("site", metavar="CODE",
                       help="kelurahan code PP.RR.SS.NNNN (PP.RR: the Dinas office of that "
                            "kota/kabupaten)")
        p.add_argument("--name", help="site name (default: the kelurahan's name from the "
                                      "region table)" if adding else "new site name")
        p.add_argument("--tz", metavar="WIB|WITA|WIT",
                       help="time zone (default: the province's)" if adding else "time zone")
        p.add_argument("--hours", action="append", default=[], metavar="DAYS=HH:MM-HH:MM",
                       help="working hours, repeatable: e.g. mon-fri=08:00-16:00, "
                            "sat=08:00-12:00, mon,wed=08:00-12:00,13:00-16:00, sun=off"
                            + ("; none: around the clock" if adding
                               else "; replaces the hours of the days named"))
        p.add_argument("--overtime", metavar="HOURS",
                       help="overtime cap, hours a day after the last working span (e.g. 3)")
        p.add_argument("--holiday", action="append", default=[], metavar="DATE[..DATE]",
                       help="a day the site does not print (YYYY-MM-DD, or a range "
                            "FROM..TO), repeatable")
        p.add_argument("--printers", type=int, metavar="N", help="printers the site is to run")
        p.add_argument("--json", action="store_true", help="print the site as one JSON object")
        add_connection_options(p)

    add = sub.add_parser("add", help="register a site before the drive")
    common(add, adding=True)
    add.set_defaults(handler=_add)

    set_ = sub.add_parser("set", help="change a registered site")
    common(set_, adding=False)
    set_.add_argument("--remove-holiday", action="append", default=[], metavar="DATE[..DATE]",
                      help="no longer a holiday, repeatable")
    set_.add_argument("--around-the-clock", action="store_true",
                      help="clear the working hours: the site prints at any hour")
    set_.set_defaults(handler=_set)

    list_ = sub.add_parser("list", help="the registered sites and their calendars")
    list_.add_argument("--json", action="store_true", help="print one JSON object")
    add_connection_options(list_)
    list_.set_defaults(handler=_list)


# -- parsing what the admin writes ---------------------------------------------------------------

def parse_minute(text: str) -> int:
    """'08:00' -> 480; '24:00' -> 1440."""
    hh, sep, mm = text.strip().partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2):
        raise Refused(N_("{value}: not a time; write HH:MM, from 00:00 to 24:00"), value=text)
    minute = int(hh) * 60 + int(mm)
    if int(mm) > 59 or minute > 24 * 60:
        raise Refused(N_("{value}: not a time; write HH:MM, from 00:00 to 24:00"), value=text)
    return minute


def parse_days(text: str) -> list[int]:
    """'mon-fri' -> [0..4]; 'mon,wed' -> [0, 2]; 'sab' -> [5]."""
    days: list[int] = []
    for part in text.lower().split(","):
        first, dash, last = part.strip().partition("-")
        names = (first, last) if dash else (first,)
        for name in names:
            if name not in DAY_NAMES:
                raise Refused(N_("{day}: not a day; write mon..sun or sen..min "
                                 "(e.g. mon-fri)"), day=name or part)
        a, b = DAY_NAMES[first], DAY_NAMES[last if dash else first]
        if b < a:
            raise Refused(N_("{days}: the days run backwards; write them from Monday to "
                             "Sunday (e.g. mon-fri)"), days=part)
        days.extend(range(a, b + 1))
    return sorted(set(days))


def parse_hours(spec: str) -> dict[int, list[tuple[int, int]]]:
    """'mon-fri=08:00-12:00,13:00-16:00' -> {weekday: [(start, end), ...]}; 'sun=off' -> {6: []}."""
    days_text, eq, spans_text = spec.partition("=")
    if not eq or not days_text.strip() or not spans_text.strip():
        raise Refused(N_("--hours {spec}: expected DAYS=HH:MM-HH:MM (e.g. "
                         "mon-fri=08:00-16:00), several spans separated by commas, or "
                         "DAYS=off"), spec=spec)
    days = parse_days(days_text)
    spans: list[tuple[int, int]] = []
    if spans_text.strip().lower() not in ("off", "libur", "tutup"):
        for span in spans_text.split(","):
            start, dash, end = span.partition("-")
            if not dash:
                raise Refused(N_("--hours {spec}: expected DAYS=HH:MM-HH:MM (e.g. "
                                 "mon-fri=08:00-16:00), several spans separated by commas, "
                                 "or DAYS=off"), spec=spec)
            spans.append((parse_minute(start), parse_minute(end)))
    return {d: list(spans) for d in days}


def parse_dates(text: str) -> list[str]:
    """'2026-12-25' -> ['2026-12-25']; '2026-12-24..2026-12-26' -> the three dates."""
    first, dots, last = text.strip().partition("..")
    try:
        a = date.fromisoformat(first.strip())
        b = date.fromisoformat(last.strip()) if dots else a
    except ValueError:
        raise Refused(N_("--holiday {value}: expected a date YYYY-MM-DD, or a range "
                         "YYYY-MM-DD..YYYY-MM-DD"), value=text) from None
    if b < a or (b - a).days >= MAX_HOLIDAY_RANGE_DAYS:
        raise Refused(N_("--holiday {value}: a range runs forwards and spans at most {n} "
                         "days"), value=text, n=MAX_HOLIDAY_RANGE_DAYS)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def parse_zone(text: str) -> str:
    from .calendar import ZONES

    upper = text.strip().upper()
    if upper in ZONES:
        return ZONES[upper]
    if text.strip() in ZONES.values():
        return text.strip()
    raise Refused(N_("--tz {value}: expected WIB, WITA or WIT"), value=text)


def parse_overtime(text: str) -> int:
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 <= hours <= 24:
        raise Refused(N_("--overtime {value}: expected hours a day, e.g. 3 or 1.5"),
                      value=text)
    return round(hours * 60)


def apply_options(site, args: argparse.Namespace):
    """The site with the command's options applied (hours of the days named replaced)."""
    from dataclasses import replace

    from .calendar import WorkingHours

    changes: dict = {}
    if args.name is not None:
        changes["name"] = args.name
    if args.tz is not None:
        changes["timezone"] = parse_zone(args.tz)
    hours = {} if getattr(args, "around_the_clock", False) else None
    if hours is not None or args.hours:
        by_day: dict[int, list[tuple[int, int]]] = {}
        if hours is None:
            for h in site.hours:
                by_day.setdefault(h.weekday, []).append((h.start_minute, h.end_minute))
        for spec in args.hours:
            by_day.update(parse_hours(spec))
        changes["hours"] = tuple(WorkingHours(d, a, b) for d, spans in sorted(by_day.items())
                                 for a, b in spans)
    if args.overtime is not None:
        changes["overtime_cap_minutes"] = parse_overtime(args.overtime)
    holidays = set(site.holidays)
    for text in args.holiday:
        holidays.update(parse_dates(text))
    for text in getattr(args, "remove_holiday", []):
        holidays.difference_update(parse_dates(text))
    changes["holidays"] = tuple(sorted(holidays))
    if args.printers is not None:
        changes["printers_expected"] = args.printers
    return replace(site, **changes)


# -- showing a site ------------------------------------------------------------------------------

def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_text(site, _: Callable[[str], str]) -> str:
    """'Mon-Fri 08:00-16:00; Sat 08:00-12:00' (day names translated); no hours: around the
    clock."""
    if not site.hours:
        return _("around the clock")
    per_day: dict[int, str] = {}
    for h in site.hours:
        span = f"{_hhmm(h.start_minute)}-{_hhmm(h.end_minute)}"
        per_day[h.weekday] = f"{per_day[h.weekday]},{span}" if h.weekday in per_day else span
    groups: list[tuple[int, int, str]] = []   # runs of consecutive days with the same spans
    for day in sorted(per_day):
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == per_day[day]:
            groups[-1] = (groups[-1][0], day, per_day[day])
        else:
            groups.append((day, day, per_day[day]))
    return "; ".join(
        (_(DAY_LABELS[a]) if a == b else f"{_(DAY_LABELS[a])}-{_(DAY_LABELS[b])}") + f" {spans}"
        for a, b, spans in groups)


def dates_text(dates: tuple[str, ...]) -> str:
    """'2026-12-24..2026-12-26, 2026-12-31': runs of consecutive dates as ranges."""
    runs: list[list[date]] = []
    for d in sorted(date.fromisoformat(x) for x in dates):
        if runs and d - runs[-1][1] == timedelta(days=1):
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return ", ".join(a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}"
                     for a, b in runs)


def site_json(site) -> dict:
    from .calendar import zone_label

    return dict(site_code=site.site_code, name=site.name, kecamatan=site.kecamatan,
                timezone=site.timezone, zone=zone_label(site.timezone),
                hours=[dict(weekday=h.weekday, start=_hhmm(h.start_minute),
                            end=_hhmm(h.end_minute)) for h in site.hours],
                overtime_cap_hours=site.overtime_cap_minutes / 60,
                holidays=list(site.holidays), printers_expected=site.printers_expected)


def _describe(site, _: Callable[[str], str]) -> str:
    from .calendar import zone_label

    return _("{code} {name} ({zone}): {hours}; overtime up to {overtime} h a day; "
             "{holidays} holidays; {printers} printers expected").format(
        code=site.site_code, name=site.name, zone=zone_label(site.timezone),
        hours=hours_text(site, _), overtime=f"{site.overtime_cap_minutes / 60:g}",
        holidays=len(site.holidays), printers=site.printers_expected)


# -- the commands --------------------------------------------------------------------------------

def _gettext() -> Callable[[str], str]:
    from cetak.i18n import choose_language, gettext_for

    return gettext_for(choose_language())


def _refuse(command: str, text: str) -> int:
    print(f"cetak site {command}: {text}", file=sys.stderr)
    return 2


def _call(args: argparse.Namespace, command: str, method: str, request):
    """(reply, exit code): the reply, or None with 2 when the controller refused the input
    (INVALID_ARGUMENT: nothing was written), 1 for any other failure (said on stderr)."""
    import grpc

    from cetak.api.v1 import admin_pb2_grpc
    from cetak.client import channel_from_args, rpc_failure
    from cetak.security.errors import SecurityError

    try:
        stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    except (ValueError, SecurityError) as exc:   # no --pki/--insecure; unreadable identity
        return None, _refuse(command, str(exc))
    try:
        return getattr(stub, method)(request, timeout=30), 0
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
            return None, _refuse(command, exc.details() or "")
        return None, rpc_failure(f"site {command}", exc)


def _registered(args: argparse.Namespace, command: str):
    """({code: Site}, exit code)."""
    from cetak.api.v1 import admin_pb2

    from . import serde

    reply, code = _call(args, command, "ListSites", admin_pb2.ListSitesRequest())
    if reply is None:
        return None, code
    return {s.site_code: serde.site_from_pb(s) for s in reply.sites}, 0


def _upsert(args: argparse.Namespace, command: str, site, existing: dict) -> int:
    from . import serde
    from .sites import Site, SiteInvalid, complete

    _ = _gettext()
    code = site.site_code.strip()
    if command == "add" and code in existing:
        return _refuse(command, _("{code} is already registered: change it with `cetak site "
                                  "set {code} ...`").format(code=code))
    if command == "set" and code not in existing:
        return _refuse(command, _("no site {code}: register it first with `cetak site add "
                                  "{code}`").format(code=code))
    try:
        site = apply_options(existing.get(code, site) if command == "set" else Site(code), args)
        site = complete(site)
    except Refused as exc:
        return _refuse(command, _(exc.template).format(**exc.values))
    except SiteInvalid as exc:
        return _refuse(command, exc.text(_))
    unchanged = command == "set" and site == existing[code]
    if unchanged:
        saved = site            # nothing to change: nothing written, nothing audited
    else:
        reply, status = _call(args, command, "UpsertSite", serde.site_to_pb(site))
        if reply is None:
            return status
        saved = serde.site_from_pb(reply)
    if args.json:
        print(json.dumps(site_json(saved), ensure_ascii=False))
    else:
        verb = (_("unchanged") if unchanged else
                _("registered") if command == "add" else _("updated"))
        print(f"{verb}: {_describe(saved, _)}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from .sites import Site

    existing, code = _registered(args, "add")
    if existing is None:
        return code
    return _upsert(args, "add", Site(args.site), existing)


def _set(args: argparse.Namespace) -> int:
    from .sites import Site

    existing, code = _registered(args, "set")
    if existing is None:
        return code
    return _upsert(args, "set", Site(args.site), existing)


def _list(args: argparse.Namespace) -> int:
    from .calendar import zone_label

    existing, code = _registered(args, "list")
    if existing is None:
        return code
    sites = [existing[c] for c in sorted(existing)]
    if args.json:
        print(json.dumps({"sites": [site_json(s) for s in sites]}, ensure_ascii=False))
        return 0
    _ = _gettext()
    if not sites:
        print(_("no sites registered yet: add them with `cetak site add CODE`"),
              file=sys.stderr)
        return 0
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=_("Sites"), box=box.SIMPLE_HEAD, pad_edge=False)
    # Fits 80 columns: the code and the short columns never wrap; names, hours (with the
    # zone) and holidays wrap at spaces. Every field in full, the kecamatan too: --json.
    for column, wraps in ((_("code"), False), (_("name"), True), (_("working hours"), True),
                          (_("overtime"), False), (_("holidays"), True),
                          (_("printers"), False)):
        table.add_column(column, no_wrap=not wraps, overflow="fold")
    for s in sites:
        table.add_row(s.site_code, s.name,
                      f"{hours_text(s, _)} {zone_label(s.timezone)}",
                      f"{s.overtime_cap_minutes / 60:g} h", dates_text(s.holidays) or "-",
                      str(s.printers_expected or "-"))
    Console().print(table)
    return 0
