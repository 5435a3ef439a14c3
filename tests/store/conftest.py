"""Fixtures for the store conformance suite: every test runs on SQLite and on PostgreSQL.

The PostgreSQL parameter uses the server named by CETAK_TEST_PG_DSN (tests/conftest.py starts
a throwaway one when it is unset and PostgreSQL is installed), with a fresh schema per test
(dropped afterwards). Without a server it skips with the reason, except under
CETAK_REQUIRE_POSTGRES=1 (CI), where a missing server is a failure rather than a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest

from cetak.controller.store import SqliteStore

PG_ENV = "CETAK_TEST_PG_DSN"


def require_postgres() -> str:
    """The test server's DSN, or skip (fail under CETAK_REQUIRE_POSTGRES=1)."""
    dsn = os.environ.get(PG_ENV, "")
    reason = ""
    if not dsn:
        # tests/conftest.py starts a throwaway server where it can and says why where not.
        reason = os.environ.get("CETAK_TEST_PG_UNAVAILABLE") or (
            f"{PG_ENV} is not set (start one with: eval \"$(.ci/postgres.sh start)\")")
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            reason = "psycopg is not installed (pip install 'cetak[postgres]')"
    if reason:
        if os.environ.get("CETAK_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required (CETAK_REQUIRE_POSTGRES=1): {reason}")
        pytest.skip(reason)
    return dsn


def schema_dsn(dsn: str, schema: str) -> str:
    """`dsn` with every connection's search_path set to `schema` (URI or key=value form)."""
    option = f"-csearch_path={schema}"
    if dsn.startswith(("postgresql://", "postgres://")):
        return f"{dsn}{'&' if '?' in dsn else '?'}options={quote(option)}"
    return f"{dsn} options='{option}'"


class PgSchemas:
    """Creates throwaway schemas on the test server and drops them all at the end."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.dsn = dsn
        self.admin = psycopg.connect(dsn, autocommit=True)
        self.names: list[str] = []

    def new(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f"CREATE SCHEMA {name}")
        self.names.append(name)
        return schema_dsn(self.dsn, name)

    def close(self) -> None:
        for name in self.names:
            self.admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        self.admin.close()


@pytest.fixture
def pg_schemas() -> Iterator[PgSchemas]:
    schemas = PgSchemas(require_postgres())
    yield schemas
    schemas.close()


STORE_KINDS = [pytest.param("sqlite", id="sqlite"),
               pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORE_KINDS)
def store_factory(request, tmp_path) -> Iterator[Callable[[], object]]:
    """Opens stores on one fresh database of the parameter's kind; each call is a new
    connection to the same database (for migration and concurrency tests)."""
    opened: list = []
    if request.param == "sqlite":
        path = tmp_path / "controller.db"

        def make():
            opened.append(SqliteStore(path))
            return opened[-1]
        make.url = f"sqlite://{path}"  # type: ignore[attr-defined]
        schemas = None
    else:
        from cetak.controller.store.postgres import PostgresStore

        schemas = PgSchemas(require_postgres())
        url = schemas.new()

        def make():
            opened.append(PostgresStore(url))
            return opened[-1]
        make.url = url  # type: ignore[attr-defined]
    yield make
    for s in opened:
        s.close()
    if schemas is not None:
        schemas.close()


@pytest.fixture
def store(store_factory):
    return store_factory()
