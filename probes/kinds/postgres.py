"""The `postgres` probe kind: connect, run a query and check its rows, optionally write and read
back in a transaction that is rolled back. Steps `connect`, `query`, `round_trip`
(probes/db/session.py); psycopg and the error classification are in probes/db/postgres.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from probes.db.spec import DatabaseFields, hung_step
from probes.kinds.base import ProbeCommon, ProbeKind
from probes.result import Attempt

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime


class PostgresProbe(ProbeCommon, DatabaseFields):
    """A PostgreSQL round trip: connect, query, check the rows (docs: README, Databases)."""

    type: Literal["postgres"]


async def attempt(rt: IntegrationRuntime, probe: PostgresProbe, into: Attempt) -> Attempt:
    # Imported here: loading the config needs neither psycopg nor the session machinery.
    from probes.db.postgres import PostgresDriver
    from probes.db.session import run_attempt

    return await run_attempt(PostgresDriver(), probe, probe.timeout, into)


KIND = ProbeKind("postgres", PostgresProbe, attempt, hung_step=hung_step)
