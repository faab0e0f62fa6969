"""`${VAR}` substitution in config values, and the `.env` file beside the config.

Forms, in scalar string values only (never in keys):

* `${VAR}` — the variable's value; a problem when it is not set;
* `${VAR:-default}` — `default` when VAR is unset or empty;
* `${VAR:?message}` — a problem saying `message` when VAR is unset or empty;
* `$$` — a literal `$`. Any other `$` is kept as written (so JSONPath `$.data` needs no escaping).

Substituted values are strings; pydantic's lax mode turns `"5"` into 5 for integer fields.
Variables come from the process environment laid over the `.env` file (the environment wins).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamwatch.config.errors import ConfigProblem, DataPath

_REFERENCE = re.compile(r"\$(?:(\$)|\{([^}]*)\}|(\{))")
_BODY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)(.*))?$", re.DOTALL)
_ENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


Span = tuple[int, int]


@dataclass
class Substitution:
    """The config data with every reference replaced, and what happened on the way.
    `inserted` holds, per substituted value, where in the expanded text each reference's value
    landed (start, end): every such value is a secret (seamwatch/config/resolve.py)."""

    data: Any
    problems: list[tuple[DataPath, str]] = field(default_factory=list)
    substituted: set[DataPath] = field(default_factory=set)
    inserted: dict[DataPath, list[Span]] = field(default_factory=dict)


def _value(match: re.Match[str], env: Mapping[str, str], problems: list[str],
           used: list[str]) -> tuple[str, bool]:
    """What one `$…` match expands to, and whether it is a variable's value."""
    if match.group(1) is not None:
        return "$", False
    if match.group(3) is not None:
        problems.append("unclosed `${`; write `${NAME}`, or `$$` for a literal `$`")
        return match.group(0), False
    body = match.group(2)
    parsed = _BODY.match(body)
    if parsed is None:
        problems.append(
            f"invalid variable reference `${{{body}}}`; use ${{NAME}}, ${{NAME:-default}} "
            "or ${NAME:?message}"
        )
        return match.group(0), False
    name, operator, argument = parsed.groups()
    used.append(name)
    value = env.get(name)
    if operator == ":-":
        return (value if value else argument), True
    if operator == ":?":
        if not value:
            problems.append(argument or f"environment variable {name} is not set")
            return "", True
        return value, True
    if value is None:
        problems.append(f"environment variable {name} is not set")
        return "", True
    return value, True


def _expand(text: str, env: Mapping[str, str], problems: list[str], used: list[str],
            spans: list[Span] | None = None) -> str:
    shift = 0  # how much longer the expanded text is than the original, so far

    def replace(match: re.Match[str]) -> str:
        nonlocal shift
        value, variable = _value(match, env, problems, used)
        start = match.start() + shift
        if variable and value and spans is not None:
            spans.append((start, start + len(value)))
        shift += len(value) - (match.end() - match.start())
        return value

    return _REFERENCE.sub(replace, text)


def substitute(data: Any, env: Mapping[str, str]) -> Substitution:
    """Replace references in every string value of `data` (a tree of dicts, lists, scalars)."""
    result = Substitution(data=None)

    def walk(node: Any, path: DataPath) -> Any:
        if isinstance(node, dict):
            return {key: walk(value, (*path, key)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value, (*path, index)) for index, value in enumerate(node)]
        if isinstance(node, str) and "$" in node:
            messages: list[str] = []
            used: list[str] = []
            spans: list[Span] = []
            expanded = _expand(node, env, messages, used, spans)
            result.problems.extend((path, message) for message in messages)
            if used:
                result.substituted.add(path)
            if spans:
                result.inserted[path] = spans
            return expanded
        return node

    result.data = walk(data, ())
    return result


def _unquote(raw: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        if value[0] == '"':
            inner = inner.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        return inner
    comment = re.search(r"\s#", value)
    return value[: comment.start()].rstrip() if comment else value


def parse_dotenv(text: str, file: str) -> tuple[dict[str, str], list[ConfigProblem]]:
    """`KEY=VALUE` lines; optional `export ` prefix, quotes and `#` comments."""
    values: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parsed = _ENV_LINE.match(stripped)
        if parsed is None:
            col = len(line) - len(line.lstrip()) + 1
            problems.append(ConfigProblem(file, number, col, "", "expected KEY=VALUE"))
            continue
        values[parsed.group(1)] = _unquote(parsed.group(2))
    return values, problems


def load_environment(
    config_dir: Path, environ: Mapping[str, str]
) -> tuple[dict[str, str], list[ConfigProblem]]:
    """The variables a config sees: `.env` beside it, overridden by `environ`."""
    dotenv = config_dir / ".env"
    values: dict[str, str] = {}
    problems: list[ConfigProblem] = []
    if dotenv.is_file():
        try:
            text = dotenv.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as error:
            problems.append(ConfigProblem(str(dotenv), 0, 0, "", f"cannot read: {error}"))
        else:
            values, problems = parse_dotenv(text, str(dotenv))
    values.update(environ)
    return values, problems
