"""The read-model tests' migrated SQLite database (`store`)."""

from __future__ import annotations

import pytest

from storage.database import Store


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store
