"""Evolis command language: `ESC name;param;... CR`, ASCII replies ending in CR.

Sources: docs/printer-dialects.md (Evolis programming guide A5013, Printer-EVOLIS, driver
captures). Reply layouts of the read commands are cetak's reading of the guide, and exactly
what the virtual printer sends:
    Rse -> state word, optional `;POSITION`   e.g. `READY`, `BUSY;CONTACTLESS`, `CARD JAM;PRINTING`
    Rr  -> `<ribbon type>;<panels left>;<panels per roll>`
    Rco -> `<cards fed>;<cards printed>;<cards rejected>`
    Rsn, Rtp, Rfv -> serial, model, firmware
cetak extensions (the virtual printer only): Xbs last blank serial, Xhp blanks in the hopper,
Xfl `<film frames left>;<per roll>`, Xjl;<label> names the next card (the record id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cetak.printers.dialects.common import (
    condition_for,
    int_or_none,
    parse_state,
    shared_fields,
)
from cetak.printers.status import Condition, PrinterStatus, State

ESC = b"\x1b"
CR = b"\r"
ERROR_REPLIES = ("ERROR CDE", "ERROR PARAMETRES", "OPT NOT AVAILABLE")


class EvolisDialect:
    name = "evolis"

    # -- command bytes: one method per command, nothing but bytes ---------------------------

    @staticmethod
    def command(name: str, *params: str) -> bytes:
        """ESC <name>[;<param>...] CR"""
        return ESC + ";".join((name, *params)).encode("ascii") + CR

    def read_sensors(self) -> bytes:
        return self.command("Rse")          # ESC Rse CR: printer state

    def read_ribbon(self) -> bytes:
        return self.command("Rr")           # ESC Rr CR: ribbon type and panels left

    def read_counters(self) -> bytes:
        return self.command("Rco")          # ESC Rco CR: card counters

    def read_serial(self) -> bytes:
        return self.command("Rsn")          # ESC Rsn CR

    def read_model(self) -> bytes:
        return self.command("Rtp")          # ESC Rtp CR

    def read_firmware(self) -> bytes:
        return self.command("Rfv")          # ESC Rfv CR

    def read_last_answer(self) -> bytes:
        return self.command("Rlr")          # ESC Rlr CR: repeat the last reply

    def read_blank_serial(self) -> bytes:
        return self.command("Xbs")          # cetak: serial of the last blank fed

    def read_hopper(self) -> bytes:
        return self.command("Xhp")          # cetak: blanks left in the feeder

    def read_film(self) -> bytes:
        return self.command("Xfl")          # cetak: retransfer film frames

    def job_label(self, label: str) -> bytes:
        return self.command("Xjl", label)   # cetak: the next card's record id

    def reject_card(self) -> bytes:
        return self.command("Ser")          # ESC Ser CR: eject the card to the reject bin

    def soft_reset(self) -> bytes:
        return self.command("Srs")          # ESC Srs CR

    # -- query plans and replies ----------------------------------------------------------

    def poll_queries(self) -> dict[str, bytes]:
        return {"state": self.read_sensors(), "counters": self.read_counters()}

    def status_queries(self) -> dict[str, bytes]:
        return {**self.poll_queries(), "blank_serial": self.read_blank_serial(),
                "ribbon": self.read_ribbon(), "film": self.read_film(),
                "hopper": self.read_hopper(), "serial": self.read_serial(),
                "model": self.read_model(), "firmware": self.read_firmware()}

    def reply_length(self, buf: bytes) -> int:
        end = buf.find(CR)
        return 0 if end < 0 else end + 1

    def is_error_reply(self, reply: bytes) -> bool:
        return reply.strip().decode("ascii", "replace").upper() in ERROR_REPLIES

    def condition_for(self, message: str) -> Condition:
        return condition_for(message)

    def parse_status(self, replies: Mapping[str, bytes | None]) -> PrinterStatus:
        # The state reply may itself be an error word (a rejected stream is reported there);
        # for every other query an error reply means "this printer does not report it".
        text = {key: reply.decode("ascii", "replace").strip()
                for key, reply in replies.items()
                if reply is not None and (key == "state" or not self.is_error_reply(reply))}
        fields: dict[str, Any] = {}
        if "state" in text:
            state, condition, message, position = parse_state(text["state"])
            fields.update(state=state, condition=condition, message=message, position=position)
        else:
            fields.update(state=State.OFFLINE, condition=Condition.OFFLINE)
        if "counters" in text:
            parts = text["counters"].split(";") + ["", ""]
            fields.update(cards_fed=int_or_none(parts[0]), cards_printed=int_or_none(parts[1]))
        if "ribbon" in text:
            parts = text["ribbon"].split(";") + ["", "", ""]
            fields.update(ribbon_left=int_or_none(parts[1]), ribbon_capacity=int_or_none(parts[2]))
        return PrinterStatus(**fields, **shared_fields(text))

    # -- jobs ------------------------------------------------------------------------------

    def feed_offset(self, data: bytes) -> int | None:
        """Just after `ESC Ss CR`, where the printer picks a blank (before any download)."""
        start = data.find(self.command("Ss"))
        return None if start < 0 else start + len(self.command("Ss"))

    def build_job(self, card: Any, options: Any = None) -> Any:
        """Encode a RenderedCard-like object (.front, .back RenderedSide) with the native core."""
        from cetak.native import JobOptions, encode_job
        return encode_job(self.name, card.front, getattr(card, "back", None),
                          options or JobOptions())


DIALECT = EvolisDialect()
build_job = DIALECT.build_job
