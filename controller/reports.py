"""Campaign progress reports: per-site CSV and a PNG bar chart of printed against target.

`cetak campaign report CAMPAIGN --out DIR` writes progress.csv and progress.png from the
admin API's status (counts only, no personal data). The chart is drawn with Pillow (no
matplotlib): one row per kelurahan, a grey bar for the target and a green one for printed
(red when the forecast says the site will miss the deadline). Both files are written beside
their final name and renamed into place.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .destruction import write_atomic

ROW_H = 26
LEFT = 330
RIGHT = 150
TOP = 90
BAR_W = 720


@dataclass(frozen=True)
class SiteRow:
    site_code: str
    site_name: str
    target: int
    printed: int
    queued: int
    leased: int
    held: int
    spoiled: int
    cards_per_hour: float
    eta_ms: int
    will_miss_deadline: bool

    @property
    def percent(self) -> float:
        return 100.0 * self.printed / self.target if self.target else 0.0


def rows_from_status(status) -> list[SiteRow]:
    """SiteRows from a CampaignStatus message; target = every card the site is to print
    (printed, queued, leased, held)."""
    return [SiteRow(s.site_code, s.site_name, s.printed + s.queued + s.leased + s.held,
                    s.printed, s.queued, s.leased, s.held, s.spoiled, s.cards_per_hour,
                    s.eta_ms, s.will_miss_deadline) for s in status.sites]


def csv_bytes(rows: list[SiteRow]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["site_code", "site_name", "target", "printed", "percent", "queued", "leased",
                "held", "spoiled", "cards_per_hour", "eta_ms", "will_miss_deadline"])
    for r in rows:
        w.writerow([r.site_code, r.site_name, r.target, r.printed, f"{r.percent:.1f}",
                    r.queued, r.leased, r.held, r.spoiled, f"{r.cards_per_hour:.1f}",
                    r.eta_ms, int(r.will_miss_deadline)])
    return buf.getvalue().encode("utf-8")


def png_bytes(rows: list[SiteRow], title: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    from cetak.card.template import FONTS_DIR

    font = ImageFont.truetype(str(FONTS_DIR / "LiberationSans-Regular.ttf"), 15)
    bold = ImageFont.truetype(str(FONTS_DIR / "LiberationSans-Bold.ttf"), 22)
    height = TOP + ROW_H * max(len(rows), 1) + 60
    img = Image.new("RGB", (LEFT + BAR_W + RIGHT, height), "white")
    d = ImageDraw.Draw(img)
    d.text((20, 20), title, font=bold, fill="black")
    d.rectangle((LEFT, 60, LEFT + 14, 74), fill=(200, 200, 200))
    d.text((LEFT + 20, 58), "target", font=font, fill="black")
    d.rectangle((LEFT + 90, 60, LEFT + 104, 74), fill=(46, 139, 87))
    d.text((LEFT + 110, 58), "printed", font=font, fill="black")
    d.rectangle((LEFT + 185, 60, LEFT + 199, 74), fill=(200, 50, 50))
    d.text((LEFT + 205, 58), "printed (will miss deadline)", font=font, fill="black")
    scale = BAR_W / max([r.target for r in rows] + [1])
    for i, r in enumerate(rows):
        y = TOP + i * ROW_H
        label = f"{r.site_code} {r.site_name}".strip()
        while d.textlength(label, font=font) > LEFT - 30 and len(label) > 4:
            label = label[:-2]
        d.text((20, y + 4), label, font=font, fill="black")
        d.rectangle((LEFT, y + 4, LEFT + max(1, int(r.target * scale)), y + ROW_H - 4),
                    fill=(200, 200, 200))
        if r.printed:
            d.rectangle((LEFT, y + 4, LEFT + max(1, int(r.printed * scale)), y + ROW_H - 4),
                        fill=(200, 50, 50) if r.will_miss_deadline else (46, 139, 87))
        d.text((LEFT + BAR_W + 10, y + 4), f"{r.printed}/{r.target} ({r.percent:.0f}%)",
               font=font, fill="black")
    if not rows:
        d.text((LEFT, TOP + 4), "no records", font=font, fill="black")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_report(status, out_dir: Path) -> tuple[Path, Path]:
    rows = rows_from_status(status)
    total_target = sum(r.target for r in rows)
    total_printed = sum(r.printed for r in rows)
    title = (f"Campaign {status.campaign_id}: {total_printed} of {total_target} printed")
    table = write_atomic(out_dir / "progress.csv", csv_bytes(rows))
    chart = write_atomic(out_dir / "progress.png", png_bytes(rows, title))
    return table, chart
