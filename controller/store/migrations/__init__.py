"""Schema migrations: numbered SQL files applied in order, each exactly once, in one transaction."""

from __future__ import annotations

import sqlite3
from importlib import resources


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped with the package, in order."""
    found = []
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".sql") and entry.name[:4].isdigit():
            found.append((int(entry.name[:4]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                 "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
    applied = []
    for version, name, sql in migration_files():
        if version in done:
            continue
        # executescript commits first; wrap the file in our own transaction so a failing
        # migration leaves the schema as it was.
        conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n"
                           f"INSERT INTO schema_migrations VALUES ({version}, '{name}');\nCOMMIT;")
        applied.append(version)
    return applied
