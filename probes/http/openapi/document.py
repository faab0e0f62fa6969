"""Reading an OpenAPI document: YAML or JSON text to plain data, checked to be a valid OpenAPI
3.0 or 3.1 document (openapi-spec-validator), then compiled into a `Contract`.

References must point inside the document (`#/components/...`): any other `$ref` is a problem
reported before validation, and validation itself runs without URL or file handlers, so a
reference is never fetched (the same rule as probes/http/schemas.py's JSON Schema files).

Local files are compiled once per path and modification time (`load_local`); the config checks
compile them at config load, so a run finds them cached. Compiling is CPU work that grows with
the document: at run time it happens in a worker thread (probes/http/openapi/step.py).
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from probes.http.openapi.contract import Contract

_MESSAGE = 200
MAX_VALUES = 2_000_000  # values in a document, YAML aliases expanded
_LOCAL: dict[str, tuple[int, Contract]] = {}
_LOCK = threading.Lock()
# Compiling at run time (a changed file, a fetched document) happens here, not in the event
# loop's default executor, whose threads also run DNS lookups.
COMPILER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seamwatch-openapi")


class SpecProblem(Exception):
    """A document that cannot be used: unreadable, not YAML/JSON, or not valid OpenAPI 3.x."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _plain(node: Any, budget: list[int]) -> Any:
    """YAML data with every mapping key a string (`200:` is an int to YAML, a status to us),
    aliases expanded into copies: at most `budget[0]` values in all, so a document whose
    aliases expand exponentially is refused, not materialised."""
    budget[0] -= 1
    if budget[0] < 0:
        raise SpecProblem(f"expands to more than {MAX_VALUES:,} values (YAML aliases?)")
    if isinstance(node, dict):
        return {str(key): _plain(value, budget) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item, budget) for item in node]
    return node


def parse(text: bytes | str) -> Any:
    """The document's data: JSON when it parses as JSON, else YAML. Raises SpecProblem."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return _plain(YAML(typ="safe", pure=True).load(text), [MAX_VALUES])
    except (YAMLError, ValueError, RecursionError) as exc:
        raise SpecProblem(f"not YAML or JSON: {str(exc).splitlines()[0][:_MESSAGE]}") from None


def foreign_refs(doc: Any) -> list[str]:
    """`$ref` values that do not point inside the document (never followed). Iterative."""
    found: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                found.append(ref)
            stack.extend(v for k, v in node.items()
                         if k not in ("example", "examples", "default", "enum", "const"))
    return found


def _where(path: Any) -> str:
    parts = [str(p) for p in path or ()]
    return f" at {'.'.join(parts)}" if parts else ""


def _explain(error: Any) -> str:
    """A validation error's message; for "not valid under any of the given schemas" (whose
    message is the whole offending value), the reasons of the alternatives instead."""
    from jsonschema.exceptions import relevance

    context = sorted(getattr(error, "context", None) or (), key=relevance)
    if not context:
        return str(getattr(error, "message", error))[:_MESSAGE]
    reasons = list(dict.fromkeys(str(sub.message)[:_MESSAGE] for sub in context))
    return " / ".join(reasons[:3]) + (" / ..." if len(reasons) > 3 else "")


def compile_document(doc: Any, source: str) -> Contract:
    """A contract for the document data `doc` (named `source` in messages). Raises
    SpecProblem."""
    if not isinstance(doc, dict):
        raise SpecProblem("an OpenAPI document is a mapping with an `openapi:` version")
    version = str(doc.get("openapi", ""))
    if not version.startswith(("3.0.", "3.1.")):
        shown = f"`openapi: {version}`" if version else "no `openapi:` version"
        if "swagger" in doc:
            shown = "a Swagger 2.0 document"
        raise SpecProblem(f"expected an OpenAPI 3.0 or 3.1 document, found {shown}")
    refs = foreign_refs(doc)
    if refs:
        raise SpecProblem(f"$ref {refs[0]} points outside the document; references are resolved "
                          "within the document only and never fetched")
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    root = SchemaPath.from_dict(doc, base_uri=source, handlers={})
    is_31 = version.startswith("3.1.")
    validator_cls = OpenAPIV31SpecValidator if is_31 else OpenAPIV30SpecValidator
    try:
        error = next(iter(validator_cls(root).iter_errors()), None)
    except RecursionError:
        raise SpecProblem("nested too deeply") from None
    except Exception as exc:  # an unresolvable reference, say: the library's own error types
        raise SpecProblem(f"cannot be validated: {str(exc)[:_MESSAGE]}") from None
    if error is not None:
        raise SpecProblem(f"not a valid OpenAPI {version[:3]} document"
                          f"{_where(getattr(error, 'path', None))}: {_explain(error)}")
    return Contract(doc, root, version[:3], source)


def load_local(path: Path) -> Contract:
    """The contract for a local file, compiled once per path and modification time. Raises
    SpecProblem (OSError included)."""
    key = str(path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise SpecProblem(f"cannot read {path}: {exc.strerror}") from None
    cached = _LOCAL.get(key)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SpecProblem(f"cannot read {path}: {exc.strerror}") from None
    contract = compile_document(parse(text), path.resolve().as_uri())
    with _LOCK:
        _LOCAL[key] = (mtime, contract)
    return contract


def cached_local(path: Path) -> Contract | None:
    """The compiled contract for `path` if it is cached and the file has not changed (a stat,
    no parsing: cheap enough for the event loop)."""
    cached = _LOCAL.get(str(path))
    if cached is None:
        return None
    try:
        return cached[1] if path.stat().st_mtime_ns == cached[0] else None
    except OSError:
        return None
