"""The database: `Store` (an opened SQLAlchemy engine and its write transactions), `open_store`
(SQLite pragmas or PostgreSQL) and the Alembic migrations to head under a lock."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from core.errors import SeamwatchError
from storage.filelock import try_lock

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Execution option: `conn.execution_options(sqlite_begin="IMMEDIATE")` makes the next transaction
# on that connection take SQLite's write lock up front (ignored on PostgreSQL).
SQLITE_BEGIN = "sqlite_begin"
_PG_MIGRATION_LOCK = 0x5EA3_0001
# Each batch dirties about one `runs` leaf page per probe; checkpointing every ~40 MB of WAL (not
# every 4 MB) writes each hot page back once per many batches instead of once per batch.
WAL_AUTOCHECKPOINT_PAGES = 10000


class DatabaseInUse(SeamwatchError):
    """A second `serve` on one SQLite file (several runners need PostgreSQL)."""


class Store:
    """An opened database: the SQLAlchemy engine plus what callers need to know about it."""

    def __init__(self, engine: sa.Engine, url: str, lock_timeout_ms: int = 5000) -> None:
        self.engine = engine
        self.url = url
        self.dialect: str = engine.dialect.name
        self.lock_timeout_ms = lock_timeout_ms
        self._runner_lock: IO[bytes] | None = None

    def hold_as_only_runner(self) -> None:
        """SQLite: hold a lock beside the file until `close`, so a second `serve` on the same
        file is refused (DatabaseInUse) instead of sharing it unsafely. PostgreSQL: nothing
        (runners coordinate in the database, docs/runners.md)."""
        database = self.engine.url.database or ""
        if not self.is_sqlite or not database or database == ":memory:" or self._runner_lock:
            return
        path = Path(database).expanduser()
        lock = try_lock(path.with_name(path.name + ".serve-lock"))
        if lock is None:
            raise DatabaseInUse(
                f"{path} is in use by another `seamwatch serve`; one SQLite file takes one "
                "runner (stop the other, or use PostgreSQL to run several: see README, "
                "\"Running several runners\")")
        self._runner_lock = lock

    @property
    def sole_runner(self) -> bool:
        """This process holds the SQLite file as its only runner: no other process writes the
        alert tables, so what it wrote is what is there."""
        return self._runner_lock is not None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction (SQLite: BEGIN IMMEDIATE, so a locked database fails at the start
        and after busy_timeout, never half-way through; PostgreSQL: a statement waiting for a
        lock longer than the same timeout fails, so a locked table cannot hang a writer)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with conn.begin():
                if not self.is_sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(self.lock_timeout_ms)}")
                yield conn

    def close(self) -> None:
        self.engine.dispose()
        if self._runner_lock is not None:
            self._runner_lock.close()  # closing the file releases the lock
            self._runner_lock = None

    def __repr__(self) -> str:
        return f"Store({redact_url(self.url)!r})"


def redact_url(url: str) -> str:
    """The URL with its password replaced by `***` (for logs and the dashboard)."""
    try:
        parsed = make_url(url)
    except Exception:
        return url
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)  # password -> ***


def _sqlite_engine(url: sa.URL, busy_timeout_ms: int) -> sa.Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.execute("PRAGMA journal_size_limit=67108864")
        cur.execute("PRAGMA cache_size=-16384")  # 16 MiB: the hot tail pages of every probe
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def open_store(
    url: str,
    *,
    migrate: bool = True,
    busy_timeout_ms: int = 5000,
    pool_size: int = 5,
) -> Store:
    """Open (and by default migrate to head) the database at `url`. `busy_timeout_ms` bounds how
    long a write waits for a lock (SQLite's busy_timeout, PostgreSQL's lock_timeout in
    `Store.write`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, busy_timeout_ms)
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(parsed, pool_size=pool_size, pool_pre_ping=True)
    else:
        raise ValueError(f"unsupported storage url {redact_url(url)!r} (sqlite or postgresql)")
    store = Store(engine, url, busy_timeout_ms)
    if migrate:
        try:
            migrate_to_head(store)
        except Exception:
            engine.dispose()
            raise
    return store


def alembic_config(store: Store) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    cfg.set_main_option("path_separator", "os")
    return cfg


@contextlib.contextmanager
def _sqlite_file_lock(store: Store) -> Iterator[None]:
    """An advisory lock beside the SQLite file, taken BEFORE the first connection: a brand-new
    file's switch to WAL needs an exclusive lock that SQLite's busy handler does not wait for."""
    database = store.engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock_path = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _pg_advisory_lock(conn: sa.Connection) -> Iterator[None]:
    conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
        conn.commit()


def head_revision(store: Store) -> str | None:
    return ScriptDirectory.from_config(alembic_config(store)).get_current_head()


def migrate_to_head(store: Store) -> None:
    """Run Alembic upgrades to head; concurrent callers (serve + dashboard) serialise on a lock."""
    upgrade_to(store, "head")


def upgrade_to(store: Store, revision: str) -> None:
    """Upgrade to `revision` (under the migration lock)."""
    _migrate(store, lambda cfg: command.upgrade(cfg, revision))


def downgrade_to(store: Store, revision: str) -> None:
    """Downgrade to `revision` (under the migration lock)."""
    _migrate(store, lambda cfg: command.downgrade(cfg, revision))


def _migrate(store: Store, step: Callable[[Config], None]) -> None:
    cfg = alembic_config(store)

    def run(conn: sa.Connection) -> None:
        cfg.attributes["connection"] = conn
        step(cfg)
        conn.commit()

    if store.is_sqlite:
        with _sqlite_file_lock(store), store.engine.connect() as conn, _sqlite_fk_off(conn):
            run(conn)
    else:
        with store.engine.connect() as conn, _pg_advisory_lock(conn):
            run(conn)


@contextlib.contextmanager
def _sqlite_fk_off(conn: sa.Connection) -> Iterator[None]:
    """Foreign keys off while migrating (set before the transaction, where SQLite honours it):
    batch mode recreates a table by copy, drop and rename, and dropping a table that other rows
    reference would fail with the checks on. The migration keeps the references intact."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        conn.rollback()  # nothing after a commit; after a failure, before the pragma can apply
        raw.execute("PRAGMA foreign_keys=ON")
