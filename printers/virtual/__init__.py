"""The virtual card printer (docs/design.md section 8): both dialects over USB (a pyusb backend),
TCP and in-process, with a physical model, consumables, faults, a chip station and a log of
cards physically produced."""

from cetak.printers.virtual.device import VirtualPrinter
from cetak.printers.virtual.faults import FaultKind, FaultPlan

__all__ = ["FaultKind", "FaultPlan", "VirtualPrinter"]
