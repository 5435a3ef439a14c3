"""Exceptions of the native card core.

    NativeError            base class, never raised directly
    ├── StreamError        a printer stream that is truncated, lies about a length, or is not
    │                      the dialect (offset: byte offset the problem was found at)
    ├── TlvError           malformed BER-TLV (offset: byte offset, None for encoding errors)
    └── EncodeError        a job that cannot be encoded (bad options, sizes, dialect limits)
"""

from __future__ import annotations


class NativeError(Exception):
    """Base of every error the native core raises; never raised itself."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        return f"{self.message} (at byte {self.offset})"


class StreamError(NativeError):
    """A printer command stream could not be framed or decoded."""


class TlvError(NativeError):
    """BER-TLV data could not be decoded or encoded."""


class EncodeError(NativeError):
    """A job could not be turned into a command stream."""
