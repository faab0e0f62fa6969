"""Filling a database at an older revision with today's writer, and comparing its rows after an
upgrade.

Today's ingest writes every column the run tables have at head; a database at an older revision
lacks the columns later revisions add. `current_run_columns` adds them for the fill and drops them
again, so the database is back in the older revision's exact shape before the upgrade under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from storage.database import Store
from storage.schema.runs import run_steps_t, runs_t


@contextmanager
def current_run_columns(store: Store) -> Iterator[None]:
    inspector = sa.inspect(store.engine)
    missing = [
        (table.name, column)
        for table in (runs_t, run_steps_t)
        for column in table.columns
        if column.name not in {c["name"] for c in inspector.get_columns(table.name)}
    ]
    dialect = store.engine.dialect
    with store.write() as conn:
        for table, column in missing:
            kind = column.type.compile(dialect=dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column.name} {kind}")
    try:
        yield
    finally:
        with store.write() as conn:
            for table, column in missing:
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column.name}")


Dump = dict[str, list[dict[str, Any]]]


def dump_rows(store: Store, tables: dict[str, str], like: Dump | None = None) -> Dump:
    """Every row of `tables` (name -> ORDER BY); with `like`, only the columns `like`'s rows
    have (later revisions add columns: the rows an upgrade keeps are compared on the old ones)."""
    with store.engine.connect() as conn:
        dumped = {t: [dict(r) for r in conn.execute(
            sa.text(f"SELECT * FROM {t} ORDER BY {k}")).mappings()]
            for t, k in tables.items()}
    if like is not None:
        for table, rows in dumped.items():
            columns = set(like[table][0]) if like[table] else set()
            dumped[table] = [{c: v for c, v in row.items() if c in columns} for row in rows]
    return dumped
