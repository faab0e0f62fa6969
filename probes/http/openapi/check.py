"""`seamwatch check` for OpenAPI contracts: a local document must be a valid OpenAPI 3.0/3.1
document (`document_problem`, reported at the `openapi.spec` key), and each step checked against
one must name an operation it has (`check_steps`: the `http` kind's config check, reported at
the step's `openapi.operation`, or at its `path` when the operation is found from method and
path). A document at a URL is not fetched by `check`: it is checked on its first run.

These functions get the config as written (mappings, possibly invalid elsewhere), so they look
before they leap.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from probes.http.openapi.spec import is_url

KeyPath = tuple[str | int, ...]
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def _load(base_dir: Path, spec: str) -> Any:
    """The compiled document, or the problem with it as a message."""
    from probes.http.openapi.document import SpecProblem, load_local

    path = base_dir / spec
    if not path.is_file():
        return f"OpenAPI document {spec} not found (looked for {path})"
    try:
        return load_local(path)
    except SpecProblem as problem:
        return f"OpenAPI document {spec}: {problem.message}"


def document_problem(base_dir: Path, spec: Any) -> str | None:
    """Why the document `spec` (as written at an `openapi.spec` key) cannot be used; None when
    it can, or when it is a URL (fetched at run time) or not a string (the model reports it)."""
    if not isinstance(spec, str) or not spec or is_url(spec):
        return None
    found = _load(base_dir, spec)
    return found if isinstance(found, str) else None


def _spec_of(step: Mapping[str, Any], integration: Mapping[str, Any] | None
             ) -> tuple[str | None, KeyPath | None]:
    """The document a step is checked against and where its own `openapi.spec` is (None when
    it is the integration's)."""
    setting = step.get("openapi")
    if isinstance(setting, dict) and isinstance(setting.get("spec"), str):
        return setting["spec"], ("openapi", "spec")
    source = integration.get("openapi") if integration is not None else None
    spec = source.get("spec") if isinstance(source, dict) else None
    return (spec if isinstance(spec, str) else None), None


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f" (did you mean `{close[0]}`?)"
    return f" (it has: {', '.join(sorted(known)[:8])})" if known else " (it has no operationId)"


def _step_issues(step: Mapping[str, Any], integration: Mapping[str, Any] | None,
                 base_dir: Path) -> list[tuple[KeyPath, str]]:
    setting = step.get("openapi")
    if setting is False or (setting is None and not (integration or {}).get("openapi")):
        return []
    spec, own = _spec_of(step, integration)
    operation = setting.get("operation") if isinstance(setting, dict) else None
    if spec is None:
        if isinstance(setting, dict):
            return [(("openapi",), "no OpenAPI document to check against: set `openapi.spec` "
                     "here or `openapi: {spec: ...}` on the integration")]
        return []
    if is_url(spec):
        return []
    contract = _load(base_dir, spec)
    if isinstance(contract, str):  # the integration's document is reported at its own key
        return [(own, contract)] if own is not None else []
    if isinstance(operation, str):
        if operation in contract.operations:
            return []
        return [(("openapi", "operation"), f"no operation `{operation}` in {spec}"
                 + _suggest(operation, list(contract.operations)))]
    path, method = step.get("path"), step.get("method", "GET")
    if not isinstance(path, str) or not isinstance(method, str):
        return []  # a full `url:` is matched at run time
    written = _TEMPLATE.sub("x", path).split("?", 1)[0]
    base = (integration or {}).get("base_url")
    base_path = urlsplit(base).path if isinstance(base, str) else ""
    if contract.find(method.upper(), written, base_path) is not None:
        return []
    return [(("path",), f"no operation in {spec} matches {method.upper()} {path}; name one "
             "with `openapi: {operation: ...}` or set `openapi: false` on this step")]


def check_steps(probe: Mapping[str, Any], base_dir: Path,
                integration: Mapping[str, Any] | None) -> list[tuple[KeyPath, str]]:
    """The problems of an `http` probe's steps with their OpenAPI operations, as (key path
    within the probe, message)."""
    issues: list[tuple[KeyPath, str]] = []
    steps = probe.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else ()):
        if isinstance(step, dict):
            issues += [(("steps", index, *key), message)
                       for key, message in _step_issues(step, integration, base_dir)]
    return issues
