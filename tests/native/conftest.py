"""Fixtures for the native core tests: the vendor captures, random canvases, rendered cards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cetak.native import RenderedSide

REPO = Path(__file__).resolve().parents[2]
# Captures from the vendor's Windows driver, shipped with the tests (see their README).
EVOLIS_VECTORS = REPO / "tests" / "data" / "evolis-windows-driver"

# file -> (download length, printed dots) from the vectors' README
EVOLIS_EXPECTED = {
    "card-black-fit.prn": (83232, 653758),
    "card-black.prn": (83312, 656383),
    "card-gradient-fit.prn": (83232, 411819),
    "card-gradient.prn": (83312, 412789),
    "card-white-fit.prn": (42912, 5797),
    "card-white.prn": (42832, 3827),
    "evolis-card-curves.prn": (83223, 83952),
    "evolis-card-text.prn": (83223, 84881),
}


@pytest.fixture(scope="session")
def evolis_vectors() -> dict[str, bytes]:
    return {name: (EVOLIS_VECTORS / name).read_bytes() for name in EVOLIS_EXPECTED}


def random_side(seed: int, k_density: float = 0.1, o_density: float = 0.5) -> RenderedSide:
    rng = np.random.default_rng(seed)
    return RenderedSide(
        rgb=rng.integers(0, 256, (648, 1016, 3), dtype=np.uint8),
        k_mask=rng.random((648, 1016)) < k_density,
        o_mask=rng.random((648, 1016)) < o_density,
    )


def drawn_side(seed: int = 0) -> RenderedSide:
    """A card-like side: flat background, gradient band, a noisy 'photo', text in resin K."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (1016, 648), (236, 242, 250))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1015, 90), fill=(180, 30, 40))
    for x in range(0, 1016, 4):
        draw.line((x, 560, x, 647), fill=(x // 4, 128, 255 - x // 4))
    rgb = np.array(img)
    rgb[150:500, 40:320] = rng.integers(60, 200, (350, 280, 3), dtype=np.uint8)
    k_img = Image.new("L", (1016, 648), 0)
    kd = ImageDraw.Draw(k_img)
    for i, line in enumerate(["PROVINSI JAWA BARAT", "NIK : 3276011708900001", "Nama : SITI"]):
        kd.text((360, 150 + 60 * i), line, fill=255, font_size=36)
    k = np.array(k_img) >= 128
    rgb[k] = 255
    o = np.ones((648, 1016), bool)
    o[200:330, 700:900] = False  # hole over the chip
    return RenderedSide(rgb, k, o)


@pytest.fixture(scope="session")
def card_side() -> RenderedSide:
    return drawn_side(0)
