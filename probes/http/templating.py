"""`{{ name }}` templates: saved values and a few built-ins, nothing executable.

Built-ins: `uuid` (one random UUID per run, so a create step and its clean-up see the same one),
`now` (ISO 8601 UTC, fixed per run), `timestamp` (epoch seconds, fixed per run). A value saved
(`save:`) under a built-in's name wins over the built-in.

A string that is exactly one template (`"{{ count }}"`) renders to the saved value itself, keeping
its JSON type (so `equals: "{{ count }}"` compares numbers with numbers and a JSON body keeps
integers). Anything else renders to text. An unknown name raises `TemplateError`, which the probe
reports as a `config` failure (reason `unknown_variable`).
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
BUILTINS = frozenset({"uuid", "now", "timestamp"})


class TemplateError(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown template variable {name!r}")
        self.name = name


def template_names(value: Any) -> set[str]:
    """Every variable name a (nested) value refers to, for up-front checks."""
    if isinstance(value, str):
        return set(_TEMPLATE.findall(value)) if "{{" in value else set()
    if isinstance(value, dict):
        names: set[str] = set()
        for key, item in value.items():
            names |= template_names(key) | template_names(item)
        return names
    if isinstance(value, list | tuple):
        return set().union(*(template_names(item) for item in value)) if value else set()
    return set()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


class Scope:
    """Variables of one probe run."""

    __slots__ = ("_builtins", "values")

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self._builtins: dict[str, Any] | None = None

    def _builtin(self, name: str) -> Any:
        if self._builtins is None:
            now = time.time()
            self._builtins = {
                "uuid": str(uuid.uuid4()),
                "now": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
                "timestamp": int(now),
            }
        return self._builtins[name]

    def lookup(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name in BUILTINS:
            return self._builtin(name)
        raise TemplateError(name)

    def has(self, name: str) -> bool:
        return name in self.values or name in BUILTINS

    def render(self, text: str) -> str:
        """Render to text (paths, URLs, headers, params)."""
        if "{{" not in text:
            return text
        return _TEMPLATE.sub(lambda m: _text(self.lookup(m.group(1))), text)

    def render_value(self, value: Any) -> Any:
        """Render recursively (JSON bodies, expected values); a whole-string template keeps the
        variable's type."""
        if isinstance(value, str):
            if "{{" not in value:
                return value
            whole = _TEMPLATE.fullmatch(value)
            if whole is not None:
                return self.lookup(whole.group(1))
            return self.render(value)
        if isinstance(value, dict):
            return {self.render(str(k)): self.render_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render_value(item) for item in value]
        return value
