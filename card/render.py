"""Rendering a CardRecord onto the card canvas: RGB for the colour panels, 1-bit K and O masks.

Text goes to resin K by default: crisp black and durable. Under K the RGB canvas is kept
white, so no colour ink is laid under resin black (it would only muddy the edges).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cetak.card import photo as photo_mod
from cetak.card.errors import FieldDoesNotFit, FieldInvalid, PhotoError, TemplateError
from cetak.card.fields import FIELDS, Record, birth_date
from cetak.card.template import (
    CARD_HEIGHT_MM,
    CARD_WIDTH_MM,
    Box,
    Element,
    Fill,
    ImageElement,
    OverlayHole,
    RectElement,
    RowsElement,
    Template,
    TextElement,
    TextStyle,
    load_template,
)
from cetak.card.text import ASCENT, Fitted, fit_text, font, mm_to_px, pt_to_px, unprintable
from cetak.native.types import CARD_HEIGHT, CARD_WIDTH, RenderedSide

WHITE = (255, 255, 255)
EDGE_MM = 0.01           # a box this close to a card edge touches it
INK_THRESHOLD = 128      # K is 1-bit: anti-aliased glyph edges at or above half coverage print


@dataclass(frozen=True)
class RenderedCard:
    """Both sides of a rendered card; back is None for single-sided cards (e-KTP)."""

    front: RenderedSide
    back: RenderedSide | None


@functools.lru_cache(maxsize=1)
def builtin_template() -> Template:
    return load_template(None)


def render_card(record: Record, template: Template | None = None) -> RenderedCard:
    """Render the record with the template (default: built-in e-KTP front).

    Raises FieldInvalid / FieldDoesNotFit / PhotoError naming the field at fault.
    """
    template = template or builtin_template()
    front = _render_side(record, template, template.front)
    back = _render_side(record, template, template.back) if template.back is not None else None
    return RenderedCard(front=front, back=back)


def _px_box(box: Box) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) in dots, right/bottom exclusive, clamped to the canvas.

    The canvas (1016 x 648 dots) is a little larger than the card at 300 dpi (1011 x 638):
    a box that reaches a card edge bleeds to the canvas edge, so no white sliver is left.
    """
    left = 0 if box.x <= EDGE_MM else round(mm_to_px(box.x))
    top = 0 if box.y <= EDGE_MM else round(mm_to_px(box.y))
    right = (CARD_WIDTH if box.x + box.w >= CARD_WIDTH_MM - EDGE_MM
             else min(CARD_WIDTH, round(mm_to_px(box.x + box.w))))
    bottom = (CARD_HEIGHT if box.y + box.h >= CARD_HEIGHT_MM - EDGE_MM
              else min(CARD_HEIGHT, round(mm_to_px(box.y + box.h))))
    return left, top, right, bottom


class _Canvas:
    def __init__(self, record: Record, template: Template) -> None:
        self.record = record
        self.template = template
        self.rgb = Image.new("RGB", (CARD_WIDTH, CARD_HEIGHT), WHITE)
        self.k = Image.new("L", (CARD_WIDTH, CARD_HEIGHT), 0)
        self.overlay = np.ones((CARD_HEIGHT, CARD_WIDTH), dtype=bool)
        self.rgb_draw = ImageDraw.Draw(self.rgb)
        self.k_draw = ImageDraw.Draw(self.k)
        # Glyph edges must be binary before they reach K; draw text without anti-aliasing
        # loss by thresholding afterwards (see finish()).

    def font_path(self, style: TextStyle) -> Path:
        return self.template.fonts[style.font]

    def draw_text(self, xy: tuple[float, float], text: str, style_path: Path, size_pt: float,
                  panel: str, colour: str, anchor: str) -> None:
        face = font(style_path, size_pt)
        if panel == "k":
            self.k_draw.text(xy, text, font=face, fill=255, anchor=anchor)
        else:
            self.rgb_draw.text(xy, text, font=face, fill=colour, anchor=anchor)

    def finish(self) -> RenderedSide:
        k_mask = np.asarray(self.k) >= INK_THRESHOLD
        rgb = np.array(self.rgb, dtype=np.uint8)
        rgb[k_mask] = WHITE
        return RenderedSide(rgb=rgb, k_mask=k_mask, o_mask=self.overlay.copy())


def _render_side(record: Record, template: Template,
                 elements: tuple[Element, ...]) -> RenderedSide:
    canvas = _Canvas(record, template)
    for element in elements:
        _DRAW[type(element)](canvas, element)
    return canvas.finish()


def _fill_colour(canvas: _Canvas, fill: Fill) -> str:
    if not fill.by_birth_year:
        return str(fill.colour)
    # e-KTP convention: red for an odd birth year, blue for an even one.
    return str(fill.odd if birth_date(canvas.record).year % 2 else fill.even)


def _draw_rect(canvas: _Canvas, element: RectElement) -> None:
    left, top, right, bottom = _px_box(element.box)
    canvas.rgb_draw.rectangle((left, top, right - 1, bottom - 1),
                              fill=_fill_colour(canvas, element.fill))


def _draw_image(canvas: _Canvas, element: ImageElement) -> None:
    data = bytes(getattr(canvas.record, element.field, b"") or b"")
    if not data:
        if element.required:
            raise PhotoError(element.field, "missing")
        return
    image = photo_mod.decode(data, element.field)
    left, top, right, bottom = _px_box(element.box)
    size = (right - left, bottom - top)
    if element.panel == "k":
        # A signature in resin: its ink becomes the K mask, the rest stays untouched.
        image = photo_mod.ink_crop(image, element.field)
    if element.fit == "cover":
        placed, offset = photo_mod.cover(image, size), (0, 0)
    else:
        placed, offset = photo_mod.contain(image, size)
    at = (left + offset[0], top + offset[1])
    if element.panel == "k":
        ink = placed.convert("L").point(lambda v: 255 if v < INK_THRESHOLD else 0)
        canvas.k.paste(255, at, mask=ink)
    else:
        canvas.rgb.paste(placed, at)


def _draw_hole(canvas: _Canvas, element: OverlayHole) -> None:
    left, top, right, bottom = _px_box(element.box)
    canvas.overlay[top:bottom, left:right] = False


def _value(canvas: _Canvas, field: str | None, text: str | None) -> tuple[str, str | None]:
    """(printed text, record field named in errors; None for template literals)."""
    if field is None:
        return str(text), None
    definition = FIELDS[field]
    return definition.format(canvas.record), definition.source


def _fit(text: str, source: str | None, path: Path, style: TextStyle, width: float,
         height: float | None, element: str, squeeze: int = 0) -> Fitted:
    if unprintable(text, path):
        if source is None:
            raise TemplateError(f"element {element!r}: literal text has characters the font "
                                "cannot print")
        raise FieldInvalid(source, "has characters the card font cannot print")
    try:
        return fit_text(text, path, style.size_pt, style.min_size_pt, style.max_lines, width,
                        height, source or "", squeeze=squeeze)
    except FieldDoesNotFit:
        if source is None:  # a literal from the template itself: the template is wrong
            raise TemplateError(f"element {element!r}: literal text does not fit") from None
        raise


def _draw_text(canvas: _Canvas, element: TextElement) -> None:
    text, source = _value(canvas, element.field, element.text)
    if not text:
        return
    left, top, right, bottom = _px_box(element.box)
    path = canvas.font_path(element.style)
    fitted = _fit(text, source, path, element.style, right - left, bottom - top, element.name)
    anchor, x = {"left": ("ls", left), "center": ("ms", (left + right) / 2),
                 "right": ("rs", right)}[element.align]
    baseline = top + pt_to_px(fitted.size_pt) * ASCENT
    for line in fitted.lines:
        canvas.draw_text((x, baseline), line, path, fitted.size_pt, element.panel,
                         element.colour, anchor)
        baseline += fitted.line_pitch_px()


def _draw_rows(canvas: _Canvas, element: RowsElement) -> None:
    # A crowded column retries with wrapped values squeezed into less height.
    for squeeze in (0, 1, 2):
        try:
            plan = _plan_rows(canvas, element, squeeze)
            break
        except _Overflow as exc:
            if squeeze < 2:
                continue
            if exc.field is None:
                raise TemplateError(f"element {element.name!r}: rows overflow the box") from None
            raise FieldDoesNotFit(exc.field, "too many lines for the card") from None
    for xy, text, path, size, anchor in plan:
        canvas.draw_text(xy, text, path, size, element.panel, "#000000", anchor)


class _Overflow(Exception):
    def __init__(self, field: str | None) -> None:
        super().__init__(field)
        self.field = field


Draw = tuple[tuple[float, float], str, Path, float, str]


def _plan_rows(canvas: _Canvas, element: RowsElement, squeeze: int) -> list[Draw]:
    plan: list[Draw] = []
    box_right = mm_to_px(element.box.x + element.box.w)
    bottom = mm_to_px(element.box.y + element.box.h)
    colon_gap = mm_to_px(element.colon_gap)
    y = mm_to_px(element.box.y)
    wrapped: list[tuple[int, str]] = []     # (extra lines, field) of values that wrapped
    for row in element.rows:
        nominal = max(max(c.value_style.size_pt, c.label_style.size_pt) for c in row.cells)
        baseline = y + pt_to_px(nominal) * ASCENT
        extra = 0.0
        lowest = baseline
        for index, cell in enumerate(row.cells):
            label_x = mm_to_px(cell.x)
            colon_x = mm_to_px(cell.x + cell.label_width)
            label_path = canvas.font_path(cell.label_style)
            colon_w = font(label_path, cell.label_style.size_pt).getlength(":")
            value_x = colon_x + colon_w + colon_gap
            if cell.value_width is not None:
                value_right = value_x + mm_to_px(cell.value_width)
            elif index + 1 < len(row.cells):
                value_right = mm_to_px(row.cells[index + 1].x) - colon_gap
            else:
                value_right = box_right
            label = _fit(cell.label, None, label_path, cell.label_style,
                         colon_x - label_x - colon_gap / 2, None, element.name)
            plan.append(((label_x, baseline), label.lines[0], label_path, label.size_pt, "ls"))
            plan.append(((colon_x, baseline), ":", label_path, label.size_pt, "ls"))
            text, source = _value(canvas, cell.field, cell.text)
            if not text:
                continue
            value_path = canvas.font_path(cell.value_style)
            fitted = _fit(text, source, value_path, cell.value_style, value_right - value_x,
                          None, element.name, squeeze=squeeze)
            line_y = baseline
            for line in fitted.lines:
                plan.append(((value_x, line_y), line, value_path, fitted.size_pt, "ls"))
                lowest = max(lowest, line_y + pt_to_px(fitted.size_pt) * 0.25)
                line_y += fitted.line_pitch_px()
            if len(fitted.lines) > 1:
                extra = max(extra, fitted.line_pitch_px() * (len(fitted.lines) - 1))
                wrapped.append((len(fitted.lines) - 1, source or ""))
        if lowest > bottom + 0.5:
            # Blame the value that took the most extra lines: shortening it is the fix.
            raise _Overflow(max(wrapped)[1] if wrapped else None)
        y += mm_to_px(row.pitch) + extra
    return plan


_DRAW = {
    RectElement: _draw_rect,
    ImageElement: _draw_image,
    OverlayHole: _draw_hole,
    TextElement: _draw_text,
    RowsElement: _draw_rows,
}
