"""Pydantic validation errors turned into plain-English issues at data paths.

No pydantic jargon reaches the user: each error type has its own sentence, a secret field's input
is never echoed (see walk.py), and the errors from the branches of one plain union are
collapsed into a single message unless exactly one branch fits the shape of the value written.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from alerts.channels.registry import KINDS as CHANNEL_TYPES
from core.types import format_duration
from probes.spec import NAME_PATTERN, PROBE_KINDS, AuthSpec
from seamwatch.config.errors import DataPath
from seamwatch.config.positions import Anchor
from seamwatch.config.walk import MISSING, Walk, child, is_model, member_for, strip_type

AUTH_TYPES: tuple[str, ...] = tuple(
    get_args(member.model_fields["type"].annotation)[0]
    for member in get_args(get_args(AuthSpec)[0])
)
# Model-level messages about names that checks.py reports at the offending name instead.
_REPORTED_BY_CHECKS = ("duplicate step name", "duplicate probe name", "probe name 'auth'")


@dataclass(frozen=True)
class Issue:
    """A problem at a data path, before it is given a file position."""

    path: DataPath
    message: str
    anchor: Anchor = "value"


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping" if isinstance(value, dict) else type(value).__name__


def _describe_type(tp: Any) -> str:
    tp, _ = strip_type(tp)
    origin = get_origin(tp)
    if origin is list:
        return "a list of " + _describe_type(get_args(tp)[0]).removeprefix("a ").removeprefix(
            "an ") + "s"
    if origin is dict or is_model(tp):
        return "a mapping"
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(tp))
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}
    return names.get(tp, "a value")


def _join(options: list[str]) -> str:
    unique = list(dict.fromkeys(options))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]


_SHOWN_MAX = 60


def _shown(value: Any, secret: bool) -> str:
    if secret or isinstance(value, (dict, list)) or value is MISSING:
        return ""
    text = repr(value)
    if len(text) > _SHOWN_MAX:
        # Not cut: the messages are redacted after they are made, and a cut could split a
        # secret so that its first part no longer matches (core/redact.py).
        return f", got a value of {len(text)} characters"
    return f", got {text}"


def _suggestion(model: type[BaseModel] | None, key: str) -> str:
    if model is None:
        return ""
    names = [info.alias or name for name, info in model.model_fields.items()]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def translate(error: ErrorDetails, walk: Walk) -> Issue | None:
    """One plain-English issue for one pydantic error (None when another check reports it)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    path, node, secret = tuple(walk.path), walk.node, walk.secret
    got = _shown(error.get("input"), secret)
    if path and path[0] == "integrations" and len(path) == 1 and kind in (
        "missing", "too_short", "list_type"):
        return Issue(path, "no integrations defined; add at least one under `integrations:`",
                     "node" if kind == "missing" else "value")
    if kind == "missing":
        return Issue(path[:-1], f"missing required key `{path[-1]}`", "node")
    if kind == "extra_forbidden":
        return Issue(path, f"unknown key `{path[-1]}`{_suggestion(walk.owner, str(path[-1]))}",
                     "key")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        if path[-1:] == ("auth",):
            what, expected = "auth", ", ".join(AUTH_TYPES)
        elif path[:1] == ("channels",):
            what, expected = "channel", ", ".join(CHANNEL_TYPES)
        else:
            what, expected = "probe", ", ".join(PROBE_KINDS)
        if kind == "union_tag_not_found":
            return Issue(path, f"missing required key `type` (one of {expected})", "node")
        tag = ctx.get("tag")
        return Issue((*path, "type"), f"unknown {what} type `{tag}`; expected one of {expected}")
    if kind == "union_mismatch":
        return Issue(path, str(ctx["message"]))
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", error["msg"]))
        if message.startswith(_REPORTED_BY_CHECKS):
            return None
        if isinstance(node, dict):
            return _model_level(path, node, message)
        return Issue(path, message)
    return Issue(path, _plain_message(kind, ctx, node, walk, got) or error["msg"])


def _model_level(path: DataPath, node: dict[str, Any], message: str) -> Issue:
    """A whole-mapping rule: point at the later of two conflicting keys when the message names
    them, else at the mapping."""
    present = [k for k in re.findall(r"`([^`]+)`", message) if k in node]
    if len(present) >= 2:
        later = max(present, key=lambda k: list(node).index(k))
        return Issue((*path, later), message, "key")
    return Issue(path, message, "node")


def _plain_message(kind: str, ctx: dict[str, Any], node: Any, walk: Walk, got: str) -> str:
    actual = describe_value(node)
    if walk.duration and kind in ("greater_than", "greater_than_equal"):
        limit = float(ctx.get("gt", ctx.get("ge", 0)))
        shown = format_duration(limit) if limit else "0"
        return f"must be longer than {shown}" if kind == "greater_than" \
            else f"must be at least {shown}"
    simple = {
        "string_type": f"expected a string, got {actual}",
        "int_type": f"expected a whole number, got {actual}",
        "int_parsing": f"expected a whole number{got}",
        "int_from_float": f"expected a whole number{got}",
        "float_type": f"expected a number, got {actual}",
        "float_parsing": f"expected a number{got}",
        "bool_type": f"expected true or false, got {actual}",
        "bool_parsing": f"expected true or false{got}",
        "list_type": f"expected a list, got {actual}",
        "dict_type": f"expected a mapping (key: value pairs), got {actual}",
        "model_type": f"expected a mapping (key: value pairs), got {actual}",
        "model_attributes_type": f"expected a mapping (key: value pairs), got {actual}",
        "greater_than": f"must be greater than {ctx.get('gt')}{got}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}{got}",
        "less_than": f"must be less than {ctx.get('lt')}{got}",
        "less_than_equal": f"must be at most {ctx.get('le')}{got}",
        "literal_error": f"expected one of {ctx.get('expected')}{got}",
        "enum": f"expected one of {ctx.get('expected')}{got}",
        "string_too_short": "must not be empty",
        "too_long": f"must have at most {ctx.get('max_length')} items",
    }
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must have at least {least} items"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == NAME_PATTERN:
            return ("names may use letters, digits, `_`, `.` and `-`, and start with a letter "
                    f"or digit{got}")
        return f"does not match the pattern {ctx.get('pattern')}{got}"
    return simple.get(kind, "")


def collapse_unions(
    errors: list[tuple[ErrorDetails, Walk]], data: Any
) -> list[tuple[ErrorDetails, Walk]]:
    """Keep the errors of the one union branch that fits the written value, or replace all the
    branches' errors with one synthetic `union_mismatch` error."""
    groups: dict[DataPath, list[tuple[ErrorDetails, Walk]]] = defaultdict(list)
    kept: list[tuple[ErrorDetails, Walk]] = []
    for item in errors:
        if item[1].union_at is None:
            kept.append(item)
        else:
            groups[item[1].union_at].append(item)
    for union_path, members in groups.items():
        walk = members[0][1]
        value = value_at(data, union_path)
        fitting = {w.branch for _, w in members if _fits(member_for(w.union_members, w.branch),
                                                       value)}
        if len(fitting) == 1:
            kept.extend(item for item in members if item[1].branch in fitting)
            continue
        expected = _join([_describe_type(m) for m in walk.union_members])
        if union_path and union_path[-1] == "status":
            expected = "a status code such as 200, a list such as [200, 204] or a class like 2xx"
        synthetic: ErrorDetails = {
            "type": "union_mismatch", "loc": (), "msg": "", "input": value,
            "ctx": {"message": f"expected {expected}, got {describe_value(value)}"},
        }
        union_walk = Walk(path=list(union_path), node=value, owner=walk.owner)
        kept.append((synthetic, union_walk))
    return kept


def value_at(data: Any, path: DataPath) -> Any:
    node = data
    for part in path:
        node = child(node, part)
    return node


def _fits(member: Any, value: Any) -> bool:
    member, _ = strip_type(member) if member is not None else (None, False)
    if member is None:
        return False
    if isinstance(value, dict):
        return is_model(member) or get_origin(member) is dict
    if isinstance(value, list):
        return get_origin(member) is list
    return not (is_model(member) or get_origin(member) in (list, dict))
