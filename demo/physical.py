"""What the virtual printers physically produced, read from their output folders.

Each printer folder holds `produced.jsonl` (one line per blank that left the hopper: record,
blank serial, outcome) and `<record>.front.png` / `<record>.chip` per good card. The hopper
counts come from the printers themselves (their service port) before they stop.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cetak.printers.virtual.output import read_log


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


@dataclass(frozen=True)
class SitePhysics:
    loaded: int
    in_hopper: int
    consumed: int
    good: int


@dataclass
class PhysicalTally:
    """Cards and blanks as the printers saw them."""

    per_printer: dict[Path, list[dict]] = field(default_factory=dict)
    loaded: dict[Path, int] = field(default_factory=dict)
    in_hopper: dict[Path, int] = field(default_factory=dict)
    records_with_png: set[str] = field(default_factory=set)
    chip_files: list[Path] = field(default_factory=list)

    @property
    def good_cards(self) -> int:
        return sum(1 for entries in self.per_printer.values() for e in entries
                   if e["outcome"] == "printed")

    @property
    def duplicate_records(self) -> list[str]:
        """Records with more than one good card physically produced, over all printers."""
        good = Counter(e["record"] for entries in self.per_printer.values() for e in entries
                       if e["outcome"] == "printed")
        return sorted(r for r, n in good.items() if n > 1)

    def during(self, start: float, end: float) -> dict:
        """Cards printed and printer utilisation (busy time / available time) in a window of
        wall-clock time (unix seconds), e.g. while the controller was down."""
        printed = 0
        busy = 0.0
        for entries in self.per_printer.values():
            for e in entries:
                done = _epoch(e["at"])
                begin = done - float(e.get("busy_s", e.get("print_s", 0.0)))
                busy += max(0.0, min(done, end) - max(begin, start))
                if e["outcome"] == "printed" and start <= done <= end:
                    printed += 1
        available = (end - start) * len(self.per_printer)
        return {"printed_during_outage": printed,
                "utilization_during_outage": round(busy / available, 4) if available else 0.0}

    def by_site(self, site: str, folders: list[Path]) -> SitePhysics:
        del site  # the folders are the site's printers
        entries = [e for f in folders for e in self.per_printer.get(f, [])]
        return SitePhysics(loaded=sum(self.loaded.get(f, 0) for f in folders),
                           in_hopper=sum(self.in_hopper.get(f, 0) for f in folders),
                           consumed=len(entries),
                           good=sum(1 for e in entries if e["outcome"] == "printed"))


def tally_printers(folders: dict[Path, tuple[int, int]]) -> PhysicalTally:
    """`folders` maps each printer's output folder to (blanks loaded, blanks in its hopper)."""
    tally = PhysicalTally()
    for folder, (loaded, in_hopper) in folders.items():
        tally.per_printer[folder] = read_log(folder)
        tally.loaded[folder] = loaded
        tally.in_hopper[folder] = in_hopper
        tally.records_with_png.update(p.name.split(".", 1)[0]
                                      for p in folder.glob("*.front.png"))
        tally.chip_files.extend(sorted(folder.glob("*.chip")))
    return tally
