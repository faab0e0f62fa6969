"""Filling a database at an older revision with today's writer.

Today's ingest writes every column the run tables have at head; a database at an older revision
lacks the columns later revisions add. `current_run_columns` adds them for the fill and drops them
again, so the database is back in the older revision's exact shape before the upgrade under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
