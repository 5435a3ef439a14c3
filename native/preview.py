"""What a decoded job would look like on the card: one landscape RGB image per printed side."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .types import CARD_HEIGHT, CARD_WIDTH, DecodedJob, Panel


def _landscape(panel: Panel) -> np.ndarray:
    """Panel dots (1016 lines x width) -> landscape (648, 1016), undoing the 90 degree turn."""
    dots = panel.dots[:CARD_WIDTH, :CARD_HEIGHT]
    return np.rot90(dots, 1)


def render_preview(job: DecodedJob) -> dict[str, Image.Image]:
    """"front"/"back" -> RGB 1016x648: dye densities subtract from white, resin K prints black.

    The overlay (O) is clear varnish and does not change the picture.
    """
    sides: dict[str, dict[str, np.ndarray]] = {}
    for panel in job.panels:
        ink = _landscape(panel).astype(np.float32) / max(1, panel.levels - 1)
        sides.setdefault(panel.side, {})[panel.panel] = ink
    images = {}
    for side, inks in sides.items():
        white = np.zeros((CARD_HEIGHT, CARD_WIDTH), np.float32)
        rgb = np.stack([1.0 - inks.get(ch, white) for ch in "cmy"], axis=-1)
        if "k" in inks:
            rgb[inks["k"] > 0] = 0.0
        images[side] = Image.fromarray(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8), "RGB")
    return images
