"""Bounded label values for Prometheus metrics, shared by the controller and the agent.

Reasons reach us as free text (a printer's own words, an agent's explanation, an exception
name). Put straight into a label, free text makes series without bound and could one day carry
a citizen's NIK or name. So every reason is mapped onto a fixed vocabulary here; anything not
recognised becomes "other". A new reason worth its own series is added to the table, never let
through.
"""

from __future__ import annotations

import re

# label -> prefixes of the (lower-cased, "_" -> " ") reason text that mean it. Order matters
# only where one prefix starts another ("printer lost after feed" before "printer").
_REASONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # printer conditions (cetak.printers.status.Condition values)
    ("feeder_empty", ("feeder empty",)),
    ("ribbon_out", ("ribbon out",)),
    ("film_out", ("film out",)),
    ("card_jam", ("card jam", "jam")),
    ("cover_open", ("cover open",)),
    ("chip_write_failed", ("chip write failed", "chip")),
    ("command_error", ("command error",)),
    ("output_full", ("output hopper full",)),
    ("needs_cleaning", ("needs cleaning",)),
    ("printer_lost_after_feed", ("printer lost after feed",)),
    ("printer_offline", ("printer offline", "offline")),
    ("printer_error", ("printer error",)),
    ("misfeed", ("misfeed",)),
    ("print_defect", ("print defect",)),
    # agent-side reasons (cetak.agent.pipeline, cetak.agent.runner)
    ("render_failed", ("render failed",)),
    ("driver_error", ("driver error", "driver returned state")),
    ("failed_after_feed", ("failed after feed",)),
    ("agent_stopped", ("agent stopped",)),
    # controller-side reasons (cetak.controller.ledger)
    ("lease_expired", ("lease expired",)),
    ("lease_returned", ("lease returned",)),
    ("lease_released", ("lease released",)),
    ("agent_released", ("agent released",)),
    ("resolved", ("resolved",)),
    # the ledger's defaults when an agent gave no reason
    ("unspecified", ("spoiled", "failed", "unknown")),
)

# Why the controller flagged a report instead of applying it (the prefix of its detail).
FLAG_REASONS = frozenset({"unknown_lease", "foreign_lease", "record_mismatch", "stale_epoch",
                          "bad_transition", "duplicate_print"})

PRINTER_STATES = ("ready", "busy", "paused", "error", "offline", "unknown")

REASON_LABELS = frozenset(label for label, _ in _REASONS) | {"other"}

_SPACES = re.compile(r"[\s_]+")


def reason_label(text: str) -> str:
    """A bounded label for a failure reason: one of REASON_LABELS."""
    t = _SPACES.sub(" ", (text or "").strip().lower())
    if not t:
        return "unspecified"
    for label, prefixes in _REASONS:
        if any(t.startswith(p) for p in prefixes):
            return label
    return "other"


def flag_label(detail: str) -> str:
    """A bounded label for why a report was flagged: one of FLAG_REASONS or "other"."""
    head = (detail or "").split(":", 1)[0].strip().lower()
    return head if head in FLAG_REASONS else "other"


def category_label(kategori: str) -> str:
    """Record category (BARU / PENGGANTIAN) as a lower-case label."""
    k = (kategori or "").strip().lower()
    return k if k in ("baru", "penggantian") else "other"


def printer_state_label(state: int) -> str:
    """A common_pb2.PrinterState value as one of PRINTER_STATES."""
    return {1: "ready", 2: "busy", 3: "paused", 4: "error", 5: "offline"}.get(int(state),
                                                                              "unknown")
