"""The simulated card printer: what one card costs in time and consumables, and how it fails.

Pure and deterministic: a printer draws every chance from its own `random.Random`, seeded from
the scenario seed and its id, so a run repeats exactly and one printer's luck does not shift
another's when the order of events changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .scenario import ModelSpec

MINUTE_MS = 60_000
DAY_MS = 24 * 3_600_000

# Why a printer was not printing while its site was open (ms are summed per reason).
LOSS_REASONS = ("centre", "no_lease", "blanks", "ribbon", "film", "printer_down",
                "ribbon_change", "duty")


@dataclass(frozen=True)
class CardResult:
    duration_ms: int
    state: str                 # "printed" | "spoiled"
    reason: str = ""           # spoil reason
    down_ms: int = 0           # the printer is down this long after the card (a failure)
    sent_away: bool = False


@dataclass
class SimPrinter:
    printer_id: str
    site_code: str
    model: ModelSpec
    rng: random.Random
    ribbon_left: int = 0
    film_left: int = 0
    busy: bool = False
    idle_reason: str = ""      # "" while printing or not waiting; else a LOSS_REASONS value
    idle_since: int = 0
    down_until: int = 0
    cards_today: int = 0
    duty_day: str = ""
    duty_today: int = 0
    printed: int = 0
    spoiled: int = 0
    failures: int = 0
    sent_away: int = 0
    busy_ms: int = 0
    loss_ms: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LOSS_REASONS, 0))

    @classmethod
    def make(cls, printer_id: str, site_code: str, model: ModelSpec, seed: int) -> SimPrinter:
        p = cls(printer_id, site_code, model, random.Random(f"{seed}:{printer_id}"))
        p.ribbon_left = model.ribbon_yield          # each printer starts with a roll loaded
        p.film_left = model.film_yield
        return p

    @property
    def card_ms(self) -> int:
        return int(3_600_000 / self.model.cards_per_hour)

    def duty_reached(self, day: str) -> bool:
        """The day's duty cycle (cards before it overheats and must stop for the day), drawn
        once per printer and local day."""
        if day != self.duty_day:
            lo, hi = self.model.duty_cards_per_day
            self.duty_day, self.cards_today = day, 0
            self.duty_today = self.rng.randint(lo, hi)
        return self.cards_today >= self.duty_today

    def print_card(self) -> CardResult:
        """One card: its duration, its outcome, and a failure after it (jam, breakdown)."""
        m = self.model
        self.cards_today += 1
        self.ribbon_left -= 1
        if m.film_yield:
            self.film_left -= 1
        duration = self.card_ms
        self.busy_ms += duration
        if m.mtbf_cards and self.rng.random() < 1.0 / m.mtbf_cards:
            self.failures += 1
            self.spoiled += 1
            if self.rng.random() < m.send_away_chance:
                self.sent_away += 1
                days = self.rng.uniform(*m.send_away_days)
                return CardResult(duration, "spoiled", "jam", int(days * DAY_MS), True)
            minutes = self.rng.uniform(*m.repair_minutes)
            return CardResult(duration, "spoiled", "jam", int(minutes * MINUTE_MS))
        if self.rng.random() < m.spoil_rate:
            self.spoiled += 1
            return CardResult(duration, "spoiled", "print_defect")
        self.printed += 1
        return CardResult(duration, "printed")

    def wait(self, reason: str, now_ms: int) -> None:
        """The printer stops for `reason` (the time is counted when it resumes)."""
        if self.idle_reason != reason:
            self.resume(now_ms)
            self.idle_reason, self.idle_since = reason, now_ms

    def resume(self, now_ms: int) -> None:
        if self.idle_reason:
            self.loss_ms[self.idle_reason] += max(0, now_ms - self.idle_since)
            self.idle_reason = ""
