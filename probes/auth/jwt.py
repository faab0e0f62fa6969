"""Reading the `exp` claim of a JWT without verifying it.

seamwatch never trusts a token's contents for authorisation; it only wants to know how long the
token is meant to live, so the signature is ignored and anything malformed simply yields None.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any


def _b64url_json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        return None


def unverified_payload(token: str) -> dict[str, Any] | None:
    """The decoded payload object of a compact JWT, or None if `token` is not one."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    header = _b64url_json(parts[0])
    if not isinstance(header, dict) or "alg" not in header:
        return None
    payload = _b64url_json(parts[1])
    return payload if isinstance(payload, dict) else None


def jwt_exp(token: str) -> float | None:
    """The `exp` claim (seconds since the epoch) of a JWT, or None when absent or not a JWT."""
    payload = unverified_payload(token)
    if payload is None:
        return None
    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    try:
        seconds = float(exp)
    except OverflowError:  # an integer too large for a float
        return None
    return seconds if math.isfinite(seconds) else None
