"""What the agent's pipeline needs from one printer: prepare a card, print it, describe itself.

The pipeline talks only to this small contract, so it can be tested with a fake printer and
does not care how rendering, command generation, transports or chip encoding are done. The
production implementation (`cetak.agent.printer_backend.DriverBackend`) wires the card
renderer, the dialect's job builder and the printer driver together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cetak.api.v1 import common_pb2


@dataclass(frozen=True)
class PreparedCard:
    """A card ready to send: the dialect command stream and the chip data (None: no chip)."""

    job: Any                    # cetak.native.EncodedJob
    chip_data: bytes | None = None
    record_id: str = ""         # labels the job (the virtual printer names its output by it)
    # Set by the pipeline once the attempt is journaled, just before print_card: a spooler
    # backend names its job by it, so a restarted agent can find the job.
    attempt_id: str = ""
    document: bytes | None = None     # a spooler backend's document (PDF), instead of `job`


@dataclass(frozen=True)
class CardOutcome:
    """How one attempt ended. `state` is a common_pb2.AttemptState value."""

    state: int
    reason: str = ""
    blank_serial: str = ""


OnFed = Callable[[str], None]
# The pipeline's on_fed also has `spooled(job_id: str)`: a spooler backend calls it as soon as
# the spooler names the job, and it is journaled before print_card goes on.


class PrinterBackend(Protocol):
    """One physical (or virtual) printer as the pipeline sees it."""

    printer_id: str

    def info(self) -> common_pb2.PrinterInfo:
        """Static description for Hello (dialect, model, capabilities)."""
        ...

    def prepare(self, record: common_pb2.CardRecord) -> PreparedCard:
        """Render and encode a card. Runs in a worker thread, may run while another card of
        the same printer prints; touches no printer. Raises on bad input."""
        ...

    def print_card(self, card: PreparedCard, on_fed: OnFed) -> CardOutcome:
        """Print one card, blocking until the printer has finished with it. Calls
        `on_fed(blank_serial)` once, as soon as a blank has been fed (before anything else is
        done with it). Runs in this printer's own thread."""
        ...


def spooled_hook(on_fed: OnFed) -> Callable[[str], None]:
    """on_fed's `spooled` journal hook, or a no-op for callers (tests) that pass a function."""
    return getattr(on_fed, "spooled", None) or (lambda job_id: None)

    def close(self) -> None:
        """Release the transport."""
        ...

    # Optional: `card_inside() -> bool`, asked of the printer now: it holds a card or is busy
    # although no card of the pipeline's is printing (a card left by a killed agent). A
    # backend without it is never held back for a card left inside.


def attempt_state(value: Any) -> int:
    """An AttemptState from another component's value: a proto enum int or an enum member
    whose name is an AttemptState name (the driver may use its own Python enum)."""
    if isinstance(value, int) and not hasattr(value, "name"):
        return int(value)
    name = getattr(value, "name", None) or str(value)
    try:
        return common_pb2.AttemptState.Value(name.upper())
    except ValueError as exc:
        raise ValueError(f"not an attempt state: {value!r}") from exc
