"""A real SQLite outage for tests: another connection holding the database's write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def hold_write_lock(db: Path) -> sqlite3.Connection:
    """Another connection holding SQLite's write lock (as a stuck writer or a backup would);
    close it (or roll back) to release the lock."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder
