"""The Evolis side of the virtual printer: frames the byte stream into commands (native core),
answers read commands, and hands whole jobs to the mechanism.

Job commands get no reply; a problem is latched and answered by the next `Rse` (see
printers/dialects/evolis.py for the reply layouts).
"""

from __future__ import annotations

from cetak.printers.dialects.common import format_state
from cetak.printers.virtual.jobs import UndecodableJob, frame, read_job
from cetak.printers.virtual.mechanism import Mechanism

ESC, CR = 0x1B, b"\r"


class EvolisPort:
    """One connection's view of the printer: its own input buffer, the shared mechanism."""

    def __init__(self, mech: Mechanism) -> None:
        self.mech = mech
        self._buf = bytearray()
        self._job: bytearray | None = None
        self._refused = False

    def receive(self, data: bytes) -> bytes:
        """Feed bytes from the host; return the replies they produce."""
        self._buf += data
        out = bytearray()
        while self._buf and self.mech.powered:
            # drivers pad jobs with 0x00 (see vectors/): skip padding between commands
            skip = len(self._buf) - len(self._buf.lstrip(b"\x00"))
            del self._buf[:skip]
            if not self._buf:
                break
            try:
                size = frame("evolis", bytes(self._buf)) if self._buf[0] == ESC else -1
            except UndecodableJob:
                size = -1
            if size == 0:
                break
            if size < 0:
                self._resync()
                continue
            unit = bytes(self._buf[:size])
            del self._buf[:size]
            out += self._handle(unit)
        if not self.mech.powered:
            self._buf.clear()
            return b""  # a printer that lost power mid-reply says nothing
        return bytes(out)

    def _resync(self) -> None:
        """Garbage: report it, drop the job in progress, and restart at the next ESC."""
        self.mech.stream_failed()
        self._job, self._refused = None, False
        nxt = self._buf.find(bytes([ESC]), 1)
        del self._buf[:len(self._buf) if nxt < 0 else nxt]

    def _handle(self, unit: bytes) -> bytes:
        name = unit[1:].split(b";", 1)[0].rstrip(b"\r").decode("ascii", "replace")
        reply = self._query(name, unit)
        if reply is not None:
            return reply.encode("ascii", "replace") + CR
        mech = self.mech
        if name == "Xjl":
            mech.set_label(unit[5:-1].decode("ascii", "replace"))
        elif name == "Ser":
            mech.reject("rejected by host")
            self._job, self._refused = None, False
        elif name == "Srs":
            mech.soft_reset()
            self._job, self._refused = None, False
        else:
            self._job_command(name, unit)
        return b""

    def _job_command(self, name: str, unit: bytes) -> None:
        if self._job is None or name == "Pr":
            # `Pr` (ribbon type) opens every job: whatever is left of an abandoned one goes
            self._job, self._refused = bytearray(), False
        self._job += unit
        if name == "Ss":
            self._refused = not self.mech.feed()
        elif name == "Sic" and not self._refused:
            if self.mech.card is None:
                self._refused = not self.mech.feed(to_contactless=True)
            else:
                self.mech.to_contactless()
        elif name == "Se":
            job, refused, self._job, self._refused = bytes(self._job), self._refused, None, False
            if refused:
                return  # the error is latched; the job's data goes nowhere
            try:
                read = read_job(job)
            except UndecodableJob:
                self.mech.stream_failed()
                return
            self.mech.print_card(read.job, read.panels, read.sides)

    def _query(self, name: str, unit: bytes) -> str | None:
        mech = self.mech
        with mech.lock:
            if name == "Rse":
                state, condition, position = mech.state(report=True)
                return format_state(state, condition, position)
            if name == "Rlr":
                return "OK"
            answers = {
                "Rr": lambda: f"YMCKO;{mech.ribbon.left};{mech.ribbon.capacity}",
                "Rco": lambda: f"{mech.counters.fed};{mech.counters.printed};"
                               f"{mech.counters.rejected}",
                "Rsn": lambda: mech.serial,
                "Rtp": lambda: mech.model.name,
                "Rfv": lambda: mech.firmware,
                "Xbs": lambda: mech.last_blank_serial,
                "Xhp": lambda: str(mech.blanks),
                "Xfl": lambda: f"{mech.film.left};{mech.film.capacity}",
            }
            if name in answers:
                mech.advance()
                return answers[name]()
            if name.startswith("R"):
                return "ERROR CDE"
        return None

