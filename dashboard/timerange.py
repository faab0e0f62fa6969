"""The shared time range: presets, custom ranges, bucket sizes and the `range` query parameter.

A range is half-open [start_ms, end_ms) in UTC epoch milliseconds. Bucket sizes come from a
ladder of round durations: the smallest that keeps a series at or under `MAX_POINTS` points.
Preset ranges end "now", rounded up to `NOW_GRANULARITY_MS` so that reruns within a few seconds
share cached query results; the start is aligned down to the bucket, so buckets are stable.

`range` query parameter: a preset (`1h`, `6h`, `24h`, `7d`, `30d`) or a custom range as two ISO
8601 instants separated by `..` (`2025-03-01T00:00Z..2025-03-02T12:00Z`; naive means UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

PRESETS: dict[str, int] = {
    "1h": HOUR_MS, "6h": 6 * HOUR_MS, "24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS,
}
DEFAULT_PRESET = "24h"
CUSTOM = "custom"
MAX_POINTS = 300
NOW_GRANULARITY_MS = 5 * SECOND_MS
BUCKET_LADDER_MS: tuple[int, ...] = (
    10 * SECOND_MS, 15 * SECOND_MS, 30 * SECOND_MS, MINUTE_MS, 2 * MINUTE_MS, 5 * MINUTE_MS,
    10 * MINUTE_MS, 15 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS,
    6 * HOUR_MS, 12 * HOUR_MS, DAY_MS, 7 * DAY_MS,
)


def choose_bucket_ms(span_ms: int, max_points: int = MAX_POINTS) -> int:
    """The smallest ladder step giving at most `max_points` buckets over `span_ms`."""
    for step in BUCKET_LADDER_MS:
        if span_ms / step <= max_points:
            return step
    return BUCKET_LADDER_MS[-1]


def format_bucket(bucket_ms: int) -> str:
    for unit, size in (("d", DAY_MS), ("h", HOUR_MS), ("min", MINUTE_MS), ("s", SECOND_MS)):
        if bucket_ms >= size and bucket_ms % size == 0:
            return f"{bucket_ms // size} {unit}"
    return f"{bucket_ms} ms"


@dataclass(frozen=True, slots=True)
class TimeRange:
    start_ms: int
    end_ms: int
    bucket_ms: int
    preset: str  # one of PRESETS or CUSTOM

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def points(self) -> int:
        return -(-self.span_ms // self.bucket_ms)

    def to_param(self) -> str:
        if self.preset != CUSTOM:
            return self.preset
        return f"{_iso(self.start_ms)}..{_iso(self.end_ms)}"

    def label(self) -> str:
        if self.preset != CUSTOM:
            return f"last {self.preset}"
        return f"{_iso(self.start_ms)} – {_iso(self.end_ms)}"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")


def preset_range(preset: str, now_ms: int) -> TimeRange:
    span = PRESETS[preset]
    end = -(-now_ms // NOW_GRANULARITY_MS) * NOW_GRANULARITY_MS
    bucket = choose_bucket_ms(span)
    start = (end - span) // bucket * bucket
    return TimeRange(start, end, bucket, preset)


def custom_range(start_ms: int, end_ms: int) -> TimeRange:
    if end_ms <= start_ms:
        raise ValueError("the end of the range must be after its start")
    bucket = choose_bucket_ms(end_ms - start_ms)
    return TimeRange(start_ms // bucket * bucket, end_ms, bucket, CUSTOM)


def parse_instant(text: str) -> int:
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def parse_range(param: str | None, now_ms: int) -> TimeRange:
    """The range a `range` query parameter names; the default preset when absent or invalid."""
    text = (param or "").strip()
    if text in PRESETS:
        return preset_range(text, now_ms)
    if ".." in text:
        first, _, second = text.partition("..")
        try:
            return custom_range(parse_instant(first), parse_instant(second))
        except ValueError:
            pass
    return preset_range(DEFAULT_PRESET, now_ms)
