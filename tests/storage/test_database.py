from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.database import Store, head_revision, migrate_to_head, open_store, redact_url
from storage.schema import ALERT_TABLES, metadata

TABLES = frozenset(metadata.tables)  # every table: runs, rollups and alerts alike


def _diffs(store: Store) -> list[object]:
    """Autogenerate differences between the database and `storage.schema` (every table)."""
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def _schema(store: Store) -> dict[str, list[str]]:
    insp = sa.inspect(store.engine)
    return {t: sorted(c["name"] for c in insp.get_columns(t)) for t in insp.get_table_names()}


def test_fresh_database_migrates_to_head_matching_models(any_store: Store) -> None:
    with any_store.engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == head_revision(any_store)
    assert set(sa.inspect(any_store.engine).get_table_names()) >= TABLES
    assert _diffs(any_store) == []
    before = _schema(any_store)
    migrate_to_head(any_store)  # re-running is a no-op
    assert _schema(any_store) == before
    assert _diffs(any_store) == []


def test_sqlite_pragmas_and_parent_folder(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert store.dialect == "sqlite"
    store.close()


def test_concurrent_opens_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def opener() -> None:
        try:
            barrier.wait()
            open_store(url).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = open_store(url, migrate=False)
    assert _diffs(store) == []
    store.close()


def test_redact_url() -> None:
    assert redact_url("postgresql+psycopg://u:s3cret@h/db") == "postgresql+psycopg://u:***@h/db"
    assert redact_url("sqlite:///x.db") == "sqlite:///x.db"


def test_migration_matches_the_alert_table_definitions(sqlite_store: Store) -> None:
    inspector = sa.inspect(sqlite_store.engine)
    for table in ALERT_TABLES:
        assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.c.keys())
