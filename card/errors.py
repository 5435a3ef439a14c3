"""Exceptions of `cetak.card`, one tree for the whole package.

    CardError                  base, never raised directly
    ├── TemplateError          the template file is malformed (names the path/element)
    ├── FieldInvalid(field)    a record value is missing or malformed for the card
    │   └── FieldDoesNotFit(field)   text does not fit its box even shrunk and wrapped
    ├── PhotoError(field)      photo/signature bytes cannot be decoded or are unusable
    ├── ChipDataError          chip data cannot be built or parsed
    ├── EncoderUnavailable     a chip encoder cannot be used at all (e.g. pyscard missing):
    │                          raised before any blank is fed, so no card is spoiled
    └── ChipWriteError         writing the chip failed: the card in the station is spoiled

Messages name the field, never its value: personal data stays out of logs.
"""

from __future__ import annotations


class CardError(Exception):
    """Base of every error raised by cetak.card."""


class TemplateError(CardError):
    """A card template is malformed or refers to something that does not exist."""


class FieldInvalid(CardError):
    """A record field is missing or malformed for printing."""

    def __init__(self, field: str, reason: str = "invalid") -> None:
        super().__init__(f"field {field!r}: {reason}")
        self.field = field
        self.reason = reason


class FieldDoesNotFit(FieldInvalid):
    """Text that does not fit its box even at the smallest size and most lines allowed."""

    def __init__(self, field: str, reason: str = "text does not fit its box") -> None:
        super().__init__(field, reason)


class PhotoError(CardError):
    """An image (photo or signature) cannot be used."""

    def __init__(self, field: str, reason: str = "cannot be used") -> None:
        super().__init__(f"image {field!r}: {reason}")
        self.field = field
        self.reason = reason


class ChipDataError(CardError):
    """Chip data cannot be built from a record, or a chip file cannot be parsed."""


class EncoderUnavailable(CardError):
    """A chip encoder cannot work at all here (missing library, no reader)."""


class ChipWriteError(CardError):
    """Writing the chip failed; the blank in the station is spoiled (docs/design.md section 4)."""
