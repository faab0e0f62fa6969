"""YAML loading with positions: ruamel.yaml's round-trip loader turned into plain Python data plus
a `Positions` index from data path to 1-based (line, column) of each key and value.

Syntax errors, duplicate keys and tabs become a single ConfigProblem at ruamel's position; so do
characters YAML does not allow, nesting deeper than MAX_DEPTH and aliases that expand beyond
MAX_VALUES values or into themselves.
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
from ruamel.yaml.reader import ReaderError

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


# Bounds on what a config file may expand to: deeper nesting than any config needs, and far more
# values than 10,000 probes hold. A few YAML aliases can otherwise expand to billions of values
# ("billion laughs") and an alias inside its own target to an endless tree.
MAX_DEPTH = 64
MAX_VALUES = 1_000_000


class _Copy:
    """Copies ruamel's tree into dicts, lists and scalars, recording every position on the way,
    within MAX_DEPTH and MAX_VALUES."""

    def __init__(self, file: str, positions: Positions) -> None:
        self.file = file
        self.positions = positions
        self.values = 0
        self.open: set[int] = set()  # the mappings and lists being copied (the current branch)

    def _refuse(self, path: DataPath, message: str) -> ConfigError:
        line, col = self.positions.locate(path)
        return ConfigError([ConfigProblem(self.file, line, col, "", message)])

    def node(self, node: Any, path: DataPath) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self._refuse(path, f"the file expands to more than {MAX_VALUES:,} values "
                                     "(through YAML aliases?); no config needs that many")
        if not isinstance(node, (CommentedMap, CommentedSeq)):
            return _plain_scalar(node)
        if len(path) >= MAX_DEPTH:
            raise self._refuse(path, f"nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.open:
            raise self._refuse(path, "a YAML alias (*name) refers to a mapping or list that "
                                     "contains it, which would never end")
        self.open.add(id(node))
        try:
            return self._mapping(node, path) if isinstance(node, CommentedMap) \
                else self._sequence(node, path)
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: CommentedMap, path: DataPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        spots = node.lc.data or {}  # none for some tagged mappings (`!!omap`)
        for key, value in node.items():
            name = str(key)
            child = (*path, name)
            spot = spots.get(key)
            if spot is not None:
                self.positions.keys[child] = (spot[0] + 1, spot[1] + 1)
                # a null value has no text of its own: point at its key
                at = (spot[0], spot[1]) if value is None else (spot[2], spot[3])
                self.positions.values[child] = (at[0] + 1, at[1] + 1)
            out[name] = self.node(value, child)
        return out

    def _sequence(self, node: CommentedSeq, path: DataPath) -> list[Any]:
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            spot = (node.lc.data or {}).get(index)
            if spot is not None:
                self.positions.values[child] = (spot[0] + 1, spot[1] + 1)
            items.append(self.node(value, child))
        return items


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


def _offset_position(text: str, offset: int) -> Position:
    """1-based (line, column) of the character at `offset`."""
    offset = max(0, min(offset, len(text)))
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _reader_message(error: ReaderError) -> str:
    char = error.character
    shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
    return (f"the character {shown} is not allowed in a YAML file; remove it, or write it as an "
            "escape such as \\x1f inside a double-quoted value")


def load_yaml(text: str, file: str) -> tuple[Any, Positions]:
    """Parse `text`; raise ConfigError with one problem at ruamel's position on a syntax error."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        line, col = _mark(error)
        raise ConfigError([ConfigProblem(file, line, col, "", _syntax_message(error))]) from None
    except ReaderError as error:
        line, col = _offset_position(text, error.position)
        raise ConfigError([ConfigProblem(file, line, col, "", _reader_message(error))]) from None
    except YAMLError as error:
        raise ConfigError.single(file, f"YAML error: {' '.join(str(error).split())}") from None
    except ValueError as error:  # a value ruamel cannot convert (an integer of 5,000 digits)
        reason = " ".join(str(error).split("; use ")[0].split())
        raise ConfigError.single(file, f"a value cannot be read: {reason}") from None
    except RecursionError:
        raise ConfigError.single(file, "mappings and lists are nested too deeply to read (a "
                                       f"config needs no more than {MAX_DEPTH} levels)") from None
    positions = Positions()
    if isinstance(tree, (CommentedMap, CommentedSeq)):
        positions.values[()] = (tree.lc.line + 1, tree.lc.col + 1)
    return _Copy(file, positions).node(tree, ()), positions
