"""Fitting text into a box: shrink within limits, then wrap, then refuse. Never clip.

Fonts load with Pillow's BASIC layout engine: raqm (the other engine) is present on some
machines only, and would change glyph placement from one machine to the next.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from cetak.card.errors import FieldDoesNotFit

DPI = 300
SIZE_STEP_PT = 0.25
LINE_SPACING = 1.08          # line pitch of wrapped text, times the font size
ASCENT = 0.905               # Liberation Sans ascender, in ems: first baseline below a box top


def mm_to_px(mm: float) -> float:
    return mm * DPI / 25.4


def pt_to_px(pt: float) -> float:
    return pt * DPI / 72.0


@functools.lru_cache(maxsize=256)
def font(path: Path, size_pt: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), pt_to_px(size_pt), layout_engine=ImageFont.Layout.BASIC)


NOTDEF_PROBE = "\ue000"    # a private-use code point no card font maps: draws the .notdef box


@functools.lru_cache(maxsize=4096)
def _glyph(path: Path, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font(path, 12.0).getmask(char)
    return mask.size, bytes(mask)


def unprintable(text: str, font_path: Path) -> bool:
    """True when some character has no glyph in the font (it would print as a box)."""
    notdef = _glyph(font_path, NOTDEF_PROBE)
    return any(_glyph(font_path, char) == notdef for char in set(text) if not char.isspace())


@dataclass(frozen=True)
class Fitted:
    size_pt: float
    lines: tuple[str, ...]

    def line_pitch_px(self) -> float:
        return pt_to_px(self.size_pt) * LINE_SPACING


def _sizes(size_pt: float, min_size_pt: float) -> list[float]:
    sizes = []
    size = size_pt
    while size >= min_size_pt - 1e-9:
        sizes.append(round(size, 4))
        size -= SIZE_STEP_PT
    return sizes


def _split_long_word(word: str, face: ImageFont.FreeTypeFont, width: float) -> list[str] | None:
    """Break a word too wide for a line after '/', '-' or ',' (addresses: 'NO.12/RT'), or None."""
    pieces: list[str] = []
    current = ""
    for char in word:
        current += char
        if char in "/-,":
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    lines: list[str] = []
    for piece in pieces:
        if face.getlength(piece) > width:
            return None
        if lines and face.getlength(lines[-1] + piece) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return lines


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str] | None:
    """Greedy word wrap; None when some word cannot be placed even on a line of its own."""
    lines: list[str] = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and face.getlength(candidate) <= width:
            lines[-1] = candidate
        elif face.getlength(word) <= width:
            lines.append(word)
        else:
            pieces = _split_long_word(word, face, width)
            if pieces is None:
                return None
            lines.extend(pieces)
    return lines


def fit_text(text: str, font_path: Path, size_pt: float, min_size_pt: float, max_lines: int,
             width_px: float, height_px: float | None, field: str,
             squeeze: int = 0) -> Fitted:
    """Largest single line from size_pt down to min_size_pt; else the largest wrap in
    max_lines lines; else FieldDoesNotFit(field). height_px None: the caller makes room.

    squeeze, for a crowded column: 1 prefers fewer wrapped lines over a larger size,
    2 also wraps at the smallest size only (the least height the text can take)."""
    sizes = _sizes(size_pt, min_size_pt)
    for size in sizes:
        if font(font_path, size).getlength(text) <= width_px and _fits_height(1, size, height_px):
            return Fitted(size, (text,))
    limits = range(2, max_lines + 1) if squeeze else [max_lines]
    wrap_sizes = sizes[-1:] if squeeze >= 2 else sizes
    for limit in limits:
        for size in wrap_sizes:
            lines = wrap(text, font(font_path, size), width_px)
            if lines and len(lines) <= limit and _fits_height(len(lines), size, height_px):
                return Fitted(size, tuple(lines))
    raise FieldDoesNotFit(field, f"does not fit in {max_lines} line(s) at "
                                 f"{min_size_pt} pt or more")


def _fits_height(lines: int, size_pt: float, height_px: float | None) -> bool:
    if height_px is None:
        return True
    needed = pt_to_px(size_pt) * (1.0 + LINE_SPACING * (lines - 1))
    return needed <= height_px + 0.5
