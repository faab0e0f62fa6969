"""`expect.items` of an `http` step: a batch response (a 2xx, 207 Multi-Status included) whose
items succeed or fail one by one. Each item selected by `path` is checked with the `ok` matchers
(JSONPath relative to the item, `$` being the item); more failed items than `max_failed` (a count,
or a percentage of the items, rounded down) fail the step with `assertion`/`partial_failure`, the
message saying how many of how many failed and showing the first three.

A `path` ending in `[*]` whose parent is missing is `schema`/`missing_field` (an empty batch is
not: none of zero items failed). A path selecting one array takes its elements as the items.
"""

from __future__ import annotations

import math
import re
from typing import Any

import jsonpath

from probes.http.expectations import check_value
from probes.http.jsonpaths import compile_path, select
from probes.http.spec import ItemsExpect
from probes.http.templating import Scope
from probes.result import Category, Failure

SHOWN = 3
_QUOTED_NAME = re.compile(r"\['([A-Za-z_][A-Za-z0-9_]*)'\]")


def limit(max_failed: int | str, total: int) -> int:
    """How many of `total` items may fail: a count, or a percentage rounded down."""
    if isinstance(max_failed, int):
        return max_failed
    return math.floor(total * float(max_failed.rstrip("%")) / 100.0 + 1e-9)


def _selected(expression: str, doc: Any) -> list[tuple[str, Any]]:
    """(JSONPath of the item, item) for every item `expression` selects."""
    path, singular = compile_path(expression)
    if singular:
        nodes = path.findall(doc)
        if len(nodes) == 1 and isinstance(nodes[0], list):
            return [(f"{expression}[{i}]", item) for i, item in enumerate(nodes[0])]
        return [(expression, node) for node in nodes]
    return [(_QUOTED_NAME.sub(r".\1", match.path), match.obj) for match in path.finditer(doc)]


def _item_failure(ok: dict[str, Any], item: Any, scope: Scope) -> str | None:
    """Why one item failed (None: it passed)."""
    for expression, matcher in ok.items():
        values = select(expression, item)
        if not values:
            if matcher.exists is False:
                continue
            return f"{expression} missing"
        for value in values:
            failure = check_value(expression, matcher, value, scope)
            if failure is not None:
                return failure.message
    return None


def check_items(expect: ItemsExpect, doc: Any, scope: Scope) -> Failure | None:
    try:
        items = _selected(expect.path, doc)
        if not items and expect.path.endswith("[*]") and not select(expect.path[:-3], doc):
            return Failure(Category.SCHEMA, "missing_field",
                           f"{expect.path[:-3]}: not found in the body")
        failed = [(where, why) for where, item in items
                  if (why := _item_failure(expect.ok, item, scope)) is not None]
    except jsonpath.JSONPathError as exc:
        return Failure(Category.CONFIG, "invalid_jsonpath", f"items: {exc}")
    allowed = limit(expect.max_failed, len(items))
    if len(failed) <= allowed:
        return None
    shown = "; ".join(f"{where}: {why}" for where, why in failed[:SHOWN])
    more = f"; and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
    return Failure(Category.ASSERTION, "partial_failure",
                   f"{len(failed)} of {len(items)} items failed (at most {allowed} may): "
                   f"{shown}{more}")
