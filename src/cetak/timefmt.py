"""Times for people: shown in a site's zone with the zone's name, read in it when given without.

Indonesia has three zones and no daylight saving: WIB (UTC+7, Java, Sumatra, West and Central
Kalimantan), WITA (UTC+8) and WIT (UTC+9). Sites keep an IANA name (``Asia/Jakarta``) in the
store; a person reads and writes the short names. WIB is the default, where the Dinas offices
this product was first built for are.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Jakarta"
# Short name -> the IANA zone the store keeps.
SHORT_NAMES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
# IANA zones of Indonesia -> their short name.
_INDONESIA = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
              "Asia/Jayapura": "WIT"}


class UnknownZone(ValueError):
    """A time zone name that is neither WIB/WITA/WIT nor an IANA name."""


def zone_name(zone: str | None) -> str:
    """The IANA name for `zone` ("WIB", "wita", "Asia/Jakarta", "" -> the default)."""
    if not zone:
        return DEFAULT_ZONE
    iana = SHORT_NAMES.get(zone.upper(), zone)
    try:
        ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(f"time zone {zone!r}: expected WIB, WITA, WIT or an IANA name "
                          "such as Asia/Jakarta") from exc
    return iana


def zone(zone: str | None = None) -> tzinfo:
    return ZoneInfo(zone_name(zone))


def short_name(zone: str | None) -> str:
    """WIB/WITA/WIT for Indonesia's zones, else the zone's own abbreviation."""
    iana = zone_name(zone)
    return _INDONESIA.get(iana) or datetime.now(ZoneInfo(iana)).tzname() or iana


def format_ms(ms: int, zone: str | None = None, *, empty: str = "-") -> str:
    """'2026-12-01 17:00 WIB' for unix milliseconds `ms` in `zone`; `empty` for 0."""
    if not ms:
        return empty
    try:
        iana = zone_name(zone)
    except UnknownZone:  # a zone the registry should not hold: UTC, said so, not a guess
        iana = "UTC"
    when = datetime.fromtimestamp(ms / 1000, ZoneInfo(iana))
    return f"{when:%Y-%m-%d %H:%M} {_INDONESIA.get(iana) or when.tzname()}"


def parse_ms(text: str, zone: str | None = None) -> int:
    """Unix milliseconds for an ISO date or date-time; one without an offset is read in
    `zone` (a date alone: its 00:00). ValueError says what was expected."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r}: expected an ISO date-time such as 2026-12-01T17:00 "
                         "(read in WIB) or 2026-12-01T17:00+07:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(zone_name(zone)))
    return int(when.timestamp() * 1000)


def campaign_zone(zones: Iterable[str]) -> str:
    """The zone a campaign's own times (deadline, overall ETA) are in: its sites' zone when
    they share one, else WIB."""
    distinct = set()
    for z in filter(None, zones):
        try:
            distinct.add(zone_name(z))
        except UnknownZone:
            distinct.add("UTC")
    return distinct.pop() if len(distinct) == 1 else DEFAULT_ZONE
