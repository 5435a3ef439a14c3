"""Exceptions of the PRR import package.

Tree::

    PrrError                    base, never raised directly
    +-- InputUnusable           the input as a whole cannot be read (exit 2); carries `reason`
    |   |                       and, where known, the physical `line`
    |   +-- HeaderError         CSV header / first JSON object: unknown, duplicate or missing fields
    |   +-- ArchiveError        .zip: no or several data files, unsafe names, size/ratio limits
    +-- RegionDataError         the packaged region table is missing or malformed
    +-- UnsafePath              a media path leaves its folder (absolute, `..`, symlink);
    |                           turned into a field error by the validator
    +-- MediaUnavailable        a valid record's image cannot be loaded any more (moved, changed)

A problem with one record is not an exception: it is a `FieldError` in the validation result.
Messages never contain personal data: they name a field, a line or a limit, never a value.
"""

from __future__ import annotations


class PrrError(Exception):
    """Base of every error raised by `cetak.prr`; catch this, never raise it."""


class InputUnusable(PrrError):
    """The input cannot be validated at all: nothing from it may be imported."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


class HeaderError(InputUnusable):
    """Unknown, duplicate or missing fields in the header (CSV) or first object (JSON Lines)."""


class ArchiveError(InputUnusable):
    """A .zip input that is unsafe or does not hold exactly one data file."""


class RegionDataError(PrrError):
    """The packaged region table cannot be read."""


class UnsafePath(PrrError):
    """A photo or signature path that would leave the folder it is relative to."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class MediaUnavailable(PrrError):
    """A record's photo or signature cannot be loaded for its card (file moved or changed)."""
