"""The checks on a query's result (`expect:` of a database probe), with the matchers of the
`http` kind (probes/http/expectations.py): a value a driver returns is first made JSON-like
(`plain`), so `equals: 1` holds for an integer, a NUMERIC 1 and a DECIMAL 1 alike.

Categories as for an HTTP body: too few or too many rows and a wrong value are `assertion`
(rows_mismatch, value_mismatch, …); a column that is not in the result is `schema`
(missing_field)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from probes.db.spec import RowsExpect
from probes.http.expectations import check_value
from probes.http.templating import Scope
from probes.result import Category, Failure


def plain(value: Any) -> Any:
    """A driver's value as JSON would hold it: Decimal -> int or float, dates and times ->
    ISO 8601 text, UUID -> text, bytes -> text when UTF-8 (else hex)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def check_rows(expect: RowsExpect, count: int, columns: Sequence[str],
               first: Sequence[Any] | None) -> Failure | None:
    """`count` rows came back; `first` is the first row (None when there is none)."""
    low, high = expect.rows_min, expect.rows_max
    if (low is not None and count < low) or (high is not None and count > high):
        wanted = (f"at least {low}" if high is None else f"at most {high}" if low is None
                  else f"{low} to {high}")
        return Failure(Category.ASSERTION, "rows_mismatch",
                       f"expected {wanted} rows, got {count}")
    if expect.value is None and not expect.columns:
        return None
    if first is None:
        return Failure(Category.ASSERTION, "rows_mismatch",
                       "expected a row to check values on, the query returned none")
    scope = Scope()
    if expect.value is not None:
        if not first:
            return Failure(Category.SCHEMA, "missing_field", "the query returned no columns")
        failure = check_value("value", expect.value, plain(first[0]), scope)
        if failure is not None:
            return failure
    for name, matcher in expect.columns.items():
        if name not in columns:
            if matcher.exists is False:
                continue
            shown = ", ".join(columns) or "none"
            return Failure(Category.SCHEMA, "missing_field",
                           f"column {name}: not in the result (columns: {shown})")
        failure = check_value(f"column {name}", matcher, plain(first[columns.index(name)]), scope)
        if failure is not None:
            return failure
    return None
