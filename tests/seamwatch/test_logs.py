"""Rate-limited log lines (seamwatch/logs.py): one line per key per interval, the next one saying
how many were suppressed."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from seamwatch.logs import RATE_LIMIT_KEY, RateLimiter, RateLimitFilter


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, Collect, Clock]]:
    clock = Clock()
    logger = logging.getLogger("seamwatch.tests.ratelimit")
    handler = Collect()
    limit = RateLimitFilter(RateLimiter(60.0, clock=clock, max_keys=4))
    logger.addHandler(handler)
    logger.addFilter(limit)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, handler, clock
    logger.removeHandler(handler)
    logger.removeFilter(limit)
    logger.propagate = True


def test_repeats_collapse_to_one_line_per_interval(
        logged: tuple[logging.Logger, Collect, Clock]) -> None:
    logger, handler, clock = logged
    for attempt in range(1000):
        logger.error("socket.accept() out of system resource\nattempt %d", attempt)
    assert handler.lines == ["socket.accept() out of system resource\nattempt 0"]
    clock.t += 59.9
    logger.error("socket.accept() out of system resource\nattempt %d", 1000)
    assert len(handler.lines) == 1
    clock.t += 0.1
    logger.error("socket.accept() out of system resource\nattempt %d", 1001)
    assert handler.lines[1] == ("socket.accept() out of system resource\nattempt 1001 "
                                "(1000 similar lines suppressed; at most one every 1m)")
    clock.t += 60
    logger.error("socket.accept() out of system resource\nattempt %d", 1002)
    assert handler.lines[2].endswith("attempt 1002")  # nothing suppressed in between


def test_keys_are_separate(logged: tuple[logging.Logger, Collect, Clock]) -> None:
    logger, handler, _ = logged
    for _ in range(10):
        logger.warning("heartbeat %s rejected", "a/x", extra={RATE_LIMIT_KEY: "a/x"})
        logger.warning("heartbeat %s rejected", "b/y", extra={RATE_LIMIT_KEY: "b/y"})
        logger.warning("something else")
        logger.warning("something else", exc_info=ValueError("distinct by exception type"))
    assert handler.lines == ["heartbeat a/x rejected", "heartbeat b/y rejected",
                             "something else", "something else"]


def test_distinct_keys_are_bounded(logged: tuple[logging.Logger, Collect, Clock]) -> None:
    logger, handler, clock = logged
    for name in range(100):  # more keys than the limiter holds (4): the rest share one
        logger.warning("line %d", name, extra={RATE_LIMIT_KEY: name})
    assert handler.lines == ["line 0", "line 1", "line 2", "line 3", "line 4"]
    clock.t += 60  # expired keys are forgotten, so new ones get their own again
    logger.warning("line %d", 100, extra={RATE_LIMIT_KEY: 100})
    logger.warning("line %d", 101, extra={RATE_LIMIT_KEY: 101})
    assert handler.lines[5:] == ["line 100", "line 101"]
