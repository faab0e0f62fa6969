"""The one `MetaData` every seamwatch table is defined on (`storage.schema.runs`,
`storage.schema.alerts`), and the column conventions they share.

Conventions (docs/architecture.md, "Tables"): tables are SQLModel classes; the code reads and
writes them through their Core `Table` handles (`*_t`). Times are integer epoch milliseconds in UTC
(`*_ms`, BigInteger), latencies integer microseconds (`*_us`), statuses and categories small
integer codes (`storage.codes`). Alembic (`storage/migrations`) creates and alters the tables,
never `create_all`.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table
from sqlmodel import SQLModel

metadata: MetaData = SQLModel.metadata


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class (what queries and inserts use)."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]
