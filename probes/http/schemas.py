"""JSON Schema expectations: schema files (relative to the config file) compiled once per path and
recompiled when the file changes; a violation is `schema`/`schema_violation` with the JSON pointer
of the offending value. An unreadable or invalid schema file is a `config` failure.

`$ref` resolution never touches the network. A reference may point into the same file
(`#/$defs/money`), at a resource the file embeds (`$id`), or at another local file by a path
relative to the referring file (`common.json#/$defs/money`; `file:` URIs work too). Anything else
(`https://…`, a `urn:` nothing embeds) is refused: `ref_problems` finds such references before a
schema is used (it is also what `seamwatch check` reports), and the registry's `retrieve` refuses
whatever slips past it, so a remote reference is always a `config` failure (`remote_ref`), never
a request. A local reference that cannot be resolved is `config`/`unresolved_ref`.

`check_schema` is CPU work proportional to the body: probes/http/exchange.py calls it from a
worker thread, never on the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

import referencing.exceptions
import referencing.jsonschema
from jsonschema import exceptions as js_exceptions
from jsonschema import validators
from referencing import Registry, Resource

from core.errors import exception_chain
from probes.result import Category, Failure

_SCHEMAS: dict[str, tuple[int, Any]] = {}
_FILES: dict[str, tuple[int, Any]] = {}
# Keywords whose values are data, not subschemas: a `$ref` key inside them is not a reference.
_VALUE_KEYWORDS = frozenset({"enum", "const", "examples", "default"})
_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_MAX_FILES = 64  # local files one schema may pull in through `$ref`, transitively
_MESSAGE = 200


class RemoteRef(Exception):
    """A `$ref` that resolves to something other than a local file (refused, never fetched)."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.uri = uri


class RefProblem(Exception):
    """A schema file whose references cannot all be resolved locally (found before use)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def local_path(uri: str, base_dir: Path) -> Path | None:
    """The local file a resolved reference URI names (without its fragment), or None when it
    names something else: a `file:` URI on this host, or a relative reference (taken relative to
    `base_dir`). Everything with another scheme or a host is not local."""
    parts = urlsplit(uri)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        return Path(url2pathname(parts.path))
    if not parts.scheme and not parts.netloc and parts.path:
        return base_dir / url2pathname(parts.path)
    return None


def schema_id_keyword(cls: Any) -> str:
    """The identifier keyword of a validator class's dialect (`id` before draft 6)."""
    return "id" if cls in (validators.Draft3Validator, validators.Draft4Validator) else "$id"


def _read_json(path: Path) -> Any:
    """A local JSON file, cached until it changes. Raises OSError / ValueError."""
    key = str(path)
    mtime = path.stat().st_mtime_ns
    cached = _FILES.get(key)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    contents = json.loads(path.read_bytes())
    _FILES[key] = (mtime, contents)
    return contents


def _scan(contents: Any, base: str, id_key: str) -> tuple[set[str], list[tuple[str, str]]]:
    """The URIs a schema document embeds (its own and every `$id`) and its references as
    (written, resolved URI without fragment). Iterative, so a deep document cannot exhaust the
    stack."""
    embedded = {urldefrag(base).url}
    refs: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(contents, base)]
    while stack:
        node, node_base = stack.pop()
        if isinstance(node, list):
            stack.extend((item, node_base) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        ident = node.get(id_key)
        if isinstance(ident, str):
            node_base = urljoin(node_base, ident)
            embedded.add(urldefrag(node_base).url)
        for keyword in _REF_KEYWORDS:
            ref = node.get(keyword)
            if isinstance(ref, str):
                refs.append((ref, urldefrag(urljoin(node_base, ref)).url))
        stack.extend(
            (value, node_base) for key, value in node.items()
            if key not in _VALUE_KEYWORDS and isinstance(value, dict | list)
        )
    return embedded, refs


def _not_local(written: str, uri: str) -> str:
    target = written if urldefrag(written).url == uri else f"{written} ({uri})"
    return (f"$ref {target} is not a local file; schemas are never fetched over the network "
            "(use a path relative to the schema file)")


def ref_problems(path: Path, schema: Any, id_key: str = "$id") -> list[tuple[str, str]]:
    """Why the references of the schema file at `path` (contents `schema`), and of the local
    files it references, transitively, cannot all be resolved locally: (reason, message) pairs,
    reasons `remote_ref` and `unresolved_ref`. Empty when every reference is local and
    readable."""
    problems: list[tuple[str, str]] = []
    root = path.resolve()
    pending: list[tuple[Path, Any, str]] = [(root, schema, "")]
    seen: set[Path] = set()
    while pending:
        file, contents, written = pending.pop()
        if file in seen:
            continue
        if len(seen) >= _MAX_FILES:
            problems.append(("unresolved_ref", f"more than {_MAX_FILES} files referenced"))
            break
        seen.add(file)
        if contents is None:
            try:
                contents = _read_json(file)
            except (OSError, ValueError, RecursionError) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not JSON"
                problems.append(("unresolved_ref", f"$ref {written} points to {file}: {why}"))
                continue
        embedded, refs = _scan(contents, file.as_uri(), id_key)
        for ref, uri in refs:
            if uri in embedded:
                continue
            local = local_path(uri, file.parent)
            if local is None:
                problems.append(("remote_ref", _not_local(ref, uri)))
            elif local.resolve() not in seen:
                pending.append((local.resolve(), None, ref))
    return problems


def _retrieve_locally(base_dir: Path, default: Any) -> Callable[[str], Resource[Any]]:
    """The registry's `retrieve`: local files only; anything else raises RemoteRef (the
    registry turns it into an unresolvable reference, with RemoteRef as the cause)."""

    def retrieve(uri: str) -> Resource[Any]:
        path = local_path(uri, base_dir)
        if path is None:
            raise RemoteRef(uri)
        return Resource.from_contents(_read_json(path), default_specification=default)

    return retrieve


def _compile(path: Path) -> Any:
    """A validator for the schema file. Raises OSError / ValueError / SchemaError /
    RefProblem."""
    schema = json.loads(path.read_bytes())
    if not isinstance(schema, dict | bool):
        raise ValueError("a JSON Schema is an object or a boolean")
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    id_key = schema_id_keyword(cls)
    problems = ref_problems(path, schema, id_key)
    if problems:
        reason = "remote_ref" if any(r == "remote_ref" for r, _ in problems) else "unresolved_ref"
        raise RefProblem(reason, next(m for r, m in problems if r == reason))
    dialect = cls.META_SCHEMA.get("$schema", "")
    default = referencing.jsonschema.specification_with(
        dialect, default=referencing.jsonschema.DRAFT202012
    )
    retrieve = _retrieve_locally(path.parent, default)
    # `retrieve` is the documented keyword (an attrs alias of `_retrieve` mypy does not see).
    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    if isinstance(schema, dict):
        # Relative references resolve against the file itself (its URI as the base).
        own = schema.get(id_key)
        base = path.resolve().as_uri()
        schema = {**schema, id_key: urljoin(base, own) if isinstance(own, str) else base}
    return cls(schema, registry=registry)


def _load_validator(path: Path) -> Any:
    """A validator for the schema file, cached per path and reloaded when the file changes.
    Raises OSError / ValueError / SchemaError / RefProblem."""
    key = str(path)
    mtime = path.stat().st_mtime_ns
    cached = _SCHEMAS.get(key)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    validator = _compile(path)
    _SCHEMAS[key] = (mtime, validator)
    return validator


def _pointer(parts: Any) -> str:
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped)


def _unresolvable(path: Path, exc: referencing.exceptions.Unresolvable) -> Failure:
    for cause in exception_chain(exc):
        if isinstance(cause, RemoteRef):
            return Failure(Category.CONFIG, "remote_ref",
                           f"schema {path}: {_not_local(exc.ref, cause.uri)}")
    detail = next((c for c in exception_chain(exc) if isinstance(c, OSError | ValueError)), None)
    why = f" ({str(detail)[:_MESSAGE]})" if detail is not None else ""
    return Failure(Category.CONFIG, "unresolved_ref",
                   f"schema {path}: $ref {exc.ref} cannot be resolved{why}")


def check_schema(path: Path, doc: Any) -> Failure | None:
    """`doc` against the schema file at `path`: None, a `schema` violation, or a `config`
    failure for a schema that cannot be used. CPU-bound: call it off the event loop. A document
    nested too deeply for the validator raises RecursionError (the caller classifies it)."""
    try:
        validator = _load_validator(path)
    except OSError as exc:
        return Failure(Category.CONFIG, "schema_unreadable", f"schema {path}: {exc.strerror}")
    except RefProblem as exc:
        return Failure(Category.CONFIG, exc.reason, f"schema {path}: {exc.message}")
    except (ValueError, js_exceptions.SchemaError) as exc:
        return Failure(Category.CONFIG, "invalid_schema", f"schema {path}: {str(exc)[:_MESSAGE]}")
    except RecursionError:
        return Failure(Category.CONFIG, "invalid_schema", f"schema {path}: nested too deeply")
    try:
        error = js_exceptions.best_match(validator.iter_errors(doc))
    except referencing.exceptions.Unresolvable as exc:
        return _unresolvable(path, exc)
    if error is None:
        return None
    # The message quotes the body's values: whole here, redacted and then cut with the failure.
    return Failure(Category.SCHEMA, "schema_violation",
                   f"schema violation at {_pointer(error.absolute_path)}: {error.message}")
