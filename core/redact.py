"""Redaction: every secret value known to the process is replaced before text leaves a probe.

Secrets come from the config (auth credentials, credential-like headers, passwords) and from run
time (access tokens, rotated refresh tokens). A server that echoes a secret back in a body or an
error message must not get it into the database, logs, emails or reports.

Text is redacted whole and cut afterwards, never the other way round: a cut before redaction can
split a secret, and the part before the cut no longer matches. `Redactor.redact_and_cut` is the
one way to shorten text that may hold a secret; `cut` is only for text that is already redacted.
"""

from __future__ import annotations

import base64
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
ELLIPSIS = "…"
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


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, the last one an ellipsis when it was cut.

    Only for text that is already redacted (or can hold no secret): anything else goes through
    `Redactor.redact_and_cut`, which redacts the whole text first. A lone surrogate (a server can
    send one as `\\ud800` in JSON) becomes U+FFFD: no database, log or email can encode it."""
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS
    return _LONE_SURROGATE.sub(REPLACEMENT, text)


class Redactor:
    """Replaces every known secret (and its URL-encoded and base64 forms) with `***`.

    `add()` is for secrets from the config (kept for the life of the process); `add_transient()`
    for credentials obtained at run time (the newest MAX_TRANSIENT are kept)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._static: set[str] = set()
        self._transient: OrderedDict[str, None] = OrderedDict()
        self._pattern: re.Pattern[str] | None = None
        self._longest = 0  # the longest form in the pattern
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
        return self._compiled_with_longest()[0]

    def _compiled_with_longest(self) -> tuple[re.Pattern[str] | None, int]:
        """The pattern and the length of its longest form, read together."""
        with self._lock:
            if self._dirty:
                every = set(self._static)
                for secret in self._transient:
                    every |= self._forms(secret)
                ordered = sorted(every, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) \
                    if ordered else None
                self._longest = len(ordered[0]) if ordered else 0
                self._dirty = False
            return self._pattern, self._longest

    def __contains__(self, value: str) -> bool:
        return value in self._static or value in self._transient

    def redact(self, text: str | None) -> str | None:
        pattern = self._compiled() if text else None
        if not text or pattern is None:
            return text
        return pattern.sub(MASK, text)

    def redact_and_cut(self, text: str | None, limit: int) -> str:
        """`text` redacted as a whole, then cut to `limit` characters (see `cut`).

        Only as much of `text` is scanned as the result needs: the next secret is looked for in a
        window that reaches one secret's length past the characters still wanted, so a secret that
        straddles the cut is found whole and masked, and a megabyte body costs no more than its
        first few hundred characters."""
        if not text:
            return ""
        pattern, longest = self._compiled_with_longest()
        if pattern is None:
            return cut(text, limit)
        out: list[str] = []
        size = pos = 0
        end = len(text)
        while size <= limit and pos < end:
            need = limit + 1 - size  # one more than fits, to know whether to cut
            found = pattern.search(text, pos, min(end, pos + need + longest))
            if found is None or found.start() >= pos + need:
                piece = text[pos: pos + need]
                out.append(piece)
                size += len(piece)
                pos += len(piece)
                continue
            out.append(text[pos: found.start()])
            out.append(MASK)
            size += found.start() - pos + len(MASK)
            pos = found.end()
        return cut("".join(out), limit)
