"""The config keys the database kinds share: where to connect, what to run, what the rows must
hold. The kinds' own models (probes/kinds/postgres.py, probes/kinds/mysql.py) add their `type`
and default port to `DatabaseFields`.

`password` is a `Secret`, and so is the whole `dsn` (it may carry the password, and a DSN is
commonly handled as a credential): neither shows in a repr, a dump or the dashboard's config
page, and the redactor masks both and the DSN's password on its own. `dsn` must be a URL, so that
its password can be found (a libpq `key=value` string is refused).
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator, model_validator

from core.model import StrictModel
from core.types import Duration, Secret
from probes.http.spec import Matcher
from probes.result import Attempt, StepStatus

CONNECT, QUERY, ROUND_TRIP = "connect", "query", "round_trip"  # the steps, in order
ROUND_TRIP_TOKEN = "token"  # the parameter name `%(token)s` in round-trip statements
_TOKEN_PARAM = f"%({ROUND_TRIP_TOKEN})s"


class RowsExpect(StrictModel):
    """What the query's result must hold. `value` is the first column of the first row;
    `columns` names columns of the first row."""

    rows_min: int | None = Field(None, ge=0, description="at least this many rows")
    rows_max: int | None = Field(None, ge=0, description="at most this many rows")
    value: Matcher | None = Field(None, description="the first column of the first row")
    columns: dict[str, Matcher] = Field(
        default_factory=dict, description="column name -> matcher, on the first row"
    )

    @model_validator(mode="after")
    def _bounds(self) -> RowsExpect:
        low, high = self.rows_min, self.rows_max
        if low is not None and high is not None and low > high:
            raise ValueError(f"rows_min ({low}) is larger than rows_max ({high})")
        return self


class RoundTrip(StrictModel):
    """A write, then a read of what was written, in the probe's transaction (always rolled
    back). Without `write`/`read` a temporary table is used."""

    write: str | None = Field(None, description=f"statement using {_TOKEN_PARAM}")
    read: str | None = Field(
        None, description=f"query whose first column of the first row must be {_TOKEN_PARAM}"
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> RoundTrip:
        if (self.write is None) != (self.read is None):
            raise ValueError("set both `write` and `read`, or neither (a temporary table)")
        for key in ("write", "read"):
            statement = getattr(self, key)
            if statement is not None and _TOKEN_PARAM not in statement:
                raise ValueError(f"`{key}` must use {_TOKEN_PARAM}, the round trip's fresh value")
        return self


class Target(NamedTuple):
    """Where and as whom to connect, with the DSN's parts filled in by the explicit keys."""

    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str | None
    query: dict[str, str]  # the DSN's query parameters (sslmode=require, …)


class DatabaseFields(StrictModel):
    """Connection, query and expectations of a database probe."""

    dsn: Secret | None = Field(
        None, description="a URL such as postgresql://user:${PASSWORD}@host:5432/db; "
                          "host, port, user, password and database override its parts",
    )
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    user: str | None = None
    password: Secret | None = None
    database: str | None = None
    connect_timeout: Duration | None = Field(
        None, gt=0, description="default: the probe's timeout"
    )
    statement_timeout: Duration | None = Field(
        None, gt=0, description="enforced by the server; default: the probe's timeout"
    )
    query: str = Field("SELECT 1", min_length=1, description="run in a transaction never committed")
    expect: RowsExpect = Field(default_factory=RowsExpect)
    round_trip: bool | RoundTrip = Field(
        False, description="true: write and read a temporary table; or `write` and `read`",
    )

    @field_validator("dsn")
    @classmethod
    def _dsn_is_url(cls, value: Secret | None) -> Secret | None:
        text = value.get_secret_value().strip() if value is not None else None
        if text is not None and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
            raise ValueError("expected a URL such as postgresql://user@host:5432/db "
                             "(set host, port, user, password and database as keys otherwise)")
        return value

    @model_validator(mode="after")
    def _somewhere(self) -> DatabaseFields:
        if self.dsn is None and self.host is None:
            raise ValueError("set `host` (or a `dsn` URL)")
        try:
            self.target()
        except ValueError:
            raise ValueError("`dsn` is not a valid URL (check its port)") from None
        return self

    def target(self) -> Target:
        """The DSN's parts, each overridden by its explicit key. Raises ValueError for a DSN
        that does not parse (a bad port)."""
        host = port = user = password = database = None
        query: dict[str, str] = {}
        if self.dsn is not None:
            parts = urlsplit(self.dsn.get_secret_value().strip())
            host, port = parts.hostname, parts.port
            user = unquote(parts.username) if parts.username else None
            password = unquote(parts.password) if parts.password else None
            database = unquote(parts.path.lstrip("/")) or None
            for pair in filter(None, parts.query.split("&")):
                key, _, value = pair.partition("=")
                query[unquote(key)] = unquote(value)
        secret = self.password.get_secret_value() if self.password is not None else None
        return Target(
            host=self.host or host, port=self.port or port, user=self.user or user,
            password=secret if secret is not None else password,
            database=self.database or database, query=query,
        )

    def round_trip_spec(self) -> RoundTrip | None:
        if self.round_trip is False:
            return None
        return RoundTrip() if self.round_trip is True else self.round_trip

    def timeouts(self, probe_timeout: float) -> tuple[float, float]:
        """(connect, statement) timeouts in seconds."""
        return (self.connect_timeout or probe_timeout, self.statement_timeout or probe_timeout)


def describe(target: Target, default_port: int) -> str:
    """`user@host:port/database` for messages (never the password)."""
    who = f"{target.user}@" if target.user else ""
    where = f"{target.host or 'localhost'}:{target.port or default_port}"
    return f"{who}{where}/{target.database or ''}"


def hung_step(probe: DatabaseFields, cut_short: Attempt) -> str | None:
    """The step a deadline cut short: the one started without an outcome, else the next."""
    for recorded in cut_short.steps:
        if recorded.status is StepStatus.FAILED and recorded.failure is None:
            return recorded.name
    order = [CONNECT, QUERY] + ([ROUND_TRIP] if probe.round_trip_spec() else [])
    done = {s.name for s in cut_short.steps}
    return next((name for name in order if name not in done), None)
