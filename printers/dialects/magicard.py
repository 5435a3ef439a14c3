"""Magicard command language (Rio Pro, Enduro, Prima ...), after Gutenprint's backend_magicard.

Control and status messages: 9 x 0x05, 0x01, `<CMD>,...`, 0x1C, 0x03 (`RST,`, `EJT,`,
`REQ,STA,<key>,`). A reply: 0x01, 7 bytes `STA,<key>`, the data, `,` 0x03. An error reply has
`ERR,<code>` in place of `STA,<key>` and the printer's words as data.
Status keys: MSR serial, VRS firmware, TCQ cards printed, DFR ribbon panels left (Gutenprint);
cetak extensions answered by the virtual printer: XST state (same words as Evolis Rse;
`ERR,JOB` after a rejected job stream; `ERR,CDE` from a printer without the extension, read as
"not reported"), XFD cards
fed, XBS last blank serial, XHP blanks in the hopper, XRC ribbon panels per roll, XFL film
`<left>;<per roll>`, XMD model; control `XJL,<label>,` names the next card and `XCL,` feeds a
blank to the contactless station and holds it there for the chip, the next job prints on it.
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

GUARD = b"\x05" * 9 + b"\x01"
FOOTER = b"\x1c\x03"
REPLY_START = b"\x01"
REPLY_END = b",\x03"
UNSUPPORTED = REPLY_START + b"ERR,CDE"  # the reply to a request the printer does not know


class MagicardDialect:
    name = "magicard"

    # -- command bytes --------------------------------------------------------------------

    @staticmethod
    def control(*fields: str) -> bytes:
        """9 x 0x05, 0x01, `F1,F2,...,`, 0x1C 0x03"""
        return GUARD + "".join(f + "," for f in fields).encode("ascii") + FOOTER

    def request(self, key: str) -> bytes:
        return self.control("REQ", "STA", key)   # REQ,STA,<key>,

    def read_state(self) -> bytes:
        return self.request("XST")

    def read_cards_fed(self) -> bytes:
        return self.request("XFD")

    def read_cards_printed(self) -> bytes:
        return self.request("TCQ")               # total cards printed

    def read_ribbon(self) -> bytes:
        return self.request("DFR")               # ribbon panels remaining

    def read_ribbon_capacity(self) -> bytes:
        return self.request("XRC")

    def read_film(self) -> bytes:
        return self.request("XFL")

    def read_hopper(self) -> bytes:
        return self.request("XHP")

    def read_blank_serial(self) -> bytes:
        return self.request("XBS")

    def read_serial(self) -> bytes:
        return self.request("MSR")

    def read_firmware(self) -> bytes:
        return self.request("VRS")

    def read_model(self) -> bytes:
        return self.request("XMD")

    def job_label(self, label: str) -> bytes:
        return self.control("XJL", label)

    def feed_to_contactless(self) -> bytes:
        return self.control("XCL")

    def reject_card(self) -> bytes:
        return self.control("EJT")               # eject: with the card held, it goes to reject

    def soft_reset(self) -> bytes:
        return self.control("RST")

    def self_test(self) -> bytes:
        return self.control("TST")

    # -- query plans and replies ----------------------------------------------------------

    def poll_queries(self) -> dict[str, bytes]:
        return {"state": self.read_state(), "fed": self.read_cards_fed(),
                "printed": self.read_cards_printed()}

    def status_queries(self) -> dict[str, bytes]:
        return {**self.poll_queries(), "blank_serial": self.read_blank_serial(),
                "ribbon": self.read_ribbon(), "ribbon_capacity": self.read_ribbon_capacity(),
                "film": self.read_film(), "hopper": self.read_hopper(),
                "serial": self.read_serial(), "model": self.read_model(),
                "firmware": self.read_firmware()}

    def reply_length(self, buf: bytes) -> int:
        end = buf.find(REPLY_END)
        return 0 if end < 0 else end + len(REPLY_END)

    def is_error_reply(self, reply: bytes) -> bool:
        return reply.startswith(REPLY_START + b"ERR,")

    @staticmethod
    def reply_data(reply: bytes) -> str:
        """The data between the 8-byte head (0x01 + `STA,KEY`) and the `,` 0x03 tail."""
        body = reply[8:]
        if body.endswith(REPLY_END):
            body = body[:-len(REPLY_END)]
        return body.decode("ascii", "replace")

    def condition_for(self, message: str) -> Condition:
        return condition_for(message)

    def parse_status(self, replies: Mapping[str, bytes | None]) -> PrinterStatus:
        state_reply = replies.get("state")
        text = {key: self.reply_data(reply) for key, reply in replies.items()
                if reply is not None and not self.is_error_reply(reply)}
        fields: dict[str, Any] = {}
        if state_reply is not None and state_reply.startswith(UNSUPPORTED):
            # A printer without the XST extension (a real Magicard) does not say; assume ready.
            # A failure then shows as a job that never completes -> unknown, never a reprint.
            fields.update(state=State.READY, message="state not reported")
        elif state_reply is not None and self.is_error_reply(state_reply):
            # a latched error (e.g. `ERR,JOB`: a rejected stream) is reported in place of the state
            message = self.reply_data(state_reply)
            fields.update(state=State.ERROR, condition=condition_for(message), message=message)
        elif "state" in text:
            state, condition, message, position = parse_state(text["state"])
            fields.update(state=state, condition=condition, message=message, position=position)
        else:
            fields.update(state=State.OFFLINE, condition=Condition.OFFLINE)
        for key, name in (("fed", "cards_fed"), ("printed", "cards_printed"),
                          ("ribbon", "ribbon_left"), ("ribbon_capacity", "ribbon_capacity")):
            if key in text:
                fields[name] = int_or_none(text[key])
        return PrinterStatus(**fields, **shared_fields(text))

    # -- jobs ------------------------------------------------------------------------------

    def feed_offset(self, data: bytes) -> int | None:
        """A Magicard job feeds when the whole job has arrived, except after `XCL,`."""
        prefix = self.feed_to_contactless()
        return len(prefix) if data.startswith(prefix) else None

    def build_job(self, card: Any, options: Any = None) -> Any:
        """Encode with the native core; for a contactless card, put `XCL,` first and pause there."""
        from dataclasses import replace

        from cetak.native import EncodedJob, JobOptions, encode_job
        options = options or JobOptions()
        # The Magicard job format has no station command of its own: the core encodes the
        # print, and the station step is cetak's `XCL,` control message in front of it.
        job = encode_job(self.name, card.front, getattr(card, "back", None),
                         replace(options, contactless=False))
        if not options.contactless:
            return job
        prefix = self.feed_to_contactless()
        return EncodedJob(data=prefix + job.data, chip_offset=len(prefix))


DIALECT = MagicardDialect()
build_job = DIALECT.build_job
