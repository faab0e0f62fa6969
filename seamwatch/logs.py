"""Process logging: one line per event on stderr, every message passed through the redactor."""

from __future__ import annotations

import logging
import sys

from core.redact import Redactor


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


def setup_logging(redactor: Redactor, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "uvicorn", "alembic", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
