"""Local services for tests (PostgreSQL on loopback). Unreachable -> skip with the reason, or fail
when SEAMWATCH_REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("SEAMWATCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def services_required() -> bool:
    return os.environ.get("SEAMWATCH_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when services are required."""
    if services_required():
        pytest.fail(f"{reason} (SEAMWATCH_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


class PostgresDatabases:
    """Creates throwaway databases `seamwatch_test_<random>` and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = sa.make_url(admin_url)
        self._engine = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        self._created: list[str] = []
        self.error: str | None = None
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except sa.exc.OperationalError as exc:
            self.error = f"PostgreSQL unreachable at {self.admin_url!r}: {exc.orig}".splitlines()[0]

    def create(self) -> str:
        """A fresh, empty database; returns its URL."""
        if self.error:
            unavailable(self.error)
        name = f"seamwatch_test_{uuid.uuid4().hex[:12]}"
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.error:
            with self._engine.connect() as conn:
                for name in self._created:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._engine.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases(PG_URL)
    yield dbs
    dbs.drop_all()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> str:
    """URL of a fresh empty PostgreSQL database for this test (dropped at session end)."""
    return postgres_databases.create()


PostgresFactory = Callable[[], str]
