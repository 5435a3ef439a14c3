"""Blank serials: a fixed prefix and a zero-padded number ("KTP0001001"), and ranges of one
series ("KTP0001001-KTP0002000" holds 1,000 blanks). The controller's inventory and the
virtual printer's hopper read and write them alike, so what a printer feeds matches what the
site received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SERIAL = re.compile(r"(.*?)(\d+)")


class SerialError(ValueError):
    """A serial or range that cannot be read; the message names it."""


@dataclass(frozen=True, order=True)
class SerialRange:
    prefix: str
    first: int
    last: int
    width: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def serial(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.width}d}"

    @property
    def serial_from(self) -> str:
        return self.serial(self.first)

    @property
    def serial_to(self) -> str:
        return self.serial(self.last)

    def overlaps(self, other: SerialRange) -> bool:
        return (self.prefix == other.prefix and self.first <= other.last
                and other.first <= self.last)

    def contains(self, other: SerialRange) -> bool:
        return (self.prefix == other.prefix and self.first <= other.first
                and other.last <= self.last)

    def __str__(self) -> str:
        return self.serial_from if self.count == 1 else f"{self.serial_from}-{self.serial_to}"


def parse_serial(serial: str) -> tuple[str, int, int]:
    """(prefix, number, width) of a serial; SerialError when it has no trailing digits."""
    m = _SERIAL.fullmatch(serial.strip())
    if m is None or not serial.strip():
        raise SerialError(f"serial {serial!r}: expected a prefix and trailing digits")
    return m.group(1), int(m.group(2)), len(m.group(2))


def parse_range(serial_from: str, serial_to: str = "") -> SerialRange:
    prefix, first, width = parse_serial(serial_from)
    if not serial_to:
        return SerialRange(prefix, first, first, width)
    prefix2, last, width2 = parse_serial(serial_to)
    if prefix2 != prefix or width2 != width:
        raise SerialError(f"serials {serial_from!r} and {serial_to!r} are not one series")
    if last < first:
        raise SerialError(f"serial range {serial_from}-{serial_to} runs backwards")
    return SerialRange(prefix, first, last, width)


def parse_range_text(item: str) -> SerialRange:
    """A range from "FROM-TO", or one serial. A prefix may itself hold a hyphen, so the split
    is where both halves parse as one series."""
    item = item.strip()
    for i in [i for i, ch in enumerate(item) if ch == "-"]:
        try:
            return parse_range(item[:i], item[i + 1:])
        except SerialError:
            if _backwards(item[:i], item[i + 1:]):
                raise  # one series, ends swapped: not a serial with a hyphen in it
            continue
    return parse_range(item)


def _backwards(a: str, b: str) -> bool:
    try:
        (pa, na, wa), (pb, nb, wb) = parse_serial(a), parse_serial(b)
    except SerialError:
        return False
    return (pa, wa) == (pb, wb) and nb < na
