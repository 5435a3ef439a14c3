"""A whole virtual card printer: model, mechanism, chip station; one port per connection.

    printer = VirtualPrinter("evolis", out_dir=Path("out"), blanks=50, time_scale=100)
    port = printer.open_port(); replies = port.receive(b"\\x1bRse\\r")

Transports (in-process, TCP server, pyusb backend) all talk to it through `open_port()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from cetak.printers.errors import EmulatorError
from cetak.printers.models import PrinterModel, default_model, get_model
from cetak.printers.status import Condition
from cetak.printers.virtual.chip import ChipStation
from cetak.printers.virtual.faults import FaultKind, FaultPlan
from cetak.printers.virtual.jobs import render
from cetak.printers.virtual.mechanism import Mechanism, Supply
from cetak.printers.virtual.output import OutputWriter
from cetak.printers.virtual.timing import TimeModel


class Port(Protocol):
    def receive(self, data: bytes) -> bytes: ...


class VirtualPrinter:
    def __init__(self, dialect: str = "evolis", *, model: str | PrinterModel | None = None,
                 out_dir: Path | None = None, blanks: int = 500, blank_prefix: str | None = None,
                 first_blank: int = 1, blank_width: int = 8, ribbon_panels: int | None = None,
                 film_frames: int | None = None, cards_per_hour: float | None = None,
                 time_scale: float = 1.0, faults: str = "", seed: int = 0,
                 serial: str = "VP000001", operator_delay: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(model, str):
            model = get_model(model)
        model = model or default_model(dialect)
        if model.dialect != dialect:
            raise EmulatorError(f"model {model.name} speaks {model.dialect}, not {dialect}")
        self.dialect, self.model = dialect, model
        self.out_dir = out_dir
        timing = TimeModel(cards_per_hour or model.cards_per_hour, model.retransfer, time_scale)
        # a roll loaded short (e.g. a ribbon with 12 panels left) still has its full capacity
        ribbon = Supply(model.ribbon_panels, model.ribbon_panels
                        if ribbon_panels is None else ribbon_panels)
        film = Supply(model.film_frames, model.film_frames if film_frames is None else film_frames)
        self.mechanism = Mechanism(
            model, output=OutputWriter(out_dir), blanks=blanks, blank_prefix=blank_prefix,
            first_blank=first_blank, blank_width=blank_width, ribbon=ribbon, film=film,
            timing=timing,
            faults=FaultPlan(faults, seed), serial=serial,
            operator_delay=None if operator_delay is None else operator_delay / time_scale,
            clock=clock, render=render)
        self.chip_station = ChipStation(self.mechanism)

    def open_port(self) -> Port:
        if self.dialect == "evolis":
            from cetak.printers.virtual.evolis_port import EvolisPort
            return EvolisPort(self.mechanism)
        from cetak.printers.virtual.magicard_port import MagicardPort
        return MagicardPort(self.mechanism)

    @property
    def powered(self) -> bool:
        return self.mechanism.powered

    @property
    def device_id(self) -> str:
        return self.model.device_id + f"SN:{self.mechanism.serial};"

    def tick(self) -> None:
        """Let time pass (the TCP server calls this periodically)."""
        self.mechanism.advance()

    def finish(self) -> None:
        """Stop: the card in progress (if any) completes now, as the printer would finish it."""
        self.mechanism.finish_now()

    # -- operator and test controls --------------------------------------------------------

    def inject_fault(self, kind: FaultKind | str) -> None:
        """The next card meets this fault."""
        kind = FaultKind.parse(kind) if isinstance(kind, str) else kind
        with self.mechanism.lock:
            self.mechanism.faults.arm(kind)

    def clear(self) -> None:
        self.mechanism.clear()

    def load_blanks(self, count: int) -> int:
        return self.mechanism.load_blanks(count)

    def power_on(self) -> None:
        self.mechanism.power_on()

    def snapshot(self) -> dict[str, Any]:
        """Everything an operator screen or a test wants to see, as plain data."""
        mech = self.mechanism
        with mech.lock:
            state, condition, position = mech.state()
            return {"dialect": self.dialect, "model": self.model.name, "serial": mech.serial,
                    "powered": mech.powered, "state": state.value,
                    "error": condition.value if condition is not Condition.NONE else "",
                    "position": position.value, "blanks": mech.blanks,
                    "ribbon_left": mech.ribbon.left, "ribbon_capacity": mech.ribbon.capacity,
                    "film_left": mech.film.left, "film_capacity": mech.film.capacity,
                    "counters": asdict(mech.counters), "last_blank_serial": mech.last_blank_serial}
