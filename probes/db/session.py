"""One attempt of a database probe, the same for every server family: the steps `connect`,
`query` and (with `round_trip:`) `round_trip`, each recorded with its latency as it starts, so a
deadline that cuts the attempt short still shows where it was (`hung_step`, in spec.py).

Nothing is ever committed: the query and the round trip run in one transaction, rolled back
before the connection is closed (closing alone would discard it too). What differs between
PostgreSQL and MySQL (connecting, setting the statement timeout, the temporary table, reading
their errors) is a `Driver` (probes/db/postgres.py, probes/db/mysql.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping, Sequence
from time import perf_counter
from typing import Any, NamedTuple, Protocol

from core.types import format_duration
from probes.db.rows import check_rows, plain
from probes.db.spec import (
    CONNECT,
    QUERY,
    ROUND_TRIP,
    ROUND_TRIP_TOKEN,
    DatabaseFields,
    RoundTrip,
    Target,
    describe,
)
from probes.http.expectations import show
from probes.result import Attempt, Category, Failure, StepResult, StepStatus

# The client gives the server this long past `statement_timeout` to report its own timeout
# before it stops waiting (reason query_timeout instead of statement_timeout).
CLIENT_GRACE_S = 1.0
CLOSE_TIMEOUT_S = 2.0
TEMP_WRITE = "INSERT INTO seamwatch_round_trip (token) VALUES (%(token)s)"
TEMP_READ = "SELECT token FROM seamwatch_round_trip WHERE token = %(token)s"


class Rows(NamedTuple):
    total: int
    columns: Sequence[str]
    first: Sequence[Any] | None


class Connection(Protocol):
    async def run(self, sql: str, params: Mapping[str, Any] | None) -> Rows: ...

    async def rollback(self) -> None: ...

    async def close(self) -> None: ...


class Driver(Protocol):
    default_port: int
    # The round trip without `write`/`read`: the temporary table TEMP_WRITE and TEMP_READ use.
    temp_table: str

    async def connect(self, target: Target, connect_timeout_s: float,
                      statement_timeout_s: float) -> Connection: ...

    def classify(self, exc: BaseException) -> Failure: ...


class _Steps:
    def __init__(self, into: Attempt) -> None:
        self.attempt = into

    def start(self, name: str) -> tuple[StepResult, float]:
        step = StepResult(name, StepStatus.FAILED)
        self.attempt.steps.append(step)
        return step, perf_counter()

    def finish(self, step: StepResult, started: float, failure: Failure | None) -> bool:
        step.latency_ms = (perf_counter() - started) * 1000.0
        if failure is None:
            step.status = StepStatus.OK
            return True
        step.failure = self.attempt.failure = failure
        self.attempt.failed_step = step.name
        return False


async def _run(driver: Driver, conn: Connection, sql: str, params: Mapping[str, Any] | None,
               limit_s: float) -> Rows | Failure:
    try:
        async with asyncio.timeout(limit_s + CLIENT_GRACE_S):
            return await conn.run(sql, params)
    except TimeoutError:
        return Failure(Category.TIMEOUT, "query_timeout",
                       f"no reply within {format_duration(limit_s + CLIENT_GRACE_S)}")
    except Exception as exc:
        return driver.classify(exc)


async def _round_trip(driver: Driver, conn: Connection, spec: RoundTrip,
                      limit_s: float) -> Failure | None:
    token = f"seamwatch-{uuid.uuid4().hex}"
    params = {ROUND_TRIP_TOKEN: token}
    if spec.write is None or spec.read is None:
        write, read = TEMP_WRITE, TEMP_READ
        created = await _run(driver, conn, driver.temp_table, None, limit_s)
        if isinstance(created, Failure):
            return created
    else:
        write, read = spec.write, spec.read
    written = await _run(driver, conn, write, params, limit_s)
    if isinstance(written, Failure):
        return written
    found = await _run(driver, conn, read, params, limit_s)
    if isinstance(found, Failure):
        return found
    got = plain(found.first[0]) if found.first else None
    if got != token:
        what = "no row" if found.first is None else show(got)
        return Failure(Category.ASSERTION, "round_trip_mismatch",
                       f"the read returned {what}, expected the value just written ({token})")
    return None


async def run_attempt(driver: Driver, probe: DatabaseFields, timeout_s: float,
                      into: Attempt) -> Attempt:
    steps = _Steps(into)
    target = probe.target()
    connect_s, statement_s = probe.timeouts(timeout_s)
    step, started = steps.start(CONNECT)
    try:
        async with asyncio.timeout(connect_s):
            conn = await driver.connect(target, connect_s, statement_s)
    except TimeoutError:
        where = describe(target, driver.default_port)
        return _failed(steps, step, started, Failure(
            Category.TIMEOUT, "connect_timeout",
            f"connecting to {where} took over {format_duration(connect_s)}"))
    except Exception as exc:
        return _failed(steps, step, started, driver.classify(exc))
    steps.finish(step, started, None)
    step.phases.connect_ms = step.latency_ms
    try:
        step, started = steps.start(QUERY)
        rows = await _run(driver, conn, probe.query, None, statement_s)
        failure = rows if isinstance(rows, Failure) else check_rows(
            probe.expect, rows.total, rows.columns, rows.first)
        if not steps.finish(step, started, failure):
            return into
        spec = probe.round_trip_spec()
        if spec is not None:
            step, started = steps.start(ROUND_TRIP)
            steps.finish(step, started, await _round_trip(driver, conn, spec, statement_s))
        return into
    finally:
        await _discard(conn)


def _failed(steps: _Steps, step: StepResult, started: float, failure: Failure) -> Attempt:
    steps.finish(step, started, failure)
    return steps.attempt


async def _discard(conn: Connection) -> None:
    """Roll back (nothing a probe does is kept) and close, whatever state the connection is in."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await conn.rollback()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await conn.close()
