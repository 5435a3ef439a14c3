"""Shared fixtures: a small rendered card and virtual printers that run much faster than real."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cetak.native import RenderedSide
from cetak.native.types import CARD_HEIGHT, CARD_WIDTH
from cetak.printers.virtual import VirtualPrinter

FAST = 1e6  # time scale: a card takes microseconds


@dataclass(frozen=True)
class Card:
    front: RenderedSide
    back: RenderedSide | None = None


def make_side(shade: int = 180) -> RenderedSide:
    rgb = np.full((CARD_HEIGHT, CARD_WIDTH, 3), 255, np.uint8)
    rgb[50:300, 40:260] = (shade, 90, 40)           # a "photo"
    k_mask = np.zeros((CARD_HEIGHT, CARD_WIDTH), bool)
    k_mask[400:420, 300:900] = True                  # a line of "text"
    o_mask = np.ones((CARD_HEIGHT, CARD_WIDTH), bool)
    return RenderedSide(rgb, k_mask, o_mask)


@pytest.fixture(scope="session")
def card() -> Card:
    return Card(make_side())


@pytest.fixture(scope="session")
def duplex_card() -> Card:
    return Card(make_side(), make_side(60))


@pytest.fixture
def make_printer(tmp_path: Path):
    def make(dialect: str = "evolis", **kwargs) -> VirtualPrinter:
        kwargs.setdefault("out_dir", tmp_path / "out")
        kwargs.setdefault("time_scale", FAST)
        kwargs.setdefault("blank_prefix", "BLK")
        return VirtualPrinter(dialect, **kwargs)
    return make
