"""Redaction: every secret value known to the process is replaced before text leaves a probe.

Secrets come from the config (auth credentials, credential-like headers, passwords) and from run
time (access tokens, rotated refresh tokens). A server that echoes a secret back in a body or an
error message must not get it into the database, logs, emails or reports.
"""

from __future__ import annotations

import base64
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# Header names whose values are credentials whatever their source.
_SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|.*-key|.*-token|.*-secret|x-api-key)$",
    re.IGNORECASE,
)
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words
# Run-time secrets (access tokens, rotated refresh tokens) arrive every auth interval for as long
# as the process lives; only the newest are kept so memory and the pattern stay bounded. A token
# that old has long expired.
MAX_TRANSIENT = 512


def is_secret_header(name: str) -> bool:
    return bool(_SECRET_HEADER.match(name))


class Redactor:
    """Replaces every known secret (and its URL-encoded and base64 forms) with `***`.

    `add()` is for secrets from the config (kept for the life of the process); `add_transient()`
    for credentials obtained at run time (the newest MAX_TRANSIENT are kept)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._static: set[str] = set()
        self._transient: OrderedDict[str, None] = OrderedDict()
        self._pattern: re.Pattern[str] | None = None
        self._dirty = False
        for secret in secrets:
            self.add(secret)

    @staticmethod
    def _forms(secret: str) -> set[str]:
        forms = {secret, quote(secret, safe=""), quote_plus(secret)}
        forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
        return {f for f in forms if len(f) >= _MIN_SECRET_LEN}

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < _MIN_SECRET_LEN:
            return
        forms = self._forms(secret)
        with self._lock:
            if not forms <= self._static:
                self._static |= forms
                self._dirty = True

    def add_transient(self, secret: str | None) -> None:
        if not secret or len(secret) < _MIN_SECRET_LEN:
            return
        with self._lock:
            if secret in self._transient:
                self._transient.move_to_end(secret)
                return
            self._transient[secret] = None
            while len(self._transient) > MAX_TRANSIENT:
                self._transient.popitem(last=False)
            self._dirty = True

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._dirty:
                every = set(self._static)
                for secret in self._transient:
                    every |= self._forms(secret)
                ordered = sorted(every, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) \
                    if ordered else None
                self._dirty = False
            return self._pattern

    def __contains__(self, value: str) -> bool:
        return value in self._static or value in self._transient

    def redact(self, text: str | None) -> str | None:
        pattern = self._compiled() if text else None
        if not text or pattern is None:
            return text
        return pattern.sub(MASK, text)
