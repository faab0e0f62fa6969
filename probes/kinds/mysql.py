"""The `mysql` probe kind (MySQL and MariaDB): connect, run a query and check its rows, optionally
write and read back in a transaction that is rolled back. Steps `connect`, `query`, `round_trip`
(probes/db/session.py); asyncmy and the error classification are in probes/db/mysql.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import model_validator

from probes.db.spec import DatabaseFields, hung_step
from probes.kinds.base import ProbeCommon, ProbeKind
from probes.result import Attempt

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime


class MysqlProbe(ProbeCommon, DatabaseFields):
    """A MySQL or MariaDB round trip: connect, query, check the rows (docs: README, Databases)."""

    type: Literal["mysql"]

    @model_validator(mode="after")
    def _no_dsn_options(self) -> MysqlProbe:
        if self.dsn is not None and self.target().query:
            raise ValueError("`dsn` of a mysql probe takes no ?options (only user, password, "
                             "host, port and database)")
        return self


async def attempt(rt: IntegrationRuntime, probe: MysqlProbe, into: Attempt) -> Attempt:
    # Imported here: loading the config needs neither asyncmy nor the session machinery.
    from probes.db.mysql import MysqlDriver
    from probes.db.session import run_attempt

    return await run_attempt(MysqlDriver(), probe, probe.timeout, into)


KIND = ProbeKind("mysql", MysqlProbe, attempt, hung_step=hung_step)
