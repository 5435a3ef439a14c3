"""Controller stores: SQLite (embedded default) and PostgreSQL (scale-out, many replicas).

`open_store(url)` picks one from a URL. psycopg is imported only for a PostgreSQL URL, so an
SQLite deployment needs nothing beyond the standard library.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StoreConflict, StoreError
from .sqlite import SqliteStore

if TYPE_CHECKING:
    from .postgres import PostgresStore

__all__ = ["PostgresStore", "SqliteStore", "StoreConflict", "StoreError", "open_store"]


def open_store(url: str | Path) -> SqliteStore | PostgresStore:
    """`sqlite:///abs/path.db`, `sqlite://rel/path.db`, a plain file path, or
    `postgresql://user@host:port/db?...` (also `postgres://`; any libpq URI, including
    several hosts with `target_session_attrs=read-write` to follow a failover)."""
    text = str(url)
    if text.startswith("sqlite://"):
        text = text[len("sqlite://"):]
        return SqliteStore(text)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresStore
        except ImportError as exc:
            raise StoreError("a PostgreSQL store needs psycopg: "
                             "pip install 'cetak[postgres]'") from exc
        return PostgresStore(text)
    if "://" in text:
        raise StoreError(f"unsupported store URL scheme: {text.split('://', 1)[0]!r}")
    return SqliteStore(text)


def __getattr__(name: str) -> Any:
    # `from cetak.controller.store import PostgresStore` works, still importing psycopg lazily.
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(name)
