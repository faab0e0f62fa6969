"""The PostgreSQL driver of the `postgres` kind, with psycopg 3 (async).

The statement timeout is the session's `statement_timeout`, set right after connecting (not as a
startup option: poolers such as PgBouncer refuse unknown startup parameters).

Errors of a query carry a SQLSTATE; errors while connecting do not (libpq reports them as text),
so those are matched by their message:

| category     | reason               | SQLSTATE, or libpq message                                 |
|--------------|----------------------|------------------------------------------------------------|
| auth         | invalid_password     | 28P01; "password authentication failed"                    |
| auth         | no_password          | "no password supplied"                                     |
| auth         | access_denied        | 28000; unknown role, no pg_hba.conf entry, NOLOGIN role    |
| timeout      | statement_timeout    | 57014                                                      |
| timeout      | lock_timeout         | 55P03                                                      |
| timeout      | connect_timeout      | "timeout expired"                                          |
| client_error | undefined_table      | 42P01                                                      |
| client_error | permission_denied    | 42501                                                      |
| client_error | unknown_database     | 3D000; "database … does not exist"                         |
| client_error | sql_error            | classes 0A, 21-2F, 34, 3D, 3F, 42, 44 otherwise            |
| connection   | refused, …           | class 08, 57P01-02; refused, unreachable, closed early     |
| dns          | dns_failure          | "could not translate host name"                            |
| tls          | tls_handshake        | an SSL error while connecting                              |
| server_error | too_many_connections | 53300; "too many clients", "remaining connection slots"    |
| server_error | server_unavailable   | 57P03 (starting up, shutting down)                         |
| server_error | sqlstate_<code>      | any other SQLSTATE                                         |
| config       | invalid_dsn          | libpq refuses the connection parameters                    |
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import psycopg

from probes.db.session import Rows
from probes.db.spec import Target
from probes.result import Category, Failure

DEFAULT_PORT = 5432
TEMP_TABLE = "CREATE TEMPORARY TABLE seamwatch_round_trip (token text) ON COMMIT DROP"

_SQLSTATES: dict[str, tuple[Category, str]] = {
    "28P01": (Category.AUTH, "invalid_password"),
    "28000": (Category.AUTH, "access_denied"),
    "57014": (Category.TIMEOUT, "statement_timeout"),
    "55P03": (Category.TIMEOUT, "lock_timeout"),
    "42P01": (Category.CLIENT_ERROR, "undefined_table"),
    "42501": (Category.CLIENT_ERROR, "permission_denied"),
    "3D000": (Category.CLIENT_ERROR, "unknown_database"),
    "53300": (Category.SERVER_ERROR, "too_many_connections"),
    "57P01": (Category.CONNECTION, "closed_early"),
    "57P02": (Category.CONNECTION, "closed_early"),
    "57P03": (Category.SERVER_ERROR, "server_unavailable"),
}
_CLIENT_CLASSES = frozenset({"0A", "21", "22", "23", "25", "26", "27", "2B", "2D", "2F", "34",
                             "3D", "3F", "42", "44"})

# libpq's connection failures, matched in order on the lower-cased message.
_CONNECT_MESSAGES: tuple[tuple[tuple[str, ...], Category, str], ...] = (
    (("password authentication failed",), Category.AUTH, "invalid_password"),
    (("no password supplied", "fe_sendauth"), Category.AUTH, "no_password"),
    (("pg_hba.conf", "is not permitted to log in"), Category.AUTH, "access_denied"),
    (("role \"",), Category.AUTH, "access_denied"),  # role "x" does not exist
    (("database \"",), Category.CLIENT_ERROR, "unknown_database"),
    (("too many clients", "remaining connection slots"), Category.SERVER_ERROR,
     "too_many_connections"),
    (("starting up", "shutting down", "in recovery mode"), Category.SERVER_ERROR,
     "server_unavailable"),
    (("connection refused",), Category.CONNECTION, "refused"),
    (("timeout expired",), Category.TIMEOUT, "connect_timeout"),
    (("could not translate host name",), Category.DNS, "dns_failure"),
    (("no route to host", "network is unreachable"), Category.CONNECTION, "unreachable"),
    (("server closed the connection", "terminated abnormally", "connection reset"),
     Category.CONNECTION, "closed_early"),
    (("ssl", "certificate"), Category.TLS, "tls_handshake"),
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def classify(exc: BaseException) -> Failure:
    """A psycopg (or socket) error as a Failure; messages are redacted by the run."""
    sqlstate = getattr(exc, "sqlstate", None)
    message = _first_line(exc)
    if isinstance(sqlstate, str) and sqlstate:
        category, reason = _SQLSTATES.get(sqlstate, (None, ""))
        if category is None:
            category = (Category.CLIENT_ERROR if sqlstate[:2] in _CLIENT_CLASSES
                        else Category.CONNECTION if sqlstate.startswith("08")
                        else Category.SERVER_ERROR)
            reason = ("sql_error" if category is Category.CLIENT_ERROR
                      else "connect_error" if category is Category.CONNECTION
                      else f"sqlstate_{sqlstate.lower()}")
        return Failure(category, reason, f"{message} (SQLSTATE {sqlstate})")
    if isinstance(exc, psycopg.Error):
        text = message.lower()
        if text.startswith("connection is bad") or "invalid dsn" in text \
                or "invalid connection option" in text:
            return Failure(Category.CONFIG, "invalid_dsn", message)
        for needles, category, reason in _CONNECT_MESSAGES:
            if any(needle in text for needle in needles):
                return Failure(category, reason, message)
        if isinstance(exc, psycopg.OperationalError):
            return Failure(Category.CONNECTION, "connect_error", message)
        return Failure(Category.SERVER_ERROR, "database_error", message)
    from probes.classify import classify_exception  # here: it pulls in httpx

    return classify_exception(exc)


class _Connection:
    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def run(self, sql: str, params: Mapping[str, Any] | None) -> Rows:
        async with self._conn.cursor() as cur:
            await cur.execute(sql, params)  # type: ignore[arg-type]  # the user's own SQL
            if cur.description is None:  # a statement without a result (INSERT, CREATE…)
                return Rows(max(cur.rowcount, 0), [], None)
            first = await cur.fetchone()
            return Rows(max(cur.rowcount, 0), [d.name for d in cur.description], first)

    async def rollback(self) -> None:
        await self._conn.rollback()

    async def close(self) -> None:
        await self._conn.close()


class PostgresDriver:
    default_port = DEFAULT_PORT
    temp_table = TEMP_TABLE

    async def connect(self, target: Target, connect_timeout_s: float,
                      statement_timeout_s: float) -> _Connection:
        params: dict[str, Any] = {**target.query, "application_name": "seamwatch"}
        for key, value in (("host", target.host), ("port", target.port), ("user", target.user),
                           ("password", target.password), ("dbname", target.database)):
            if value is not None:
                params[key] = value
        # libpq's own bound (whole seconds, at least 2); the caller's asyncio bound is exact.
        params["connect_timeout"] = max(2, math.ceil(connect_timeout_s))
        conn = await psycopg.AsyncConnection.connect(**params)
        try:
            await conn.execute("SELECT set_config('statement_timeout', %s, false)",
                               [str(max(1, round(statement_timeout_s * 1000)))])
        except BaseException:
            await conn.close()
            raise
        return _Connection(conn)

    def classify(self, exc: BaseException) -> Failure:
        return classify(exc)
