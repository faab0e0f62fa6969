"""Walking a pydantic error's `loc` alongside the model types and the data.

The walk tells union branch labels (`'str'`, `'Matcher'`, `'http'`, `'oauth2_client_credentials'`)
apart from keys, finds the model that rejected an unknown key (for "did you mean"), and notes
whether the field is a secret (its input is never echoed) or a duration.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, SecretStr
from pydantic.fields import FieldInfo

from core.types import parse_duration
from seamwatch.config.errors import DataPath

MISSING = object()


@dataclass
class Walk:
    path: list[str | int] = field(default_factory=list)
    node: Any = None
    leaf_type: Any = None
    owner: type[BaseModel] | None = None  # the model whose field (or unknown key) is last in path
    union_at: DataPath | None = None  # where a plain union was entered
    union_members: tuple[Any, ...] = ()
    branch: str | None = None
    secret: bool = False
    duration: bool = False  # the leaf is a core.types.Duration


def strip_type(tp: Any) -> tuple[Any, bool]:
    """Unwrap Annotated/Optional; say whether Annotated metadata made it a discriminated union."""
    discriminated = False
    while True:
        if get_origin(tp) is Annotated:
            args = get_args(tp)
            for meta in args[1:]:
                if isinstance(meta, Discriminator) or (
                    isinstance(meta, FieldInfo) and meta.discriminator is not None
                ):
                    discriminated = True
            tp = args[0]
        elif is_union(tp) and type(None) in get_args(tp):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return Union[tuple(rest)], discriminated  # noqa: UP007
            tp = rest[0]
        else:
            return tp, discriminated


def is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def member_for(members: tuple[Any, ...], label: Any) -> Any:
    for member in members:
        inner, _ = strip_type(member)
        if is_model(inner):
            kind = inner.model_fields.get("type")
            if kind is not None and label in get_args(kind.annotation):
                return inner
            if inner.__name__ == label:
                return inner
        origin = get_origin(inner)
        if origin is not None and str(label).startswith(f"{origin.__name__}["):
            return inner
        if getattr(inner, "__name__", None) == label:
            return inner
    return None


def _field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def walk_loc(root: type[BaseModel], data: Any, loc: tuple[str | int, ...]) -> Walk:
    """Follow `loc` through the types from `root` and through `data`."""
    state = Walk(node=data)
    tp: Any = root
    for part in loc:
        tp, discriminated = strip_type(tp) if tp is not None else (None, False)
        if tp is not None and is_union(tp):
            members = get_args(tp)
            if not discriminated and state.union_at is None:
                state.union_at, state.union_members, state.branch = (
                    tuple(state.path), members, str(part))
            tp = member_for(members, part)
            continue
        if tp is None and not has(state.node, part):
            continue  # a branch label inside an unknown type
        if is_model(tp):
            state.owner = tp
            info = _field(tp, str(part))
            tp = info.annotation if info is not None else None
            state.duration = info is not None and any(
                getattr(meta, "func", None) is parse_duration for meta in info.metadata)
        elif get_origin(tp) is list:
            state.duration = False
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            state.duration = False
            tp = get_args(tp)[1]
        else:
            tp = None
        state.path.append(part)
        state.node = child(state.node, part)
    state.leaf_type = strip_type(tp)[0] if tp is not None else None
    state.secret = state.leaf_type is SecretStr
    return state


def has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def child(node: Any, part: str | int) -> Any:
    return node[part] if has(node, part) else MISSING


