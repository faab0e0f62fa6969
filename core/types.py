"""Config value types shared by every part's spec: durations, byte sizes, secrets.

Durations are written as strings (`250ms`, `10s`, `5m`, `4h`, `30d`, also `1h30m`) and held as
float seconds. Bare numbers are rejected so that `timeout: 10` cannot silently mean 10 ms or 10 s.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr, WithJsonSchema

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION_FULL = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
DURATION_PATTERN = r"^(0|(\d+(\.\d+)?(ms|s|m|h|d|w))+)$"


def parse_duration(value: Any) -> float:
    """`"1m30s"` -> 90.0. Raises ValueError with the accepted forms on anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("expected a duration such as 250ms, 10s, 5m, 4h or 30d")
    if isinstance(value, (int, float)):
        if value == 0:
            return 0.0
        raise ValueError(
            f"expected a duration with a unit such as {value}s or {value}ms, got a bare number"
        )
    text = value.strip().replace(" ", "")
    if text == "0":
        return 0.0
    if not _DURATION_FULL.match(text):
        raise ValueError(f"expected a duration such as 250ms, 10s, 5m, 4h or 30d, got {value!r}")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))


def format_duration(seconds: float) -> str:
    """90.0 -> "1m30s"; 0.25 -> "250ms" (the inverse of parse_duration for display)."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    out = []
    rest = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(out) or "0s"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {"type": "string", "pattern": DURATION_PATTERN, "examples": ["250ms", "10s", "5m", "4h"]}
    ),
]

_SIZE = re.compile(r"^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3,
}


def parse_byte_size(value: Any) -> int:
    """`"1MiB"` -> 1048576; a bare integer is a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        m = _SIZE.match(value.strip())
        if m:
            return int(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]
    raise ValueError(f"expected a size such as 512KiB, 1MiB or a number of bytes, got {value!r}")


def format_byte_size(size: int) -> str:
    """1048576 -> "1MiB"; 1500 -> "1500B" (the inverse of parse_byte_size for display: the
    largest unit that divides the size, binary before decimal)."""
    for unit in ("GiB", "GB", "MiB", "MB", "KiB", "KB"):
        factor = _SIZE_UNITS[unit.lower()]
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


ByteSize = Annotated[
    int,
    BeforeValidator(parse_byte_size),
    WithJsonSchema({"type": ["string", "integer"], "examples": ["1MiB", "512KiB", 65536]}),
]

# A credential: never printed, logged or stored. `.get_secret_value()` is the one way out.
Secret = SecretStr
