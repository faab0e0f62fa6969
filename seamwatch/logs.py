"""Process logging: one line per event on stderr, every message passed through the redactor, and
lines that can repeat without bound (the listener's rejections, asyncio's accept errors, uvicorn's
warnings) rate-limited: at most one line per key per interval, the next one saying how many were
suppressed."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Hashable

from core.redact import Redactor
from core.types import format_duration

# `log.warning(..., extra={RATE_LIMIT_KEY: key})` rate-limits a line per `key` (for example per
# probe) instead of per message template.
RATE_LIMIT_KEY = "ratelimit_key"
RATE_LIMIT_INTERVAL_S = 60.0
# The loggers whose lines a client or a resource shortage can repeat at will.
RATE_LIMITED_LOGGERS = ("asyncio", "uvicorn.error", "seamwatch.listener")
_MAX_KEYS = 1024
_OVERFLOW = ("rate-limited lines", "too many distinct keys")


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redactor.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks can quote secrets (URLs, reprs); keep only the redacted one-liner.
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} [{type(exc).__name__}: " \
                         f"{self.redactor.redact(str(exc))}]"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


class RateLimiter:
    """At most one event per key per `interval_s`, counting the ones suppressed in between.
    Holds at most `max_keys` keys (keys beyond share one). Thread-safe."""

    def __init__(self, interval_s: float = RATE_LIMIT_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = _MAX_KEYS) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._windows: dict[Hashable, list[float | int]] = {}  # key: [window start, suppressed]

    def admit(self, key: Hashable) -> int | None:
        """None when an event for `key` must be suppressed; else the number of events for `key`
        suppressed since the previous admitted one."""
        now = self._clock()
        with self._lock:
            if key not in self._windows and len(self._windows) >= self._max_keys:
                self._forget_expired(now)
                if len(self._windows) >= self._max_keys:
                    key = _OVERFLOW
            window = self._windows.get(key)
            if window is not None and now - window[0] < self.interval_s:
                window[1] += 1
                return None
            self._windows[key] = [now, 0]
            return 0 if window is None else int(window[1])

    def _forget_expired(self, now: float) -> None:
        expired = [key for key, (start, _) in self._windows.items()
                   if now - start >= self.interval_s]
        for key in expired:
            del self._windows[key]


def _default_key(record: logging.LogRecord) -> Hashable:
    """A message template (or the first line of a preformatted message) and, with a traceback,
    the exception's type."""
    first_line = str(record.msg).split("\n", 1)[0][:200]
    exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
    return record.name, record.levelno, first_line, exc_type


class RateLimitFilter(logging.Filter):
    """A logger filter: one line per key per interval (the key is the record's
    `RATE_LIMIT_KEY` attribute, else its template); the next admitted line says how many were
    suppressed."""

    def __init__(self, limiter: RateLimiter) -> None:
        super().__init__()
        self.limiter = limiter

    def filter(self, record: logging.LogRecord) -> bool:
        given = getattr(record, RATE_LIMIT_KEY, None)
        key = (record.name, given) if given is not None else _default_key(record)
        suppressed = self.limiter.admit(key)
        if suppressed is None:
            return False
        if suppressed:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # arguments that do not fit the template
                message = str(record.msg)
            record.msg = (f"{message} ({suppressed} similar lines suppressed; at most one "
                          f"every {format_duration(self.limiter.interval_s)})")
            record.args = None
        return True


def rate_limit(logger_names: tuple[str, ...] = RATE_LIMITED_LOGGERS,
               limiter: RateLimiter | None = None) -> RateLimiter:
    """Rate-limit the lines of these loggers (replacing an earlier rate limit on them)."""
    limiter = limiter or RateLimiter()
    for name in logger_names:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RateLimitFilter)]:
            logger.removeFilter(old)
        logger.addFilter(RateLimitFilter(limiter))
    return limiter


def setup_logging(redactor: Redactor, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "uvicorn", "alembic", "mail.log",
                  "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    rate_limit()
