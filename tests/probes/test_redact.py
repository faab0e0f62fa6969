"""The redactor: every form of a secret is masked; run-time secrets stay bounded."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from core.redact import MASK, MAX_TRANSIENT, Redactor, is_secret_header

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
