"""The Magicard side of the virtual printer: control/status messages and whole jobs.

Control messages (9 x 0x05, 0x01 ... 0x1C 0x03) are short and framed here, because the cetak
extensions (XJL, XCL, X.. status keys) live among them; jobs (64 x 0x05 ...) are framed and decoded
by the native core. Replies: 0x01, `STA,<key>`, data, `,` 0x03; errors: 0x01, `ERR,<code>`, words.
"""

from __future__ import annotations

from cetak.printers.dialects.common import CONDITION_WORDS, format_state
from cetak.printers.dialects.magicard import FOOTER, GUARD
from cetak.printers.status import Condition
from cetak.printers.virtual.jobs import UndecodableJob, frame, has_command, read_job
from cetak.printers.virtual.mechanism import Mechanism

MAX_CONTROL = 512
_ERROR_CODES = {Condition.FEEDER_EMPTY: "FDE", Condition.CARD_JAM: "JAM",
                Condition.COVER_OPEN: "CVR", Condition.RIBBON_OUT: "RBN",
                Condition.FILM_OUT: "FLM", Condition.COMMAND_ERROR: "CDE"}


def reply(key: str, data: str) -> bytes:
    return b"\x01" + f"STA,{key}".encode("ascii") + data.encode("ascii", "replace") + b",\x03"


def error_reply(condition: Condition, code: str = "") -> bytes:
    code = code or _ERROR_CODES.get(condition, "ERR")
    words = CONDITION_WORDS.get(condition, "ERROR")
    return b"\x01" + f"ERR,{code}".encode("ascii") + words.encode("ascii") + b",\x03"


class MagicardPort:
    def __init__(self, mech: Mechanism) -> None:
        self.mech = mech
        self._buf = bytearray()
        self._front_page = b""

    def receive(self, data: bytes) -> bytes:
        self._buf += data
        out = bytearray()
        while self._buf and self.mech.powered:
            head = bytes(self._buf[:len(GUARD)])
            if head == GUARD:
                end = self._buf.find(FOOTER)
                if end < 0:
                    if len(self._buf) > MAX_CONTROL:
                        self._resync()
                        continue
                    break
                unit = bytes(self._buf[len(GUARD):end])
                del self._buf[:end + len(FOOTER)]
                out += self._control(unit.decode("ascii", "replace").split(","))
                continue
            if GUARD.startswith(head) and len(head) < len(GUARD):
                break  # the start of a control message or a job: wait for more
            if self._buf[0] != 0x05:
                self._resync()
                continue
            try:
                size = frame("magicard", bytes(self._buf))
            except UndecodableJob:
                self._resync()
                continue
            if size == 0:
                break
            job = bytes(self._buf[:size])
            del self._buf[:size]
            self._job(job)
        if not self.mech.powered:
            self._buf.clear()
            return b""  # a printer that lost power mid-reply says nothing
        return bytes(out)

    def _resync(self) -> None:
        self.mech.stream_failed()
        self._front_page = b""
        nxt = self._buf.find(b"\x05", 1)
        while nxt > 0 and self._buf[nxt - 1] == 0x05:
            nxt = self._buf.find(b"\x05", nxt + 1)  # skip to the start of the next 0x05 run
        del self._buf[:len(self._buf) if nxt < 0 else nxt]

    def _job(self, data: bytes) -> None:
        # A duplex card is two jobs, `DPXON,PAG1` then `PAG2`: the card is printed once the back
        # has arrived too.
        data, self._front_page = self._front_page + data, b""
        try:
            read = read_job(data)
        except UndecodableJob:
            self.mech.stream_failed()
            return
        if has_command(read.job, "DPX", "ON") and not has_command(read.job, "PAG", "2"):
            self._front_page = data
            return
        self.mech.print_card(read.job, read.panels, read.sides)

    def _control(self, fields: list[str]) -> bytes:
        mech = self.mech
        command = fields[0] if fields else ""
        if command == "REQ" and len(fields) >= 3 and fields[1] == "STA":
            return self._status(fields[2])
        if command == "XJL" and len(fields) >= 2:
            mech.set_label(fields[1])
        elif command == "XCL":
            mech.feed(to_contactless=True)
        elif command == "EJT":
            mech.reject("rejected by host")
        elif command == "RST":
            mech.soft_reset()
        elif command == "TST":
            pass  # a self-test card is not modelled: it would take a blank outside any record
        else:
            mech.stream_failed()
        return b""

    def _status(self, key: str) -> bytes:
        mech = self.mech
        with mech.lock:
            if key == "XST":
                state, condition, position = mech.state(report=True)
                if condition is Condition.COMMAND_ERROR:
                    return error_reply(condition, code="JOB")  # the job stream was rejected
                return reply(key, format_state(state, condition, position))
            mech.advance()
            answers = {
                "MSR": lambda: mech.serial,
                "VRS": lambda: mech.firmware,
                "TCQ": lambda: str(mech.counters.printed),
                "DFR": lambda: str(mech.ribbon.left),
                "XRC": lambda: str(mech.ribbon.capacity),
                "XFD": lambda: str(mech.counters.fed),
                "XBS": lambda: mech.last_blank_serial,
                "XHP": lambda: str(mech.blanks),
                "XFL": lambda: f"{mech.film.left};{mech.film.capacity}",
                "XMD": lambda: mech.model.name,
            }
            if key in answers:
                return reply(key, answers[key]())
            return error_reply(Condition.COMMAND_ERROR)

