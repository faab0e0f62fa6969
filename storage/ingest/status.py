"""What the result writer (storage/ingest/writer.py) reports about itself: running counts, how far
behind it is (for `/healthz`), what a stop left unwritten, and how a database error reads in
its log lines."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(slots=True)
class WriterStats:
    written: int = 0
    batches: int = 0
    retries: int = 0
    spilled: int = 0  # runs ever moved to the spill file (overflow and at a bounded close)
    last_error: str | None = None
    last_error_at: float | None = None  # wall-clock time of the last failed attempt


@dataclass(frozen=True, slots=True)
class WriterHealth:
    """How far behind the writer is (for `/healthz`)."""

    buffered: int  # unwritten runs in memory
    spilled: int  # unwritten runs in the spill file, not yet read back
    oldest_unwritten_s: float | None  # age of the oldest unwritten run, since it was submitted
    failing_for_s: float | None  # since the first failed attempt with no commit after it
    last_error: str | None


@dataclass(frozen=True, slots=True)
class CloseReport:
    """What `close()` left behind: `left` unwritten runs, in `spill_path` when there is one."""

    written: int
    left: int
    spill_path: str | None


def is_locked_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return ("database is locked" in text or "database table is locked" in text or "busy" in text
            or "lock timeout" in text)


def describe_error(exc: BaseException) -> str:
    """One short line: the driver's error without SQLAlchemy's statement and parameters."""
    inner = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    text = (str(inner).strip().splitlines() or [""])[0]
    return f"{type(inner).__name__}: {text}"[:300]
