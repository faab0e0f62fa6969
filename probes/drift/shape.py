"""The shape of a parsed JSON body, bounded in time and memory whatever its size.

Two walks over the same view of a document:

- `observe(doc)`: per JSONPath (`$.data[*].customer.email`), the types seen, how often the path
  was seen and how often its value was an object. The hot path: compared with a frozen
  baseline on every run (probes/drift/rules.py).
- `reduce(doc)`: the same view as a small document of placeholders (no value survives: strings
  become "", numbers 0, booleans false) for genson while a baseline is learned, and a digest of
  each short identifier-like string, so enum-like fields can be learned without storing values.

The view: arrays longer than MAX_ITEMS are sampled (evenly spaced, first and last included), so a
list of 1,000 items costs as much as one of 64; objects whose keys look like data (numbers,
UUIDs, e-mail addresses, long or spaced keys) are maps, their members one path `.*`; at most
MAX_NODES values and MAX_DEPTH levels are visited (`complete` says whether all were).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

MAX_ITEMS = 64
MAX_NODES = 20_000
MAX_DEPTH = 32
ANY_MEMBER = "*"
ROOT = "$"

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATA_KEY = re.compile(
    r"^(?:-?\d+(?:\.\d+)?|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})$|[@\s]"
)
_ENUM_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,31}$")


def json_type(value: Any) -> str:
    """The JSON Schema type name of a parsed JSON value."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_data_key(key: str) -> bool:
    """A key that names a member of a map (an id, a UUID, an e-mail) rather than a field."""
    return len(key) > 64 or _DATA_KEY.search(key) is not None


def child_path(path: str, key: str) -> str:
    if key == ANY_MEMBER or _FIELD.match(key):
        return f"{path}.{key}"
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{quoted}']"


def item_path(path: str) -> str:
    return f"{path}[*]"


def sample(items: list[Any]) -> list[Any]:
    """At most MAX_ITEMS items, evenly spaced, first and last included."""
    n = len(items)
    if n <= MAX_ITEMS:
        return items
    last = MAX_ITEMS - 1
    return [items[(i * (n - 1)) // last] for i in range(MAX_ITEMS)]


def enum_digest(value: str) -> str | None:
    """A short digest of a string that could be an enum member (short, identifier-like), None
    for any other string. Digests, not values, are kept: a value could be personal data."""
    if not _ENUM_VALUE.match(value):
        return None
    return hashlib.blake2b(value.encode(), digest_size=8, person=b"seamwatch-drift").hexdigest()


@dataclass(slots=True)
class PathSeen:
    """What one observation saw at one path."""

    parent: str | None
    member: bool  # a key of an object (not the root, an array item or a map member)
    types: set[str] = field(default_factory=set)
    seen: int = 0
    objects: int = 0


@dataclass(slots=True)
class Observed:
    paths: dict[str, PathSeen] = field(default_factory=dict)
    strings: dict[str, set[str]] = field(default_factory=dict)  # enum paths: digests seen
    complete: bool = True

    def types_of(self, path: str) -> str:
        seen = self.paths.get(path)
        return "|".join(sorted(seen.types)) if seen else "absent"


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_NODES


def observe(doc: Any, enum_paths: frozenset[str] = frozenset()) -> Observed:
    """The shape of `doc` (see the module's docstring); digests of the strings at `enum_paths`."""
    out = Observed()
    budget = _Budget()
    _observe(doc, ROOT, None, False, 0, out, budget, enum_paths)
    if budget.left < 0:
        out.complete = False
    return out


def _observe(value: Any, path: str, parent: str | None, member: bool, depth: int,
             out: Observed, budget: _Budget, enum_paths: frozenset[str]) -> None:
    budget.left -= 1
    if budget.left < 0:
        return
    seen = out.paths.get(path)
    if seen is None:
        seen = out.paths[path] = PathSeen(parent, member)
    seen.seen += 1
    kind = json_type(value)
    seen.types.add(kind)
    if kind == "object":
        seen.objects += 1
        if depth >= MAX_DEPTH:
            out.complete = False
            return
        for key, item in value.items():
            if is_data_key(key):
                _observe(item, child_path(path, ANY_MEMBER), path, False, depth + 1, out,
                         budget, enum_paths)
            else:
                _observe(item, child_path(path, key), path, True, depth + 1, out, budget,
                         enum_paths)
    elif kind == "array":
        if depth >= MAX_DEPTH:
            out.complete = False
            return
        items = item_path(path)
        for item in sample(value):
            _observe(item, items, path, False, depth + 1, out, budget, enum_paths)
    elif kind == "string" and path in enum_paths:
        digest = enum_digest(value)
        out.strings.setdefault(path, set()).add(digest or "")


@dataclass(slots=True)
class Reduced:
    """A document reduced for genson, and per string path the digests of its enum-like values
    (None once a value there was not enum-like)."""

    doc: Any
    strings: dict[str, set[str] | None] = field(default_factory=dict)


_PLACEHOLDER = {"string": "", "integer": 0, "number": 0.0, "boolean": False, "null": None}


def reduce(doc: Any) -> Reduced:
    out = Reduced(None)
    out.doc = _reduce(doc, ROOT, 0, out, _Budget())
    return out


def _reduce(value: Any, path: str, depth: int, out: Reduced, budget: _Budget) -> Any:
    budget.left -= 1
    kind = json_type(value)
    if kind == "object":
        if depth >= MAX_DEPTH or budget.left < 0:
            return {}
        reduced: dict[str, Any] = {}
        for key, item in value.items():
            name = ANY_MEMBER if is_data_key(key) else key
            if name not in reduced:  # a map: its first member stands for all
                reduced[name] = _reduce(item, child_path(path, name), depth + 1, out, budget)
        return reduced
    if kind == "array":
        if depth >= MAX_DEPTH or budget.left < 0:
            return []
        items = item_path(path)
        return [_reduce(item, items, depth + 1, out, budget) for item in sample(value)]
    if kind == "string":
        known = out.strings.get(path, set())
        if known is not None:
            digest = enum_digest(value)
            if digest is None:
                out.strings[path] = None
            else:
                known.add(digest)
                out.strings[path] = known
    return _PLACEHOLDER[kind]
