from __future__ import annotations

import base64
import json

from probes.auth.jwt import jwt_exp, unverified_payload
from tests.support.oauth_app import make_jwt


def test_exp_from_signed_and_unsigned_tokens() -> None:
    assert jwt_exp(make_jwt({"exp": 1_800_000_000})) == 1_800_000_000.0
    assert jwt_exp(make_jwt({"exp": 1_800_000_000.5}, key=None)) == 1_800_000_000.5
    assert unverified_payload(make_jwt({"sub": "a"})) == {"sub": "a"}


def test_not_a_jwt_or_no_usable_exp() -> None:
    assert jwt_exp("opaque-token") is None
    assert jwt_exp("a.b.c") is None
    assert unverified_payload("") is None
    assert jwt_exp(make_jwt({"sub": "x"})) is None
    assert jwt_exp(make_jwt({"exp": "tomorrow"})) is None
    assert jwt_exp(make_jwt({"exp": True})) is None
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).decode().rstrip("=")
    assert jwt_exp(f"{header}.!!!.") is None
    assert jwt_exp(f"{header}.{header}") is None  # two parts


def _part(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_hostile_tokens_yield_none_not_errors() -> None:
    header = _part(json.dumps({"alg": "none"}).encode())
    deep = _part(b"[" * 100_000 + b"]" * 100_000)  # RecursionError in json.loads
    assert jwt_exp(f"{header}.{deep}.") is None
    assert jwt_exp(f"{_part(b'[' * 100_000)}.{header}.") is None
    assert jwt_exp(make_jwt({"exp": 10**400})) is None  # too large for a float
