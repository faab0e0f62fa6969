"""Local services for tests (PostgreSQL on loopback, a throwaway PostgreSQL with password auth).
Unreachable -> skip with the reason, or fail when SEAMWATCH_REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.servers import free_port

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


# ------------------------------------------------------------ a PostgreSQL that checks passwords


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PasswordPostgres:
    """A throwaway PostgreSQL cluster on a free loopback port whose pg_hba.conf asks for a
    SCRAM password (the shared server on 5432 trusts every connection, so a wrong password
    cannot be provoked there). initdb refuses to run as root: as root it runs as `postgres`."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="seamwatch-pg-"))
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, user="postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def start(self) -> None:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            unavailable("initdb/pg_ctl not found: cannot start a PostgreSQL with password auth")
        secret = self.folder / "pw"
        secret.write_text(self.password)
        if self._as:
            shutil.chown(secret, user="postgres")
        data = self.folder / "data"
        self._run(initdb, "-D", str(data), "-A", "scram-sha-256", "-U", "postgres",
                  f"--pwfile={secret}", "--no-sync", "-E", "UTF8")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off")
        self._run(pg_ctl, "-D", str(data), "-o", options, "-w", "-t", "30",
                  "-l", str(self.folder / "log"), "start")

    def stop(self) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        if pg_ctl is not None and (self.folder / "data" / "postmaster.pid").exists():
            self._run(pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, text=True,
                              timeout=60, check=False)
        if done.returncode != 0:
            unavailable(f"{Path(command[0]).name} failed: {done.stderr.strip()[:300]}")


@pytest.fixture(scope="session")
def password_postgres() -> Iterator[PasswordPostgres]:
    cluster = PasswordPostgres("canary-pgpass-5d0c2e91b7")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
