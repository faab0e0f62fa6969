"""Config problems, printed one per line as `FILE:LINE:COL: key.path: message`.

Positions are 1-based. A problem that has no position in the file (missing or unreadable file)
has line 0 and prints as `FILE: message`. A problem about the whole file (empty file, a list at
the top level) has an empty key path and prints as `FILE:LINE:COL: message`.

Key paths
---------
A key path names the place in the file a problem is about, the same way everywhere:

* mapping keys are joined with dots: `storage.raw_retention`, `email.smtp.port`;
* an item of a list is shown by its `name` in brackets when it is a mapping with a string `name`
  (`integrations[payments].probes[list-charges].steps[fetch-one].expect.status`), otherwise by its
  0-based index (`email.to[1]`, `expect.status[0]`);
* a key that is not a plain word (letters, digits, `_`, `-`) is quoted in brackets:
  `expect.json["$.data[0].id"].matches`, `headers["X Custom"]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import SeamwatchError

PathPart = str | int
DataPath = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with control characters and line breaks (a newline in a key, say) shown as
    escapes such as `\\n`, so that every problem prints as one line."""
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"),
                        text)


@dataclass(frozen=True, order=True)
class ConfigProblem:
    """One thing wrong with the config file, at a 1-based line and column (0/0 when unknown)."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line <= 0 else f"{self.file}:{self.line}:{self.col}"
        message = one_line(self.message)
        return f"{where}: {one_line(self.path)}: {message}" if self.path else f"{where}: {message}"


class ConfigError(SeamwatchError):
    """The config file cannot be used. `problems` holds every problem found, sorted by position."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        unique = sorted(set(problems), key=lambda p: (p.file, p.line, p.col, p.path, p.message))
        self.problems: list[ConfigProblem] = unique
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    @classmethod
    def single(cls, file: str, message: str, line: int = 0, col: int = 0) -> ConfigError:
        return cls([ConfigProblem(file, line, col, "", message)])


def format_key_path(path: Sequence[PathPart], data: Any) -> str:
    """Render a data path in the documented form, looking up list items' names in `data`."""
    out = ""
    node: Any = data
    for part in path:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            out += f"[{name}]" if isinstance(name, str) and name else f"[{part}]"
            node = item
        else:
            if _PLAIN_KEY.match(part):
                out += f".{part}" if out else part
            else:
                out += f"[{json.dumps(part)}]"
            node = node.get(part) if isinstance(node, dict) else None
    return out
