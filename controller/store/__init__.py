"""Controller stores: SQLite (embedded default). `open_store(url)` picks one from a URL."""

from __future__ import annotations

from pathlib import Path

from .errors import StoreError
from .sqlite import SqliteStore

__all__ = ["SqliteStore", "StoreError", "open_store"]


def open_store(url: str | Path) -> SqliteStore:
    """`sqlite:///abs/path.db`, `sqlite://rel/path.db` or a plain file path."""
    text = str(url)
    if text.startswith("sqlite://"):
        text = text[len("sqlite://"):]
        return SqliteStore(text)
    if "://" in text:
        raise StoreError(f"unsupported store URL scheme: {text.split('://', 1)[0]!r}")
    return SqliteStore(text)
