"""YAML loading with positions: ruamel.yaml's round-trip loader turned into plain Python data plus
a `Positions` index from data path to 1-based (line, column) of each key and value.

Syntax errors, duplicate keys and tabs become a single ConfigProblem at ruamel's position.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from seamwatch.config.errors import ConfigError, ConfigProblem, DataPath

Position = tuple[int, int]
Anchor = Literal["key", "value", "node"]


@dataclass
class Positions:
    """1-based positions of keys and values, by data path (`("integrations", 0, "name")`)."""

    keys: dict[DataPath, Position] = field(default_factory=dict)
    values: dict[DataPath, Position] = field(default_factory=dict)

    def locate(self, path: DataPath, anchor: Anchor = "value") -> Position:
        """Where to report a problem about `path`.

        `value`: the value itself; `key`: the key naming it (unknown keys); `node`: the key that
        holds a mapping, or the list item itself (missing keys, whole-mapping problems). Paths the
        file does not contain (a missing key) fall back to their nearest ancestor's `node`.
        """
        if anchor == "key":
            if path in self.keys:
                return self.keys[path]
        elif anchor == "value":
            if path in self.values:
                return self.values[path]
        else:
            if path and isinstance(path[-1], str) and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
        if not path:
            return (1, 1)
        return self.locate(path[:-1], "node")


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _to_plain(node: Any, path: DataPath, positions: Positions) -> Any:
    """Copy ruamel's tree into dicts, lists and scalars, recording every position on the way."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        spots = node.lc.data
        for key, value in node.items():
            name = str(key)
            child = (*path, name)
            spot = spots.get(key)
            if spot is not None:
                positions.keys[child] = (spot[0] + 1, spot[1] + 1)
                # a null value has no text of its own: point at its key
                at = (spot[0], spot[1]) if value is None else (spot[2], spot[3])
                positions.values[child] = (at[0] + 1, at[1] + 1)
            out[name] = _to_plain(value, child, positions)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            spot = node.lc.data.get(index)
            if spot is not None:
                positions.values[child] = (spot[0] + 1, spot[1] + 1)
            items.append(_to_plain(value, child, positions))
        return items
    return _plain_scalar(node)


def _mark(error: MarkedYAMLError) -> Position:
    mark = error.problem_mark or error.context_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _syntax_message(error: MarkedYAMLError) -> str:
    problem = str(error.problem or "").strip()
    context = str(error.context or "").strip()
    if isinstance(error, DuplicateKeyError):
        found = re.search(r'duplicate key "(.*?)"', problem)
        key = found.group(1) if found else "?"
        return f"duplicate key `{key}`; each key may appear only once in a mapping"
    if "\\t" in problem or "\t" in problem:
        return "tab character in indentation; indent YAML with spaces, not tabs"
    if "quoted scalar" in context and error.context_mark is not None:
        opened = error.context_mark.line + 1
        return f"unclosed quote: the quoted value that starts on line {opened} never ends"
    text = f"{context}: {problem}" if context else problem
    if "flow" in context:
        text += "; inside {…} or […] quote values that contain [ ] { } or , (e.g. \"$.data[0].id\")"
    return f"YAML syntax error: {text}" if text else "YAML syntax error"


def load_yaml(text: str, file: str) -> tuple[Any, Positions]:
    """Parse `text`; raise ConfigError with one problem at ruamel's position on a syntax error."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        line, col = _mark(error)
        raise ConfigError([ConfigProblem(file, line, col, "", _syntax_message(error))]) from None
    except YAMLError as error:
        raise ConfigError.single(file, f"YAML error: {error}") from None
    positions = Positions()
    if isinstance(tree, (CommentedMap, CommentedSeq)):
        positions.values[()] = (tree.lc.line + 1, tree.lc.col + 1)
    return _to_plain(tree, (), positions), positions
