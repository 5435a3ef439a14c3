"""The transports are tested against the virtual printer: the same fixtures as tests/printers."""

from tests.printers.conftest import card, duplex_card, make_printer

__all__ = ["card", "duplex_card", "make_printer"]
