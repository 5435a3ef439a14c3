"""Ribbons as data: which panels each ribbon prints on the front and on the back of a card.

Both the native core and the NumPy reference ask this table, so a new ribbon is one line here.
"""

from __future__ import annotations

from .errors import EncodeError

PANEL_ORDER = "ymcko"  # stream order of downloads/planes; also the bit order of the C masks

# ribbon -> (front panels, back panels)
RIBBONS: dict[str, tuple[str, str]] = {
    "ymcko": ("ymcko", "ymcko"),
    "ymckok": ("ymcko", "k"),     # colour front, resin-black back
    "ymckoko": ("ymcko", "ko"),
    "ymck": ("ymck", "ymck"),
    "ko": ("ko", "ko"),
    "k": ("k", "k"),
}


def ribbon_panels(ribbon: str) -> tuple[str, str]:
    """(front, back) panel letters for a ribbon, or EncodeError for an unknown ribbon."""
    try:
        return RIBBONS[ribbon.lower()]
    except KeyError:
        known = ", ".join(sorted(RIBBONS))
        raise EncodeError(f"unknown ribbon {ribbon!r}; known: {known}") from None


def panel_bits(panels: str) -> int:
    """Panel letters -> the C core's CETAK_P_* bit mask."""
    return sum(1 << PANEL_ORDER.index(p) for p in panels)
