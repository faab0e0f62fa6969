"""Small integer codes for enums stored in the database, and time/latency conversions.

Codes are part of the on-disk format: append new values, never renumber.
"""

from __future__ import annotations

from datetime import UTC, datetime

from probes.result import Category, RunStatus, StepStatus

RUN_STATUS_CODE: dict[RunStatus, int] = {
    RunStatus.OK: 0,
    RunStatus.DEGRADED: 1,
    RunStatus.FAILED: 2,
}
RUN_STATUS: dict[int, RunStatus] = {v: k for k, v in RUN_STATUS_CODE.items()}
FAILED = RUN_STATUS_CODE[RunStatus.FAILED]  # status < FAILED counts as "up"

STEP_STATUS_CODE: dict[StepStatus, int] = {
    StepStatus.OK: 0,
    StepStatus.FAILED: 1,
    StepStatus.SKIPPED: 2,
}
STEP_STATUS: dict[int, StepStatus] = {v: k for k, v in STEP_STATUS_CODE.items()}

CATEGORY_CODE: dict[Category, int] = {
    Category.TIMEOUT: 1,
    Category.DNS: 2,
    Category.CONNECTION: 3,
    Category.TLS: 4,
    Category.AUTH: 5,
    Category.RATE_LIMITED: 6,
    Category.SERVER_ERROR: 7,
    Category.CLIENT_ERROR: 8,
    Category.SCHEMA: 9,
    Category.ASSERTION: 10,
    Category.SLOW: 11,
    Category.CONFIG: 12,
    Category.INTERNAL: 13,
}
CATEGORY: dict[int, Category] = {v: k for k, v in CATEGORY_CODE.items()}

_MAX_INT32 = 2**31 - 1


def to_ms(when: datetime) -> int:
    """Aware datetime -> epoch milliseconds (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def now_ms() -> int:
    return to_ms(datetime.now(UTC))


def to_us(ms: float | None) -> int | None:
    """Milliseconds (float) -> integer microseconds, clamped to a 32-bit column."""
    if ms is None:
        return None
    return max(0, min(_MAX_INT32, round(ms * 1000)))


def from_us(us: int | float | None) -> float | None:
    return None if us is None else us / 1000.0


def category_name(code: int | None) -> Category | None:
    return None if code is None else CATEGORY.get(code)
