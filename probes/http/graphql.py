"""GraphQL over an `http` step: a `kind: graphql` step POSTs `{"query", "variables"}` (variables
templated), and its response — or any step's with `expect.graphql: true` — fails when it carries
`errors`, as GraphQL servers answer 200 for failed operations:

- `errors` beside non-null `data`: some fields resolved, some did not — `assertion`/
  `partial_failure`;
- `errors` without `data`: nothing resolved — `schema`/`graphql_error`;
- a body that is not a GraphQL response object — `schema`/`graphql_error`.

The message gives how many errors and the first one's message and path.
"""

from __future__ import annotations

from typing import Any

from probes.http.expectations import show
from probes.http.spec import Step
from probes.http.templating import Scope
from probes.result import Category, Failure


def wants_graphql(step: Step) -> bool:
    return step.kind == "graphql" or step.expect.graphql


def request_body(step: Step, scope: Scope) -> dict[str, Any]:
    body: dict[str, Any] = {"query": step.query}
    if step.variables is not None:
        body["variables"] = scope.render_value(step.variables)
    return body


def _first(errors: list[Any]) -> str:
    error = errors[0]
    if not isinstance(error, dict):
        return show(error)
    text = str(error.get("message", "")) or show(error)
    path = error.get("path")
    if isinstance(path, list) and path:
        text += f" (at {'.'.join(str(part) for part in path)})"
    return text


def check_graphql(doc: Any) -> Failure | None:
    if not isinstance(doc, dict) or not ("data" in doc or "errors" in doc):
        return Failure(Category.SCHEMA, "graphql_error",
                       "the body is not a GraphQL response (no `data` or `errors`)")
    errors = doc.get("errors")
    if not errors:
        return None
    listed = errors if isinstance(errors, list) else [errors]
    count = f"{len(listed)} GraphQL error{'s' if len(listed) != 1 else ''}"
    if doc.get("data") is not None:
        return Failure(Category.ASSERTION, "partial_failure",
                       f"{count} beside partial data: {_first(listed)}")
    return Failure(Category.SCHEMA, "graphql_error", f"{count}: {_first(listed)}")
