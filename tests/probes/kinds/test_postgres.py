"""The postgres probe kind against the real PostgreSQL on 127.0.0.1:5432 (trust auth) and, for
passwords, a throwaway cluster with SCRAM auth (tests/support/services.py: trust auth accepts any
password, so a wrong one cannot be provoked on the shared server)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from probes.kinds.postgres import PostgresProbe
from probes.result import RunStatus, StepStatus
from probes.run import run_probe
from tests.probes.conftest import AttemptOf, MakeRuntime, policy
from tests.support.services import PasswordPostgres, PostgresDatabases

WRONG = "canary-wrongpass-8e41c0a9f2"


@pytest.fixture
def db(postgres_databases: PostgresDatabases) -> str:
    """A fresh database on the shared server, as a plain postgresql:// URL."""
    return postgres_databases.create().replace("postgresql+psycopg://", "postgresql://")


def _probe(**options: Any) -> PostgresProbe:
    return PostgresProbe.model_validate({"name": "orders-db", "type": "postgres",
                                         "timeout": "5s", **options})


def _sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


async def test_a_query_and_a_round_trip_pass(db: str, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(dsn=db, expect={"rows_min": 1, "value": {"equals": 1}},
                                      round_trip=True))
    assert attempt.failure is None, attempt.failure
    assert [(s.name, s.status) for s in attempt.steps] == [
        ("connect", StepStatus.OK), ("query", StepStatus.OK), ("round_trip", StepStatus.OK)]
    assert attempt.steps[0].phases.connect_ms is not None
    assert all(s.latency_ms is not None for s in attempt.steps)


async def test_the_round_trip_writes_a_real_table_and_rolls_back(db: str,
                                                                 attempt_of: AttemptOf) -> None:
    _sql(db, "CREATE TABLE probe_log (token text PRIMARY KEY, at timestamptz DEFAULT now())")
    probe = _probe(dsn=db, query="SELECT count(*) FROM probe_log", round_trip={
        "write": "INSERT INTO probe_log (token) VALUES (%(token)s)",
        "read": "SELECT token FROM probe_log WHERE token = %(token)s"})
    for _ in range(2):  # the same token twice would break the primary key: each run is fresh
        attempt = await attempt_of(probe)
        assert attempt.failure is None, attempt.failure
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM probe_log").fetchone() == (0,)


async def test_a_read_that_misses_the_write_is_an_assertion(db: str,
                                                            attempt_of: AttemptOf) -> None:
    _sql(db, "CREATE TABLE probe_log (token text)")
    attempt = await attempt_of(_probe(dsn=db, round_trip={
        "write": "INSERT INTO probe_log (token) VALUES (%(token)s)",
        "read": "SELECT token FROM probe_log WHERE token <> %(token)s"}))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason, attempt.failed_step) == (
        "assertion", "round_trip_mismatch", "round_trip")


@pytest.mark.parametrize(("query", "expect", "expected"), [
    ("SELECT 1", {"value": {"equals": 2}}, ("assertion", "value_mismatch")),
    ("SELECT 1::numeric(10, 2)", {"value": {"equals": 1}}, None),
    ("SELECT 'ok' AS state, 3 AS n", {"columns": {"state": {"equals": "ok"}, "n": {"gte": 3}}},
     None),
    ("SELECT 'ok' AS state", {"columns": {"missing": {"equals": 1}}},
     ("schema", "missing_field")),
    ("SELECT * FROM generate_series(1, 3)", {"rows_min": 4}, ("assertion", "rows_mismatch")),
    ("SELECT * FROM generate_series(1, 3)", {"rows_min": 1, "rows_max": 3}, None),
    ("SELECT 1 WHERE false", {"value": {"equals": 1}}, ("assertion", "rows_mismatch")),
    ("SELECT now()", {"value": {"matches": "^20[0-9]{2}-"}}, None),
])
async def test_expectations_on_the_rows(db: str, attempt_of: AttemptOf, query: str,
                                        expect: dict[str, Any],
                                        expected: tuple[str, str] | None) -> None:
    attempt = await attempt_of(_probe(dsn=db, query=query, expect=expect))
    got = None if attempt.failure is None else (attempt.failure.category, attempt.failure.reason)
    assert got == expected, attempt.failure
    assert attempt.failed_step == (None if expected is None else "query")


@pytest.fixture
def limited_role(db: str) -> Iterator[tuple[str, str]]:
    """A role that may log in but may not read `secrets_table`."""
    role = f"seamwatch_ro_{uuid.uuid4().hex[:8]}"
    _sql(db, "CREATE TABLE secrets_table (x int)", f"CREATE ROLE {role} LOGIN")
    yield db, role
    _sql(db, "DROP TABLE secrets_table", f"DROP ROLE {role}")


async def test_missing_permission_is_a_client_error(limited_role: tuple[str, str],
                                                    attempt_of: AttemptOf) -> None:
    db, role = limited_role
    attempt = await attempt_of(_probe(dsn=db, user=role, query="SELECT * FROM secrets_table"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("client_error",
                                                                  "permission_denied")


@pytest.mark.parametrize(("options", "expected", "step"), [
    ({"query": "SELECT * FROM no_such_table"}, ("client_error", "undefined_table"), "query"),
    ({"query": "SELEC 1"}, ("client_error", "sql_error"), "query"),
    ({"query": "SELECT pg_sleep(5)", "statement_timeout": "200ms"},
     ("timeout", "statement_timeout"), "query"),
    ({"database": "seamwatch_no_such_db"}, ("client_error", "unknown_database"), "connect"),
    ({"user": "seamwatch_no_such_role"}, ("auth", "access_denied"), "connect"),
])
async def test_failures_on_the_shared_server(db: str, attempt_of: AttemptOf,
                                             options: dict[str, Any], expected: tuple[str, str],
                                             step: str) -> None:
    attempt = await attempt_of(_probe(dsn=db, **options))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == expected, attempt.failure
    assert attempt.failed_step == step


async def test_refused(closed_port: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(host="127.0.0.1", port=closed_port, user="postgres"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("connection", "refused")
    assert [s.name for s in attempt.steps] == ["connect"]


async def test_connect_timeout(full_backlog_port: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(host="127.0.0.1", port=full_backlog_port, user="postgres",
                                      connect_timeout="300ms"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("timeout", "connect_timeout")


async def test_the_right_password_passes(password_postgres: PasswordPostgres,
                                         attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(host="127.0.0.1", port=password_postgres.port,
                                      user="postgres", password=password_postgres.password,
                                      database="postgres"))
    assert attempt.failure is None, attempt.failure


@pytest.mark.parametrize("where", ["password", "dsn"])
async def test_a_wrong_password_is_auth_and_never_shown(
        password_postgres: PasswordPostgres, make_rt: MakeRuntime, where: str) -> None:
    port = password_postgres.port
    options = ({"host": "127.0.0.1", "port": port, "user": "postgres", "password": WRONG}
               if where == "password" else
               {"dsn": f"postgresql://postgres:{WRONG}@127.0.0.1:{port}/postgres"})
    probe = _probe(retries=0, **options)
    result = await run_probe(make_rt(secrets=(WRONG,)), probe, policy(probe))
    assert result.status is RunStatus.FAILED
    assert (result.category, result.reason) == ("auth", "invalid_password")
    assert "password authentication failed" in (result.message or "")
    assert WRONG not in json.dumps(result.to_json())
    assert WRONG not in repr(probe) and WRONG not in probe.model_dump_json()


@pytest.mark.parametrize(("options", "message"), [
    ({}, "set `host`"),
    ({"dsn": "host=127.0.0.1 password=x"}, "expected a URL"),
    ({"dsn": "postgresql://u@h:notaport/db"}, "is not a valid URL"),
    ({"host": "h", "round_trip": {"write": "INSERT INTO t VALUES (%(token)s)"}},
     "set both `write` and `read`"),
    ({"host": "h", "round_trip": {"write": "INSERT INTO t VALUES (1)", "read": "SELECT 1"}},
     "must use %(token)s"),
    ({"host": "h", "expect": {"rows_min": 3, "rows_max": 1}}, "larger than rows_max"),
])
def test_config_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _probe(**options)


def test_explicit_keys_override_the_dsn() -> None:
    probe = _probe(dsn="postgresql://app:from%40dsn@db.test:6543/orders?sslmode=require",
                   user="monitor", database="orders_ro")
    target = probe.target()
    assert (target.host, target.port, target.user, target.password, target.database) == (
        "db.test", 6543, "monitor", "from@dsn", "orders_ro")
    assert target.query == {"sslmode": "require"}


async def test_the_runs_deadline_names_the_step_it_cut_short(db: str,
                                                              make_rt: MakeRuntime) -> None:
    probe = _probe(dsn=db, query="SELECT pg_sleep(5)", timeout="400ms", statement_timeout="10s",
                   retries=0)
    result = await run_probe(make_rt(), probe, policy(probe))
    assert (result.category, result.reason, result.failed_step) == ("timeout", "deadline",
                                                                    "query")
    assert [(s.name, s.status) for s in result.steps] == [("connect", StepStatus.OK),
                                                          ("query", StepStatus.FAILED)]
