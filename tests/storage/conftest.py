from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.database import Store, open_store


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'db' / 'seamwatch.db'}")
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same test on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'seamwatch.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = open_store(url)
    yield store
    store.close()
