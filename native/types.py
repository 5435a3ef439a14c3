"""Data shapes the native core takes and returns (shared by card, printers and agent)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CARD_WIDTH = 1016   # dots along the long edge, landscape, 300 dpi
CARD_HEIGHT = 648   # dots along the short edge


@dataclass(frozen=True)
class RenderedSide:
    """One side of a rendered card, landscape: rgb (648, 1016, 3) uint8, masks (648, 1016) bool."""

    rgb: np.ndarray
    k_mask: np.ndarray
    o_mask: np.ndarray


@dataclass(frozen=True)
class JobOptions:
    """How to turn rendered sides into a dialect's command stream."""

    # colour levels: Evolis 32/64/128 (256 uncompressed); Magicard 64 (bit-planes) or 256 (X-GP-8)
    levels: int = 64
    compress: bool = True       # Evolis: Dbc instead of Db
    contactless: bool = False   # route the card through the contactless station before printing
    ribbon: str = "ymcko"
    tone_curves: np.ndarray | None = None  # (3, 256) uint8 for Y, M, C; None = identity
    # Evolis `Pc;<panel>;=;<value>` contrast settings, e.g. (("k", 10),); empty = printer default
    contrast: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class EncodedJob:
    """A dialect command stream; the host pauses after chip_offset bytes to encode the chip."""

    data: bytes
    chip_offset: int | None = None


@dataclass(frozen=True)
class Command:
    name: str
    params: list[str]
    offset: int


@dataclass(frozen=True)
class Panel:
    side: str        # "front" | "back"
    panel: str       # "y" | "m" | "c" | "k" | "o"
    levels: int
    width: int
    height: int
    dots: np.ndarray  # (height, width) uint8 dot values in the dialect's orientation


@dataclass(frozen=True)
class DecodedJob:
    dialect: str
    commands: list[Command] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
