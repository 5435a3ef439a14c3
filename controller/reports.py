"""Campaign progress reports: per-site CSV and a PNG chart of printed against target.

`cetak campaign report CAMPAIGN --out DIR [--lang id|en]` writes progress.csv and
progress.png from the admin API's status (counts only, no personal data), in Bahasa
Indonesia unless English is asked for (the flag, else the locale: cetak.i18n).

The chart is drawn with Pillow (no matplotlib). Its heading says when the figures are from
and the deadline. One row per kelurahan, by name (the site's, else the region table's) and
code; the bar is the site's target split into what happened to each card: printed (red when
the forecast says the site will miss the deadline), being printed, queued, and the reasons a
card is not on its way (held as a possible duplicate, outcome unknown), each reason counted
beside the bar. A second panel is the calendar: a vertical line at the deadline and, per
site, a bar from now to its forecast finish, red when that is past the deadline. Both files
are written beside their final name and renamed into place.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cetak.i18n import N_, choose_language, gettext_for

from .bahasa import date_text, short_date
from .destruction import write_atomic

TIMEZONE = "Asia/Jakarta"
ROW_H = 30
LEFT = 300          # site labels
BAR_W = 480         # the count bars
COUNTS_W = 350      # "30/100 (30%)" and the reasons
TIME_W = 330        # the calendar panel
TOP = 150
PAD = 20

GREEN, RED = (46, 139, 87), (200, 50, 50)
BLUE, GREY = (70, 130, 180), (205, 205, 205)
REASON_COLOURS = ((230, 160, 40), (150, 90, 170), (120, 120, 120), (190, 120, 90))

# Why cards of a site are not on their way, in the order drawn: (SiteProgress field, legend
# label, count beside the bar). A count field the status message gains (blocked by budget, by
# blanks) is one line here.
REASONS = (("held", N_("held (possible duplicate)"), N_("{count} held")),
           ("unknown", N_("outcome unknown"), N_("{count} outcome unknown")))

# The CSV's columns (snake_case: they are a data set's column names), translated.
COLUMNS = (N_("site_code"), N_("site_name"), N_("target"), N_("printed"), N_("percent"),
           N_("queued"), N_("leased"), N_("held"), N_("unknown"), N_("spoiled"),
           N_("cards_per_hour"), N_("eta"), N_("eta_ms"), N_("will_miss_deadline"))


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
    unknown: int = 0
    # (REASONS field, count) of the reasons with a count, in REASONS order.
    missing: tuple[tuple[str, int], ...] = field(default=())

    @property
    def percent(self) -> float:
        return 100.0 * self.printed / self.target if self.target else 0.0


@dataclass(frozen=True)
class ChartInfo:
    """What the chart's heading says: whose figures, from when, until when."""
    campaign_id: str
    as_of_ms: int
    deadline_ms: int
    lang: str = "id"
    timezone: str = TIMEZONE


def region_name(site_code: str) -> str:
    """The kelurahan's name from the region table ("" for a code it does not know)."""
    from cetak.prr.regions import load_regions

    return load_regions().name(site_code) or ""


def rows_from_status(status) -> list[SiteRow]:
    """SiteRows from a CampaignStatus message; target = every card the site is to print
    (printed, queued, leased, held, unknown). A site without a name has its region's."""
    rows = []
    for s in status.sites:
        missing = tuple((name, getattr(s, name, 0)) for name, _legend, _count in REASONS
                        if getattr(s, name, 0))
        rows.append(SiteRow(s.site_code, s.site_name or region_name(s.site_code),
                            s.printed + s.queued + s.leased + s.held + s.unknown, s.printed,
                            s.queued, s.leased, s.held, s.spoiled, s.cards_per_hour,
                            s.eta_ms, s.will_miss_deadline, unknown=s.unknown,
                            missing=missing))
    return rows


def _iso(ms: int, timezone: str) -> str:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone)).isoformat(
        timespec="minutes") if ms else ""


def csv_bytes(rows: list[SiteRow], lang: str = "id", timezone: str = TIMEZONE) -> bytes:
    """One row per site; the header in `lang`; `eta` as a local time with its offset."""
    _ = gettext_for(lang)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_(c) for c in COLUMNS])
    for r in rows:
        w.writerow([r.site_code, r.site_name, r.target, r.printed, f"{r.percent:.1f}",
                    r.queued, r.leased, r.held, r.unknown, r.spoiled,
                    f"{r.cards_per_hour:.1f}", _iso(r.eta_ms, timezone), r.eta_ms,
                    int(r.will_miss_deadline)])
    return buf.getvalue().encode("utf-8")


def _when(ms: int, info: ChartInfo) -> str:
    t = datetime.fromtimestamp(ms / 1000, ZoneInfo(info.timezone))
    at = N_("{date}, {time}")
    return gettext_for(info.lang)(at).format(date=date_text(t, info.lang),
                                             time=f"{t:%H.%M} {t.tzname()}")


def _short_date(ms: int, info: ChartInfo) -> str:
    return short_date(datetime.fromtimestamp(ms / 1000, ZoneInfo(info.timezone)), info.lang)


def png_bytes(rows: list[SiteRow], title: str, info: ChartInfo) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    from cetak.card.template import FONTS_DIR

    _: Callable[[str], str] = gettext_for(info.lang)
    font = ImageFont.truetype(str(FONTS_DIR / "LiberationSans-Regular.ttf"), 15)
    small = ImageFont.truetype(str(FONTS_DIR / "LiberationSans-Regular.ttf"), 13)
    bold = ImageFont.truetype(str(FONTS_DIR / "LiberationSans-Bold.ttf"), 22)
    head = ImageFont.truetype(str(FONTS_DIR / "LiberationSans-Bold.ttf"), 15)
    width = PAD + LEFT + BAR_W + COUNTS_W + TIME_W + PAD
    height = TOP + ROW_H * max(len(rows), 1) + 50
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)

    # Heading: what, from when, until when.
    d.text((PAD, 16), title, font=bold, fill="black")
    as_of = info.as_of_ms or int(datetime.now().timestamp() * 1000)
    line = _("As of {when}").format(when=_when(as_of, info))
    if info.deadline_ms:
        line += "   ·   " + _("Deadline {when}").format(when=_when(info.deadline_ms, info))
    else:
        line += "   ·   " + _("no deadline set")
    d.text((PAD, 48), line, font=font, fill="black")

    # Legend: the parts of a bar, the reasons, the calendar's marks.
    x, y = PAD, 82
    reasons = [name for name, _legend, _count in REASONS]
    legend = [(GREEN, _("printed")), (RED, _("printed (site will miss the deadline)")),
              (BLUE, _("being printed")), (GREY, _("queued"))]
    legend += [(REASON_COLOURS[i % len(REASON_COLOURS)], _(label))
               for i, (_name, label, _count) in enumerate(REASONS)]
    for colour, text in legend:
        w = 20 + d.textlength(text, font=small) + 18
        if x + w > width - PAD:
            x, y = PAD, y + 20
        d.rectangle((x, y + 2, x + 13, y + 15), fill=colour)
        d.text((x + 18, y + 1), text, font=small, fill="black")
        x += w

    bars_x = PAD + LEFT
    time_x = bars_x + BAR_W + COUNTS_W
    d.text((bars_x, TOP - 26), _("Cards per kelurahan"), font=head, fill="black")
    d.text((time_x, TOP - 26), _("Forecast finish"), font=head, fill="black")

    scale = BAR_W / max([r.target for r in rows] + [1])
    for i, r in enumerate(rows):
        y = TOP + i * ROW_H
        if i % 2:
            d.rectangle((PAD, y, width - PAD, y + ROW_H - 1), fill=(246, 246, 246))
        label = f"{r.site_name} ({r.site_code})" if r.site_name else r.site_code
        d.text((PAD, y + 7), _fit(d, label, font, LEFT - 12), font=font, fill="black")
        # The target bar, split: printed, being printed, queued, then each reason.
        parts = [(r.printed, RED if r.will_miss_deadline else GREEN), (r.leased, BLUE),
                 (r.queued, GREY)]
        parts += [(n, REASON_COLOURS[reasons.index(name) % len(REASON_COLOURS)])
                  for name, n in r.missing]
        at = float(bars_x)
        for n, colour in parts:
            if n:
                end = at + max(2.0, n * scale)
                d.rectangle((int(at), y + 6, int(end) - 1, y + ROW_H - 7), fill=colour)
                at = end
        text = f"{r.printed}/{r.target} ({r.percent:.0f}%)"
        d.text((bars_x + BAR_W + 10, y + 7), text, font=font, fill="black")
        why = ", ".join(_(REASONS[reasons.index(name)][2]).format(count=n)
                        for name, n in r.missing)
        if why:
            tx = bars_x + BAR_W + 10 + d.textlength(text, font=font) + 8
            d.text((tx, y + 9), _fit(d, why, small, time_x - tx - 10), font=small,
                   fill=(150, 90, 20))
    if not rows:
        d.text((bars_x, TOP + 6), _("no records"), font=font, fill="black")

    _calendar(d, rows, info, as_of, time_x, font, small)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _fit(d, text: str, font, width: float) -> str:
    """`text`, cut with an ellipsis to fit `width` pixels (the CSV has it whole)."""
    if d.textlength(text, font=font) <= width:
        return text
    while text and d.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _calendar(d, rows: list[SiteRow], info: ChartInfo, as_of: int, x0: int, font,
              small) -> None:
    """From now (left edge) to the later of the deadline and the last forecast finish."""
    _ = gettext_for(info.lang)
    width = TIME_W - 60  # room after the last bar for its date
    bottom = TOP + ROW_H * max(len(rows), 1)
    end = max([info.deadline_ms, as_of + 3_600_000] + [r.eta_ms for r in rows])
    span = max(end - as_of, 1)

    def xof(ms: int) -> int:
        return x0 + int(width * min(max(ms - as_of, 0), span) / span)

    d.line((x0, TOP - 2, x0, bottom), fill=(120, 120, 120), width=1)
    d.text((x0, bottom + 4), _short_date(as_of, info), font=small, fill="black")
    for i, r in enumerate(rows):
        y = TOP + i * ROW_H
        remaining = r.target - r.printed
        if not remaining:
            d.text((x0 + 6, y + 8), _("done"), font=small, fill=GREEN)
        elif not r.eta_ms:
            d.text((x0 + 6, y + 8), _("no print rate yet"), font=small, fill=(90, 90, 90))
        else:
            late = r.will_miss_deadline or (info.deadline_ms and r.eta_ms > info.deadline_ms)
            end_x = max(xof(r.eta_ms), x0 + 3)
            d.rectangle((x0 + 1, y + 8, end_x, y + ROW_H - 9), fill=RED if late else GREEN)
            when = _short_date(r.eta_ms, info)
            tw = d.textlength(when, font=small)
            if end_x + 4 + tw <= x0 + TIME_W:
                d.text((end_x + 4, y + 8), when, font=small, fill="black")
            else:  # no room after the bar: inside its end
                d.text((end_x - tw - 4, y + 8), when, font=small, fill="white")
    if info.deadline_ms:
        dx = xof(info.deadline_ms)
        for yy in range(TOP - 6, bottom, 8):  # dashed
            d.line((dx, yy, dx, min(yy + 4, bottom)), fill=RED, width=2)
        label = _("deadline {date}").format(date=_short_date(info.deadline_ms, info))
        lw = d.textlength(label, font=small)
        d.text((min(dx - lw / 2, x0 + TIME_W - lw - 4), bottom + 4), label, font=small,
               fill=RED)


def write_report(status, out_dir: Path, lang: str | None = None,
                 timezone: str = TIMEZONE) -> tuple[Path, Path]:
    """progress.csv and progress.png in `out_dir`, in `lang` (default: cetak.i18n's)."""
    lang = choose_language(lang)
    _ = gettext_for(lang)
    rows = rows_from_status(status)
    total_target = sum(r.target for r in rows)
    total_printed = sum(r.printed for r in rows)
    title = _("Campaign {campaign}: {printed} of {target} cards printed").format(
        campaign=status.campaign_id, printed=total_printed, target=total_target)
    info = ChartInfo(status.campaign_id, status.as_of_ms, status.deadline_ms, lang, timezone)
    table = write_atomic(out_dir / "progress.csv", csv_bytes(rows, lang, timezone))
    chart = write_atomic(out_dir / "progress.png", png_bytes(rows, title, info))
    return table, chart
