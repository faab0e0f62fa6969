"""Alembic environment, driven programmatically by `storage.engine.migrate_to_head` (the caller
passes an open connection in `config.attributes["connection"]`; no alembic.ini is needed)."""

from __future__ import annotations

import contextlib
import importlib

import sqlalchemy as sa
from alembic import context

import storage.models  # noqa: F401  (registers the tables on the metadata)
from storage.models import TABLE_MODULES, metadata

config = context.config
for _module in TABLE_MODULES:  # other parts' tables live on the same metadata
    with contextlib.suppress(ImportError):
        importlib.import_module(_module)


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("storage migrations need a connection or sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
