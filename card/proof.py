"""Proof images: how a rendered card looks printed, and contact sheets of many cards."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cetak.card.render import RenderedCard
from cetak.card.template import FONTS_DIR
from cetak.native.types import RenderedSide

THUMB_SCALE = 4             # contact-sheet thumbnails at a quarter of 300 dpi
SHEET_COLUMNS = 4
SHEET_MAX_CARDS = 24        # one sheet per 24 cards keeps each PNG a few MB at most
GAP = 16
CAPTION = 26


def side_image(side: RenderedSide) -> Image.Image:
    """The side as printed: colour panels, with resin K black on top (overlay is invisible)."""
    rgb = side.rgb.copy()
    rgb[side.k_mask] = 0
    return Image.fromarray(rgb, "RGB")


def card_image(card: RenderedCard) -> Image.Image:
    """The front, or front above back for a two-sided card."""
    front = side_image(card.front)
    if card.back is None:
        return front
    back = side_image(card.back)
    both = Image.new("RGB", (front.width, front.height * 2 + GAP), (255, 255, 255))
    both.paste(front, (0, 0))
    both.paste(back, (0, front.height + GAP))
    return both


def contact_sheet(cards: Sequence[tuple[str, Image.Image]]) -> Image.Image:
    """Thumbnails in a grid, each captioned (captions carry no personal data: line numbers)."""
    if not cards:
        raise ValueError("no cards for a contact sheet")
    thumbs = [(label, image.reduce(THUMB_SCALE)) for label, image in cards]
    cell_w = max(t.width for _, t in thumbs) + GAP
    cell_h = max(t.height for _, t in thumbs) + GAP + CAPTION
    columns = min(SHEET_COLUMNS, len(thumbs))
    rows = -(-len(thumbs) // columns)
    sheet = Image.new("RGB", (columns * cell_w + GAP, rows * cell_h + GAP), (236, 236, 236))
    draw = ImageDraw.Draw(sheet)
    caption_font = ImageFont.truetype(str(FONTS_DIR / "LiberationSans-Regular.ttf"), 18,
                                      layout_engine=ImageFont.Layout.BASIC)
    for index, (label, thumb) in enumerate(thumbs):
        x = GAP + (index % columns) * cell_w
        y = GAP + (index // columns) * cell_h
        sheet.paste(thumb, (x, y))
        draw.rectangle((x - 1, y - 1, x + thumb.width, y + thumb.height), outline=(150, 150, 150))
        draw.text((x, y + thumb.height + 4), label, font=caption_font, fill=(40, 40, 40))
    return sheet


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))
