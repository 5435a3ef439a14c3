"""Faults of the virtual printer: which card gets which fault, from a spec, a seed or a command.

Spec (`--faults`): comma-separated items, each one of
    KIND@N     the N-th card the printer starts (1-based) gets KIND
    KIND%P     every card gets KIND with probability P (0..1), drawn from the seeded generator
KIND is one of the FaultKind values (`jam_after_feed`, or with hyphens `jam-after-feed`).
The same spec and seed give the same faults on the same cards, run after run.
"""

from __future__ import annotations

import enum
import random

from cetak.printers.errors import FaultSpecError


class FaultKind(enum.Enum):
    FEEDER_EMPTY = "feeder_empty"            # no blank picked           -> failed_before_card
    COVER_OPEN = "cover_open"                # refused before feed       -> failed_before_card
    JAM_BEFORE_FEED = "jam_before_feed"      # misfeed, blank stays put  -> failed_before_card
    JAM_AFTER_FEED = "jam_after_feed"        # card stuck in the path    -> spoiled
    RIBBON_OUT = "ribbon_out"                # ribbon ends mid-card      -> spoiled
    FILM_OUT = "film_out"                    # film ends mid-card        -> spoiled
    CHIP_WRITE_FAILURE = "chip_write_failure"  # contactless write fails -> spoiled
    POWER_LOSS = "power_loss"                # dies mid-card             -> unknown

    @classmethod
    def parse(cls, text: str, item: str | None = None) -> FaultKind:
        """A kind from its name; errors name `item` (the whole spec item) or the text."""
        try:
            return cls(text.strip().lower().replace("-", "_"))
        except ValueError:
            names = ", ".join(k.value for k in cls)
            raise FaultSpecError(item or text, f"unknown fault kind (one of {names})") from None


BEFORE_FEED = {FaultKind.FEEDER_EMPTY, FaultKind.COVER_OPEN, FaultKind.JAM_BEFORE_FEED}


class FaultPlan:
    """Decides, card by card, which fault (if any) the card meets."""

    def __init__(self, spec: str = "", seed: int = 0) -> None:
        self._at: dict[int, FaultKind] = {}
        self._rates: list[tuple[FaultKind, float]] = []
        self._armed: list[FaultKind] = []
        self._rng = random.Random(seed)
        for item in filter(None, (part.strip() for part in spec.split(","))):
            self._add(item)

    def _add(self, item: str) -> None:
        if "@" in item:
            kind, _, number = item.partition("@")
            if not number.isdigit() or int(number) < 1:
                raise FaultSpecError(item, "card number must be a positive integer")
            self._at[int(number)] = FaultKind.parse(kind, item)
        elif "%" in item:
            kind, _, rate = item.partition("%")
            try:
                probability = float(rate)
            except ValueError:
                raise FaultSpecError(item, "probability must be a number") from None
            if not 0.0 <= probability <= 1.0:
                raise FaultSpecError(item, "probability must be between 0 and 1")
            self._rates.append((FaultKind.parse(kind, item), probability))
        else:
            raise FaultSpecError(item, "expected KIND@N or KIND%P")

    def arm(self, kind: FaultKind) -> None:
        """On command: the next card meets this fault (before any planned one)."""
        self._armed.append(kind)

    def draw(self, card_number: int) -> FaultKind | None:
        """The fault of the card_number-th card; draws the generator once per rate per card so
        the sequence depends only on the seed and the card number."""
        drawn = [kind for kind, p in self._rates if self._rng.random() < p]
        if self._armed:
            return self._armed.pop(0)
        if card_number in self._at:
            return self._at[card_number]
        return drawn[0] if drawn else None
