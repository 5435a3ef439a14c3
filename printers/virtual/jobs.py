"""The virtual printer reads jobs with the native decoder, like a printer's firmware would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class UndecodableJob(Exception):
    """A stream the native decoder rejects (internal to the virtual printer)."""


@dataclass(frozen=True)
class ReadJob:
    job: Any                    # cetak.native.DecodedJob
    panels: int                 # ribbon panels it prints
    sides: tuple[str, ...]      # "front" and/or "back"


def read_job(data: bytes) -> ReadJob:
    from cetak.native import decode_stream
    from cetak.native.errors import StreamError
    try:
        job = decode_stream(data)
    except (StreamError, ValueError) as exc:
        raise UndecodableJob(str(exc)) from exc
    sides = tuple(side for side in ("front", "back") if any(p.side == side for p in job.panels))
    if not sides:
        raise UndecodableJob("job prints no panel")
    panels = len(job.panels)
    if has_command(job, "OVR", "ON"):
        panels += len(sides)  # Magicard's overcoat is a flag, yet it uses a ribbon panel a side
    return ReadJob(job, panels, sides)


def has_command(job: Any, name: str, *params: str) -> bool:
    return any(c.name == name and tuple(c.params[:len(params)]) == params for c in job.commands)


def frame(dialect: str, buf: bytes) -> int:
    """Length of the first complete unit in buf (0: need more); UndecodableJob if malformed."""
    from cetak.native import frame as native_frame
    from cetak.native.errors import StreamError
    try:
        return native_frame(dialect, buf)
    except (StreamError, ValueError) as exc:
        raise UndecodableJob(str(exc)) from exc


def render(job: Any) -> dict[str, Any]:
    from cetak.native import render_preview
    return render_preview(job)
