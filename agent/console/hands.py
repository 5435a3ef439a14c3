"""The operator's hands on a virtual printer: what "clear the jam" or "load blanks" physically
means when the printer is software (training, dry runs, tests). A real printer has none; the
operator acts on it and the console only asks it for its status again."""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Hands(Protocol):
    def clear(self) -> None: ...
    def power_on(self) -> None: ...
    def load_blanks(self, count: int) -> int: ...


def hands_for(backend: Any) -> Hands | None:
    """The hands for one backend: its in-process virtual printer, or the service port of a
    printer emulated in another process (printers[].service, else a host:port contactless
    station, which `cetak printer emulate` serves on the same port); None for real printers."""
    config = getattr(backend, "config", None)
    if config is None:
        return None
    if config.transport == "virtual":
        transport = getattr(getattr(backend, "driver", None), "transport", None)
        printer = getattr(transport, "printer", None)
        return printer  # VirtualPrinter has clear/power_on/load_blanks; None until opened
    address = config.service
    station = config.contactless or ""
    if address is None and station not in ("virtual", "pcsc") and not station.startswith("pcsc:"):
        address = station or None
    if address is None:
        return None
    from cetak.printers.virtual.service import ServiceClient

    return _Remote(ServiceClient(address, timeout=5.0))


class _Remote:
    """Through the service port; one short connection per action (actions are rare)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def clear(self) -> None:
        try:
            self._client.clear()
        finally:
            self._client.close()

    def power_on(self) -> None:
        try:
            self._client.power_on()
        finally:
            self._client.close()

    def load_blanks(self, count: int) -> int:
        try:
            return self._client.load_blanks(count)
        finally:
            self._client.close()
