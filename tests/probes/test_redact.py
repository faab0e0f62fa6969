"""The redactor: every form of a secret is masked; run-time secrets stay bounded."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from core.redact import ELLIPSIS, MASK, MAX_TRANSIENT, Redactor, cut, is_secret_header

CANARY = "canary-S3cr3t/+=value"


@pytest.mark.parametrize(
    "form",
    [CANARY, quote(CANARY, safe=""), base64.b64encode(CANARY.encode()).decode().rstrip("=")],
)
def test_every_form_of_a_secret_is_masked(form: str) -> None:
    redactor = Redactor([CANARY])
    assert redactor.redact(f"server said: {form}!") == f"server said: {MASK}!"


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = Redactor(["ab", ""])
    assert redactor.redact("abc") == "abc"


def test_transient_secrets_are_bounded_and_newest_kept() -> None:
    redactor = Redactor(["static-secret"])
    for i in range(MAX_TRANSIENT + 10):
        redactor.add_transient(f"token-{i:05d}")
    assert redactor.redact("token-00000") == "token-00000"  # oldest forgotten
    assert redactor.redact(f"token-{MAX_TRANSIENT + 9:05d}") == MASK
    assert redactor.redact("static-secret") == MASK  # config secrets never forgotten


@pytest.mark.parametrize(
    ("name", "secret"),
    [("Authorization", True), ("X-Api-Key", True), ("Cookie", True), ("X-Auth-Token", True),
     ("User-Agent", False), ("Accept", False)],
)
def test_credential_like_header_names(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret


STRADDLER = "strd-9Q4xZ7mK2pW5vB8n"


def _prefixes(secret: str, shortest: int = 6) -> list[str]:
    return [secret[:n] for n in range(shortest, len(secret) + 1)]


@pytest.mark.parametrize("limit", [20, 80, 200])
def test_a_secret_straddling_the_cut_is_masked_not_split(limit: int) -> None:
    """Wherever the cut falls inside the secret, none of it survives (the cut used to come
    first, leaving the secret's first part unmatched)."""
    redactor = Redactor([STRADDLER])
    for offset in range(limit - len(STRADDLER), limit + 1):
        text = "p" * offset + STRADDLER + " tail " * 50
        shown = redactor.redact_and_cut(text, limit)
        assert len(shown) <= limit
        assert not any(prefix in shown for prefix in _prefixes(STRADDLER)), (offset, shown)
        assert shown == cut(redactor.redact(text) or "", limit)


def test_redact_and_cut_equals_redacting_everything_then_cutting() -> None:
    """The windowed scan gives exactly what redacting the whole text and then cutting gives,
    with secrets of many lengths back to back, overlapping and at both ends."""
    secrets = ["alpha-secret", "beta-secret-longer-one", "gamma", "secret-longer"]
    redactor = Redactor(secrets)
    pieces = ["x", "  ", "alpha-secret", "beta-secret-longer-one", "gamma", "secret-longer",
              "beta-secret-lon", "alpha-secre", "é", "\n"]
    for seed in range(400):
        text = "".join(pieces[(seed * 7 + i * i * 13) % len(pieces)] for i in range(seed % 60))
        for limit in (1, 5, 17, 40, 200):
            assert redactor.redact_and_cut(text, limit) == cut(redactor.redact(text) or "",
                                                               limit), (seed, limit)


def test_cut_marks_what_it_cut() -> None:
    assert cut("short", 10) == "short"
    assert cut("0123456789abc", 10) == "012345678" + ELLIPSIS
    assert Redactor().redact_and_cut("0123456789abc", 10) == "012345678" + ELLIPSIS
    assert Redactor([STRADDLER]).redact_and_cut(None, 10) == ""


def test_redact_and_cut_reads_only_what_it_needs() -> None:
    """A huge text with a secret far past the cut costs no scan of the rest."""
    redactor = Redactor([STRADDLER])
    text = "a" * 190 + STRADDLER + "b" * 5_000_000 + STRADDLER
    assert redactor.redact_and_cut(text, 200) == "a" * 190 + MASK + "bbbbbb" + ELLIPSIS
