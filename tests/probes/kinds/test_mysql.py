"""The mysql probe kind against the real MariaDB on 127.0.0.1:3306 (root, no password, database
`test`); a user with a password is created for the auth and permission cases."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import pytest
from pydantic import ValidationError

from probes.kinds.mysql import MysqlProbe
from probes.result import RunStatus, StepStatus
from probes.run import run_probe
from tests.probes.conftest import AttemptOf, MakeRuntime, policy
from tests.support.services import unavailable

ROOT = {"host": "127.0.0.1", "port": 3306, "user": "root", "database": "test"}
PASSWORD = "canary-mysqlpass-3b9e7d10c4"
WRONG = "canary-wrongpass-61f0a2d8e5"


async def _sql(*statements: str) -> list[Any]:
    import asyncmy

    try:
        conn = await asyncmy.connect(host="127.0.0.1", port=3306, user="root", password="",
                                     db="test", connect_timeout=3, autocommit=True)
    except Exception as exc:
        unavailable(f"MariaDB unreachable at 127.0.0.1:3306: {exc}")
    try:
        results = []
        async with conn.cursor() as cur:
            for statement in statements:
                await cur.execute(statement)
                results.append(await cur.fetchall())
        return results
    finally:
        conn.close()


class Scratch(NamedTuple):
    table: str  # a table the user may read
    hidden: str  # a table it may not
    user: str


@pytest.fixture
async def scratch() -> AsyncIterator[Scratch]:
    """Two tables in `test` and a user with a password who may read only the first."""
    tag = uuid.uuid4().hex[:8]
    made = Scratch(f"seamwatch_log_{tag}", f"seamwatch_hidden_{tag}", f"seamwatch_{tag}")
    await _sql(
        f"CREATE TABLE {made.table} (token VARCHAR(64) PRIMARY KEY) ENGINE=InnoDB",
        f"CREATE TABLE {made.hidden} (x INT)",
        f"CREATE USER '{made.user}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'",
        f"GRANT SELECT ON test.{made.table} TO '{made.user}'@'127.0.0.1'",
    )
    yield made
    await _sql(f"DROP USER '{made.user}'@'127.0.0.1'", f"DROP TABLE {made.table}",
               f"DROP TABLE {made.hidden}")


def _probe(**options: Any) -> MysqlProbe:
    return MysqlProbe.model_validate({"name": "shop-db", "type": "mysql", "timeout": "5s",
                                      **options})


async def test_a_query_and_a_round_trip_pass(attempt_of: AttemptOf) -> None:
    await _sql("SELECT 1")
    attempt = await attempt_of(_probe(dsn="mysql://root@127.0.0.1:3306/test",
                                      expect={"rows_min": 1, "value": {"equals": 1}},
                                      round_trip=True))
    assert attempt.failure is None, attempt.failure
    assert [(s.name, s.status) for s in attempt.steps] == [
        ("connect", StepStatus.OK), ("query", StepStatus.OK), ("round_trip", StepStatus.OK)]
    assert attempt.steps[0].phases.connect_ms is not None


async def test_the_round_trip_writes_a_real_table_and_rolls_back(
        scratch: Scratch, attempt_of: AttemptOf) -> None:
    probe = _probe(**ROOT, query=f"SELECT count(*) FROM {scratch.table}",
                   expect={"value": {"equals": 0}}, round_trip={
                       "write": f"INSERT INTO {scratch.table} (token) VALUES (%(token)s)",
                       "read": f"SELECT token FROM {scratch.table} WHERE token = %(token)s"})
    for _ in range(2):
        attempt = await attempt_of(probe)
        assert attempt.failure is None, attempt.failure
    [[(count,)]] = await _sql(f"SELECT count(*) FROM {scratch.table}")
    assert count == 0


@pytest.mark.parametrize(("query", "expect", "expected"), [
    ("SELECT 1", {"value": {"equals": 2}}, ("assertion", "value_mismatch")),
    ("SELECT CAST(1 AS DECIMAL(10, 2))", {"value": {"equals": 1}}, None),
    ("SELECT 'ok' AS state, 3 AS n", {"columns": {"state": {"equals": "ok"}, "n": {"gte": 3}}},
     None),
    ("SELECT 'ok' AS state", {"columns": {"missing": {"equals": 1}}},
     ("schema", "missing_field")),
    ("SELECT 1 UNION SELECT 2", {"rows_min": 3}, ("assertion", "rows_mismatch")),
    ("SELECT NOW()", {"value": {"matches": "^20[0-9]{2}-"}}, None),
])
async def test_expectations_on_the_rows(attempt_of: AttemptOf, query: str,
                                        expect: dict[str, Any],
                                        expected: tuple[str, str] | None) -> None:
    await _sql("SELECT 1")
    attempt = await attempt_of(_probe(**ROOT, query=query, expect=expect))
    got = None if attempt.failure is None else (attempt.failure.category, attempt.failure.reason)
    assert got == expected, attempt.failure


async def test_the_users_password_passes(scratch: Scratch, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(**{**ROOT, "user": scratch.user}, password=PASSWORD,
                                      query=f"SELECT count(*) FROM {scratch.table}"))
    assert attempt.failure is None, attempt.failure


@pytest.mark.parametrize(("options", "expected", "step"), [
    ({"query": "SELECT * FROM seamwatch_no_such_table"}, ("client_error", "undefined_table"),
     "query"),
    ({"query": "SELEC 1"}, ("client_error", "sql_error"), "query"),
    ({"query": "SELECT SLEEP(5)", "statement_timeout": "200ms"},
     ("timeout", "statement_timeout"), "query"),
    ({"database": "seamwatch_no_such_db"}, ("client_error", "unknown_database"), "connect"),
])
async def test_failures(attempt_of: AttemptOf, options: dict[str, Any],
                        expected: tuple[str, str], step: str) -> None:
    await _sql("SELECT 1")
    attempt = await attempt_of(_probe(**{**ROOT, **options}))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == expected, attempt.failure
    assert attempt.failed_step == step


async def test_missing_permission_is_a_client_error(scratch: Scratch,
                                                    attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(**{**ROOT, "user": scratch.user}, password=PASSWORD,
                                      query=f"SELECT * FROM {scratch.hidden}"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("client_error",
                                                                  "permission_denied")


@pytest.mark.parametrize("where", ["password", "dsn"])
async def test_a_wrong_password_is_auth_and_never_shown(scratch: Scratch, make_rt: MakeRuntime,
                                                        where: str) -> None:
    options = ({**ROOT, "user": scratch.user, "password": WRONG} if where == "password" else
               {"dsn": f"mysql://{scratch.user}:{WRONG}@127.0.0.1:3306/test"})
    probe = _probe(retries=0, **options)
    result = await run_probe(make_rt(secrets=(WRONG,)), probe, policy(probe))
    assert result.status is RunStatus.FAILED
    assert (result.category, result.reason) == ("auth", "access_denied")
    assert "Access denied" in (result.message or "")
    assert WRONG not in json.dumps(result.to_json())
    assert WRONG not in repr(probe) and WRONG not in probe.model_dump_json()


async def test_refused(closed_port: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(host="127.0.0.1", port=closed_port, user="root"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("connection", "refused")


async def test_connect_timeout(full_backlog_port: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(host="127.0.0.1", port=full_backlog_port, user="root",
                                      connect_timeout="300ms"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("timeout", "connect_timeout")


def test_a_dsn_with_options_is_refused() -> None:
    with pytest.raises(ValidationError, match="takes no"):
        _probe(dsn="mysql://root@127.0.0.1/test?ssl=true")
