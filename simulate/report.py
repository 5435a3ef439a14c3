"""The simulation report: one dict (the JSON), a CSV per site, two PNG charts.

Times are ISO 8601 in the campaign's time zone; hours are counted from the moment the first
site opens ("hour 0"). Charts are drawn with Pillow (already a dependency, as for
`campaign report`): no plotting library for two charts.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cetak.controller.destruction import write_atomic

from .engine import HOUR_MS, RunResult, SimSite
from .scenario import Scenario

# Loss reasons of the printer model, grouped into the reasons the report gives for a short.
WHY = {"centre": "centre", "no_lease": "no_lease", "blanks": "blanks", "ribbon": "ribbon",
       "film": "ribbon", "printer_down": "printer_down", "ribbon_change": "printer_down",
       "duty": "duty_cycle"}


def iso(ms: int, tz: str) -> str | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(tz)).isoformat(
        timespec="minutes")


def _site_row(sc: Scenario, s: SimSite, run: RunResult) -> dict:
    deadline = sc.deadline_ms
    by_deadline = sum(1 for t in s.printed_times if t <= deadline)
    short = max(0, s.target - by_deadline)
    loss: dict[str, float] = {}
    busy = 0
    for p in s.printers:
        busy += p.busy_ms
        for k, v in p.loss_ms.items():
            loss[WHY[k]] = loss.get(WHY[k], 0.0) + v / HOUR_MS
    working_h = s.calendar.working_hours_between(run.work_start_ms, max(run.end_ms, deadline))
    why: dict[str, int] = {}
    if short:
        no_blanks = max(0, s.target - (s.received + s.transferred_in - s.transferred_out))
        why["blanks"] = min(short, no_blanks)
        rest = short - why["blanks"]
        # Records still queued in a category whose budget is spent (spoiled blanks count
        # against it): no lease could be granted for them.
        spent = sum(n for k, n in run.queued_left.get(s.spec.code, {}).items()
                    if run.budget_left.get(k, 1) <= 0)
        why["budget"] = min(rest, spent)
        rest -= why["budget"]
        lost = {k: v for k, v in loss.items() if k not in ("blanks", "no_lease") and v > 0}
        total = sum(lost.values())
        if rest and total:
            shares = {k: int(rest * v / total) for k, v in lost.items()}
            top = max(lost, key=lambda k: lost[k])
            shares[top] += rest - sum(shares.values())
            why.update({k: n for k, n in shares.items() if n})
        elif rest:
            why["calendar"] = rest
        why = {k: n for k, n in why.items() if n}
    return {
        "site_code": s.spec.code, "name": s.spec.site.name, "records": s.target,
        "printers": len(s.printers), "printed_by_deadline": by_deadline,
        "printed": len(s.printed_times), "short_by_deadline": short, "short_why": why,
        "finished_at": iso(s.finished_ms, s.calendar.timezone),
        "late_h": round(max(0, s.finished_ms - deadline) / HOUR_MS, 2) if s.finished_ms
        else None,
        "utilisation_pct": round(100 * busy / (working_h * HOUR_MS * len(s.printers)), 1)
        if working_h and s.printers else 0.0,
        "lost_printer_hours": {k: round(v, 1) for k, v in sorted(loss.items()) if v},
        "spoiled": sum(p.spoiled for p in s.printers),
        "failures": sum(p.failures for p in s.printers),
        "sent_away": sum(p.sent_away for p in s.printers),
        "blanks_left": s.blanks, "ribbons_left": s.ribbons, "films_left": s.films,
    }


def run_summary(sc: Scenario, run: RunResult) -> dict:
    tz = sc.sites[0].calendar.timezone
    sites = [_site_row(sc, s, run) for s in run.sites.values()]
    finished = all(s.finished_ms for s in run.sites.values())
    finish_ms = max((s.finished_ms for s in run.sites.values()), default=0) if finished else 0
    why: dict[str, int] = {}
    for row in sites:
        for k, n in row["short_why"].items():
            why[k] = why.get(k, 0) + n
    return {
        "mode": run.mode,
        "finished_at": iso(finish_ms, tz), "finished_ms": finish_ms,
        "printed_by_deadline": sum(r["printed_by_deadline"] for r in sites),
        "printed": sum(r["printed"] for r in sites),
        "short_by_deadline": sum(r["short_by_deadline"] for r in sites),
        "short_why": dict(sorted(why.items())),
        "sites_finished_by_deadline": sum(1 for s in run.sites.values()
                                          if s.finished_ms and s.finished_ms <= sc.deadline_ms),
        "utilisation_pct": round(sum(r["utilisation_pct"] * r["printers"] for r in sites)
                                 / max(1, sum(r["printers"] for r in sites)), 1),
        "consumables_left": {"blanks": sum(r["blanks_left"] for r in sites),
                             "ribbons": sum(r["ribbons_left"] for r in sites),
                             "films": sum(r["films_left"] for r in sites)},
        "invariants": {"duplicates": run.duplicates, "lost": run.lost,
                       "unrecorded_prints": run.unrecorded_prints,
                       "blanks_conserved": run.blanks_conserved,
                       "flagged_reports": run.flagged, "verify_ok": run.verify["ok"],
                       "violations": run.verify["violations"][:20]},
        "budget_left": run.budget_left,
        "planner_moves_applied": run.plans_applied,
        "sites": sites,
    }


def forecast_score(sc: Scenario, run: RunResult, finish_ms: int) -> list[dict]:
    """The real forecast's ETA at hours 1, 4, 8 against the simulated finish: the error as a
    share of the time that was still to run (None when either side never finishes)."""
    tz = sc.sites[0].calendar.timezone
    out = []
    for f in run.forecasts:
        err = None
        if f["eta_ms"] and finish_ms and finish_ms > f["at_ms"]:
            err = round(100 * abs(f["eta_ms"] - finish_ms) / (finish_ms - f["at_ms"]), 1)
        out.append({"hour": f["hour"], "at": iso(f["at_ms"], tz), "eta": iso(f["eta_ms"], tz),
                    "centre_up": f["centre_up"], "printed_known": f["printed_known"],
                    "printed": f["printed_physically"], "error_pct": err})
    return out


def build(sc: Scenario, cetak: RunResult, online: RunResult, wall_s: float) -> dict:
    tz = sc.sites[0].calendar.timezone
    a, b = run_summary(sc, cetak), run_summary(sc, online)
    virtual_h = (max(cetak.end_ms, online.end_ms) - sc.start_ms) / HOUR_MS
    return {
        "scenario": sc.name, "source": sc.source, "campaign_id": sc.campaign_id,
        "seed": sc.seed, "records": sc.records, "sites": len(sc.sites),
        "printers": sc.printers, "start": iso(sc.start_ms, tz),
        "hour0": iso(cetak.work_start_ms, tz), "deadline": iso(sc.deadline_ms, tz),
        "virtual_hours": round(virtual_h, 1), "wall_s": round(wall_s, 2),
        "cetak": a, "online_only": b,
        "forecast": forecast_score(sc, cetak, a["finished_ms"]),
    }


# -- files ----------------------------------------------------------------------------------

CSV_FIELDS = ("site_code", "name", "records", "printers", "printed_by_deadline", "printed",
              "short_by_deadline", "short_why", "finished_at", "late_h", "utilisation_pct",
              "spoiled", "failures", "sent_away", "blanks_left", "ribbons_left")


def csv_bytes(summary: dict) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(("mode",) + CSV_FIELDS)
    for mode in ("cetak", "online_only"):
        for row in summary[mode]["sites"]:
            w.writerow([mode] + [";".join(f"{k}={v}" for k, v in row[f].items())
                                 if isinstance(row[f], dict) else
                                 ("" if row[f] is None else row[f]) for f in CSV_FIELDS])
    return buf.getvalue().encode("utf-8")


def write_files(sc: Scenario, summary: dict, cetak: RunResult, online: RunResult,
                out: Path) -> dict[str, str]:
    from .charts import finish_chart, progress_chart

    out.mkdir(parents=True, exist_ok=True)
    files = {"csv": out / "sites.csv", "progress_png": out / "progress.png",
             "finish_png": out / "finish.png", "json": out / "report.json"}
    import json

    write_atomic(files["csv"], csv_bytes(summary))
    write_atomic(files["progress_png"], progress_chart(sc, cetak, online))
    write_atomic(files["finish_png"], finish_chart(sc, cetak, online))
    write_atomic(files["json"], json.dumps(summary, indent=1, ensure_ascii=False).encode())
    return {k: str(v) for k, v in files.items()}
