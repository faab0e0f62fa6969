"""Redaction: every secret value known to the process is replaced before text leaves a probe.

Secrets come from the config (auth credentials, credential-like headers, passwords) and from run
time (access tokens, rotated refresh tokens). A server that echoes a secret back in a body or an
error message must not get it into the database, logs, emails or reports.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# Header names whose values are credentials whatever their source.
_SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|.*-key|.*-token|.*-secret|x-api-key)$",
    re.IGNORECASE,
)
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words


def is_secret_header(name: str) -> bool:
    return bool(_SECRET_HEADER.match(name))


class Redactor:
    """Replaces every known secret (and its URL-encoded and base64 forms) with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < _MIN_SECRET_LEN:
            return
        forms = {secret, quote(secret, safe=""), quote_plus(secret)}
        forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
        with self._lock:
            if forms <= self._secrets:
                return
            self._secrets |= {f for f in forms if len(f) >= _MIN_SECRET_LEN}
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def __contains__(self, value: str) -> bool:
        return value in self._secrets

    def redact(self, text: str | None) -> str | None:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def redact_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {
            k: MASK if is_secret_header(k) else (self.redact(v) or "") for k, v in headers.items()
        }
