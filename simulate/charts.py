"""The report's two charts, drawn with Pillow: cards printed over time (cetak, the 2019 way,
the target pace) and each site's finish time against the deadline."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from .engine import HOUR_MS, RunResult
from .scenario import CENTRE, Scenario

CETAK = (31, 119, 180)
ONLINE = (214, 39, 40)
TARGET = (90, 90, 90)
OUTAGE = (255, 228, 196)
GRID = (225, 225, 225)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _hours(ms: int, zero: int) -> float:
    return (ms - zero) / HOUR_MS


def progress_chart(sc: Scenario, cetak: RunResult, online: RunResult) -> bytes:
    w, h, left, right, top, bottom = 1100, 560, 80, 30, 50, 70
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=12)
    zero = cetak.work_start_ms
    deadline_h = _hours(sc.deadline_ms, zero)
    end_h = max(deadline_h * 1.15, 1.0)
    ymax = max(sc.records, 1) * 1.08

    def x(hours: float) -> float:
        return left + (w - left - right) * max(0.0, min(hours, end_h)) / end_h

    def y(cards: float) -> float:
        return h - bottom - (h - top - bottom) * cards / ymax

    for o in sc.outages:
        if o.target == CENTRE:
            d.rectangle([x(_hours(o.start_ms, zero)), top, x(_hours(o.end_ms, zero)),
                         h - bottom], fill=OUTAGE)
    step = 4 if end_h <= 72 else 12
    for k in range(0, int(end_h) + 1, step):
        d.line([x(k), top, x(k), h - bottom], fill=GRID)
        d.text((x(k), h - bottom + 6), f"{k} h", fill="black", font=small, anchor="mt")
    for k in range(6):
        cards = sc.records * k / 5
        d.line([left, y(cards), w - right, y(cards)], fill=GRID)
        d.text((left - 6, y(cards)), f"{int(cards):,}", fill="black", font=small, anchor="rm")
    d.line([left, top, left, h - bottom, w - right, h - bottom], fill="black")
    # The target pace: the records spread over the office calendar's working hours.
    cal = sc.sites[0].calendar
    total_work = cal.working_hours_between(zero, sc.deadline_ms) or 1.0
    pts = []
    t = zero
    while t <= sc.deadline_ms:
        pts.append((x(_hours(t, zero)),
                    y(sc.records * cal.working_hours_between(zero, t) / total_work)))
        t += HOUR_MS // 4
    d.line(pts, fill=TARGET, width=2)
    d.line([x(deadline_h), top, x(deadline_h), h - bottom], fill="black", width=2)
    d.text((x(deadline_h) + 4, top + 2), "deadline / tenggat", fill="black", font=small)
    for run, colour in ((online, ONLINE), (cetak, CETAK)):
        line = [(x(_hours(t, zero)), y(n)) for t, n in run.curve
                if t >= zero and _hours(t, zero) <= end_h]
        if len(line) > 1:
            d.line(line, fill=colour, width=3)
    d.text((left, 12), f"{sc.name}: kartu tercetak / cards printed (hour 0 = first site "
           "opens; shaded: centre down)", fill="black", font=font)
    lx = w - right - 360
    for i, (label, colour) in enumerate((("cetak (lease window)", CETAK),
                                         ("the 2019 way (online only)", ONLINE),
                                         ("target pace / laju sasaran", TARGET))):
        yy = top + 10 + 18 * i
        d.line([lx, yy + 7, lx + 28, yy + 7], fill=colour, width=3)
        d.text((lx + 34, yy), label, fill="black", font=small)
    return _png(img)


def finish_chart(sc: Scenario, cetak: RunResult, online: RunResult) -> bytes:
    """One row per site: when cetak (blue) and the 2019 way (red) finished it; a pale bar
    to the deadline, with the share printed by then, did not finish in the run."""
    codes = sorted(cetak.sites)
    row = 16
    w, left, right, top, bottom = 1100, 250, 40, 50, 50
    h = top + bottom + row * len(codes)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=11)
    zero = cetak.work_start_ms
    deadline_h = _hours(sc.deadline_ms, zero)
    ends = [s.finished_ms for r in (cetak, online) for s in r.sites.values() if s.finished_ms]
    end_h = max([deadline_h * 1.2] + [_hours(t, zero) * 1.05 for t in ends])

    def x(hours: float) -> float:
        return left + (w - left - right) * max(0.0, min(hours, end_h)) / end_h

    step = 4 if end_h <= 72 else 12
    for k in range(0, int(end_h) + 1, step):
        d.line([x(k), top, x(k), h - bottom], fill=GRID)
        d.text((x(k), h - bottom + 6), f"{k} h", fill="black", font=small, anchor="mt")
    for i, code in enumerate(codes):
        yy = top + i * row
        name = cetak.sites[code].spec.site.name
        d.text((left - 6, yy + row / 2), f"{name[:28]} {code}", fill="black", font=small,
               anchor="rm")
        for j, (run, colour) in enumerate(((cetak, CETAK), (online, ONLINE))):
            s = run.sites[code]
            y0 = yy + 2 + j * 5
            if s.finished_ms:
                d.rectangle([x(0), y0, x(_hours(s.finished_ms, zero)), y0 + 4], fill=colour)
                continue
            # Not finished in the run: a paler bar to the deadline, and the share printed
            # by then beside it.
            pale = tuple(255 - (255 - c) // 3 for c in colour)
            d.rectangle([x(0), y0, x(deadline_h), y0 + 4], fill=pale)
            done = sum(1 for t in s.printed_times if t <= sc.deadline_ms)
            share = f"{100 * done / s.target:.0f}%" if s.target else ""
            d.text((x(deadline_h) + 6 + 40 * j, yy + row / 2), share, fill=colour, font=small,
                   anchor="lm")
    d.line([x(deadline_h), top - 6, x(deadline_h), h - bottom], fill="black", width=2)
    d.text((x(deadline_h) + 4, top - 18), "deadline / tenggat", fill="black", font=small)
    d.text((10, 12), f"{sc.name}: selesai per lokasi / finish per site (blue: cetak, red: "
           "the 2019 way; pale: not finished, share printed by the deadline)",
           fill="black", font=font)
    return _png(img)
