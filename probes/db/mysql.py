"""The MySQL and MariaDB driver of the `mysql` kind, with asyncmy.

The statement timeout is a session variable set right after connecting: MariaDB's
`max_statement_time` (seconds, every statement) or MySQL's `max_execution_time` (milliseconds,
SELECT only), chosen by the server's version string.

asyncmy reports MySQL's error numbers (no SQLSTATE), classified by number:

| category     | reason               | error number                                     |
|--------------|----------------------|--------------------------------------------------|
| auth         | access_denied        | 1044, 1045, 1698; 1251, 2059 (auth plugin)      |
| timeout      | statement_timeout    | 1969 (MariaDB), 3024 (MySQL)                     |
| timeout      | lock_timeout         | 1205                                             |
| client_error | undefined_table      | 1146                                             |
| client_error | permission_denied    | 1142, 1143, 1227, 1370                           |
| client_error | unknown_database     | 1049                                             |
| client_error | sql_error            | other errors in the statement (1xxx)             |
| connection   | refused, unreachable, connect_error | 2003 (by the socket error behind it) |
| connection   | closed_early         | 2006, 2013                                       |
| dns          | dns_failure          | 2005                                             |
| server_error | too_many_connections | 1040, 1203                                       |
| server_error | mysql_<number>       | any other                                        |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from probes.db.session import Rows
from probes.db.spec import Target
from probes.result import Category, Failure

DEFAULT_PORT = 3306
TEMP_TABLE = "CREATE TEMPORARY TABLE seamwatch_round_trip (token VARCHAR(64))"

_ERRORS: dict[int, tuple[Category, str]] = {
    1044: (Category.AUTH, "access_denied"),
    1045: (Category.AUTH, "access_denied"),
    1698: (Category.AUTH, "access_denied"),
    1251: (Category.AUTH, "access_denied"),
    2059: (Category.AUTH, "access_denied"),
    1969: (Category.TIMEOUT, "statement_timeout"),
    3024: (Category.TIMEOUT, "statement_timeout"),
    1205: (Category.TIMEOUT, "lock_timeout"),
    1146: (Category.CLIENT_ERROR, "undefined_table"),
    1142: (Category.CLIENT_ERROR, "permission_denied"),
    1143: (Category.CLIENT_ERROR, "permission_denied"),
    1227: (Category.CLIENT_ERROR, "permission_denied"),
    1370: (Category.CLIENT_ERROR, "permission_denied"),
    1049: (Category.CLIENT_ERROR, "unknown_database"),
    2006: (Category.CONNECTION, "closed_early"),
    2013: (Category.CONNECTION, "closed_early"),
    2005: (Category.DNS, "dns_failure"),
    1040: (Category.SERVER_ERROR, "too_many_connections"),
    1203: (Category.SERVER_ERROR, "too_many_connections"),
}


def classify(exc: BaseException) -> Failure:
    """An asyncmy (or socket) error as a Failure; messages are redacted by the run."""
    from asyncmy import errors

    from probes.classify import classify_exception  # here: it pulls in httpx

    args = exc.args if isinstance(exc, errors.MySQLError) else ()
    if not (args and isinstance(args[0], int)):
        return classify_exception(exc)
    number = args[0]
    message = f"{str(args[1]).strip() if len(args) > 1 else type(exc).__name__} (error {number})"
    if number == 2003:  # can't connect: the socket error says why
        found = classify_exception(exc.__cause__ or exc.__context__ or ConnectionError())
        if found.category is Category.CONNECTION and found.reason != "closed_early":
            return Failure(found.category, found.reason, message)
        refused = "errno 111" in message.lower() or "refused" in message.lower()
        return Failure(Category.CONNECTION, "refused" if refused else "connect_error", message)
    category, reason = _ERRORS.get(number, (None, ""))
    if category is None:
        if isinstance(exc, errors.ProgrammingError | errors.DataError | errors.IntegrityError
                      | errors.NotSupportedError):
            category, reason = Category.CLIENT_ERROR, "sql_error"
        else:
            category, reason = Category.SERVER_ERROR, f"mysql_{number}"
    return Failure(category, reason, message)


class _Connection:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def run(self, sql: str, params: Mapping[str, Any] | None) -> Rows:
        async with self._conn.cursor() as cur:
            await cur.execute(sql, params)
            if cur.description is None:  # a statement without a result (INSERT, CREATE…)
                return Rows(max(cur.rowcount or 0, 0), [], None)
            first = await cur.fetchone()
            count = max(cur.rowcount or 0, 0)
            return Rows(count, [d[0] for d in cur.description], first)

    async def rollback(self) -> None:
        await self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()


class MysqlDriver:
    default_port = DEFAULT_PORT
    temp_table = TEMP_TABLE

    async def connect(self, target: Target, connect_timeout_s: float,
                      statement_timeout_s: float) -> _Connection:
        import asyncmy

        conn = await asyncmy.connect(
            host=target.host or "localhost", port=target.port or DEFAULT_PORT,
            user=target.user, password=target.password or "", db=target.database,
            connect_timeout=connect_timeout_s, autocommit=False,
        )
        try:
            async with conn.cursor() as cur:
                if "mariadb" in str(conn.get_server_info()).lower():
                    await cur.execute("SET SESSION max_statement_time = %s",
                                      (round(statement_timeout_s, 3),))
                else:
                    await cur.execute("SET SESSION max_execution_time = %s",
                                      (max(1, round(statement_timeout_s * 1000)),))
        except BaseException:
            conn.close()
            raise
        return _Connection(conn)

    def classify(self, exc: BaseException) -> Failure:
        return classify(exc)
