"""The site registry's rules: what a site may be, and the defaults it gets from the region table.

A site is a kelurahan (its kode wilayah PP.RR.SS.NNNN) or the Dinas office of a kota/kabupaten
(its code PP.RR). The name, kecamatan and time zone default from the region table (the zone by
province); hours, overtime cap, holidays and printers are what the admin says. One check,
used by `cetak site` before it asks and by the admin API before it writes, so a site nobody
could print at never enters the store. Pure: the region table is the only data it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date

from cetak.i18n import N_
from cetak.prr.regions import RegionTable, load_regions

from .calendar import DAY_MINUTES, ZONES, SiteCalendar, WorkingHours

MAX_NAME_CHARS = 80
MAX_OVERTIME_MINUTES = 12 * 60
MAX_PRINTERS = 100
MAX_HOLIDAYS = 400
OFFICE_PREFIX = "Disdukcapil"

# Provinces outside WIB, by the first two digits of the code (Permendagri time zones).
_WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65",
                             "71", "72", "73", "74", "75", "76"})
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})


class SiteInvalid(ValueError):
    """A site the registry refuses: the field, and a message (marked for the catalogue) that
    says what is wrong and what to do."""

    def __init__(self, field_name: str, template: str, **values: object) -> None:
        self.field = field_name
        self.template = template
        self.values = values
        super().__init__(f"{field_name}: {template.format(**values)}")

    def text(self, gettext=lambda s: s) -> str:
        return f"{self.field}: {gettext(self.template).format(**self.values)}"


@dataclass(frozen=True)
class Site:
    site_code: str
    name: str = ""
    kecamatan: str = ""
    hours: tuple[WorkingHours, ...] = ()
    overtime_cap_minutes: int = 0
    timezone: str = ""                 # "": the province's zone
    holidays: tuple[str, ...] = ()     # "YYYY-MM-DD", sorted
    printers_expected: int = 0

    @classmethod
    def from_store(cls, row: Mapping) -> Site:
        calendar = SiteCalendar.of_site(row)
        return cls(site_code=row["site_code"], name=row["name"], kecamatan=row["kecamatan"],
                   hours=calendar.hours, overtime_cap_minutes=calendar.overtime_cap_minutes,
                   timezone=calendar.timezone,
                   holidays=tuple(sorted(d.isoformat() for d in calendar.holidays)),
                   printers_expected=int(row.get("printers_expected") or 0))

    def store_args(self) -> dict:
        """Keyword arguments of store.upsert_site."""
        return dict(site_code=self.site_code, name=self.name, kecamatan=self.kecamatan,
                    calendar=[asdict(h) for h in self.hours],
                    overtime_cap_minutes=self.overtime_cap_minutes, timezone=self.timezone,
                    holidays=list(self.holidays), printers_expected=self.printers_expected)


def zone_of(site_code: str) -> str:
    """The time zone of the province a region code is in."""
    province = site_code[:2]
    if province in _WITA_PROVINCES:
        return ZONES["WITA"]
    if province in _WIT_PROVINCES:
        return ZONES["WIT"]
    return ZONES["WIB"]


def region_name(site_code: str, regions: RegionTable | None = None) -> str:
    """The name the region table gives a site code: the kelurahan's, or the Dinas office of a
    kota/kabupaten; "" when the code is not in the table."""
    regions = regions or load_regions()
    k = regions.kelurahan(site_code)
    if k is not None:
        return k.name
    if _is_kota(site_code, regions):
        return f"{OFFICE_PREFIX} {regions.name(site_code)}"
    return ""


def _is_kota(code: str, regions: RegionTable) -> bool:
    return len(code) == 5 and code[2:3] == "." and regions.name(code) is not None


def complete(site: Site, regions: RegionTable | None = None) -> Site:
    """The site checked, with its defaults filled in; raises SiteInvalid naming the field."""
    regions = regions or load_regions()
    code = site.site_code.strip()
    if not code:
        raise SiteInvalid("site_code", N_("required: the kelurahan code PP.RR.SS.NNNN"))
    kelurahan = regions.kelurahan(code)
    if kelurahan is None and not _is_kota(code, regions):
        raise SiteInvalid("site_code", N_(
            "{code} is not a kelurahan/desa in the region table (kode wilayah Kemendagri): "
            "check the code, written PP.RR.SS.NNNN (e.g. 32.76.01.1006), or PP.RR for the "
            "Dinas office of a kota/kabupaten"), code=code)
    name = " ".join(site.name.split()) or region_name(code, regions)
    if len(name) > MAX_NAME_CHARS:
        raise SiteInvalid("name", N_("at most {n} characters"), n=MAX_NAME_CHARS)
    if not name.isprintable():
        raise SiteInvalid("name", N_("letters, digits and punctuation only (no control "
                                     "characters)"))
    timezone = site.timezone or zone_of(code)
    if timezone not in ZONES.values():
        raise SiteInvalid("timezone", N_("{tz} is not an Indonesian time zone: use WIB "
                                         "(Asia/Jakarta), WITA (Asia/Makassar) or WIT "
                                         "(Asia/Jayapura)"), tz=timezone)
    hours = tuple(sorted(set(site.hours)))
    for h in hours:
        if not 0 <= h.weekday <= 6:
            raise SiteInvalid("hours", N_("weekday {day}: expected 0 (Monday) to 6 (Sunday)"),
                              day=h.weekday)
        if not 0 <= h.start_minute < h.end_minute <= DAY_MINUTES:
            raise SiteInvalid("hours", N_("a span must start before it ends, within one day "
                                          "(00:00 to 24:00)"))
    for a, b in zip(hours, hours[1:], strict=False):
        if a.weekday == b.weekday and b.start_minute < a.end_minute:
            raise SiteInvalid("hours", N_("two spans overlap on the same day: give each "
                                          "span once"))
    if not 0 <= site.overtime_cap_minutes <= MAX_OVERTIME_MINUTES:
        raise SiteInvalid("overtime", N_("expected 0 to {n} hours a day"),
                          n=MAX_OVERTIME_MINUTES // 60)
    holidays = []
    for text in site.holidays:
        try:
            holidays.append(date.fromisoformat(text).isoformat())
        except ValueError:
            raise SiteInvalid("holidays", N_("{value} is not a date: write YYYY-MM-DD"),
                              value=text) from None
    holidays = sorted(set(holidays))
    if len(holidays) > MAX_HOLIDAYS:
        raise SiteInvalid("holidays", N_("at most {n} dates"), n=MAX_HOLIDAYS)
    if not 0 <= site.printers_expected <= MAX_PRINTERS:
        raise SiteInvalid("printers", N_("expected 0 to {n}"), n=MAX_PRINTERS)
    return replace(site, site_code=code, name=name,
                   kecamatan=site.kecamatan or (kelurahan.kecamatan if kelurahan else ""),
                   hours=hours, timezone=timezone, holidays=tuple(holidays))


def site_names(sites: list[Mapping], codes: set[str] | list[str]) -> dict[str, str]:
    """Display name per code: the registered name, else the region table's."""
    registered = {s["site_code"]: s.get("name") or "" for s in sites}
    out = {}
    for code in codes:
        name = registered.get(code) or ""
        if not name or name == code:
            name = region_name(code) or name
        out[code] = name
    return out
