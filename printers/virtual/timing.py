"""How long the virtual printer takes per card, from the printer model's configuration.

The catalogue rate is for a YMCKO card printed on one side. A card costs a fixed part (feed,
eject), a part per ribbon panel, and on retransfer printers a film transfer per printed side;
the split below makes a YMCKO one-sided card take exactly 3600 / cards_per_hour seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

REFERENCE_PANELS = 5  # YMCKO, one side
FIXED_SHARE = 0.25
TRANSFER_SHARE = 0.25


@dataclass(frozen=True)
class TimeModel:
    cards_per_hour: float
    retransfer: bool = False
    time_scale: float = 1.0  # 10 = ten times faster than the real printer

    def __post_init__(self) -> None:
        if self.cards_per_hour <= 0 or self.time_scale <= 0:
            raise ValueError("cards_per_hour and time_scale must be positive")

    def card_seconds(self, panels: int, sides: int) -> float:
        """Wall-clock seconds for one card with `panels` ribbon panels over `sides` sides."""
        reference = 3600.0 / self.cards_per_hour
        fixed = FIXED_SHARE * reference
        transfer = TRANSFER_SHARE * reference if self.retransfer else 0.0
        per_panel = (reference - fixed - transfer) / REFERENCE_PANELS
        return (fixed + panels * per_panel + sides * transfer) / self.time_scale
