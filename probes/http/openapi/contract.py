"""One compiled OpenAPI document: its operations (by `operationId`, and by method and path
template), the base paths of its servers, and response schema validators compiled on first use.

Finding an operation from a request: the request's path, less a server's base path (the path of
a `servers:` URL, variables at their defaults, or of the integration's `base_url`), is matched
against the path templates (`/customers/{id}`: a `{...}` matches one segment), concrete paths
before templated ones, as the OpenAPI specification asks.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VARIABLE = re.compile(r"\{[^{}/]+\}")
_FOUND_MAX = 4096  # request paths remembered per document (ids in paths make them many)


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    path: str  # the path template, as the document writes it
    operation_id: str | None

    @property
    def label(self) -> str:
        return self.operation_id or f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class _Route:
    pattern: re.Pattern[str]
    variables: int
    literal: int
    template: str


def _route(template: str) -> _Route:
    pieces = _VARIABLE.split(template)
    body = "[^/]+".join(re.escape(piece) for piece in pieces)
    return _Route(re.compile(f"^{_trim(body)}$"), len(pieces) - 1,
                  sum(len(p) for p in pieces), template)


def _trim(path: str) -> str:
    return path.rstrip("/") if len(path) > 1 else path


def _server_path(server: Any) -> str | None:
    if not isinstance(server, dict) or not isinstance(server.get("url"), str):
        return None
    url = server["url"]
    variables = server.get("variables")
    if isinstance(variables, dict):
        for name, variable in variables.items():
            default = variable.get("default") if isinstance(variable, dict) else None
            url = url.replace("{" + name + "}", str(default))
    if "{" in url:
        return None
    return _trim(urlsplit(url).path or "/")


@dataclass
class Contract:
    """A valid OpenAPI document, compiled (document.py builds it). Safe to share between
    threads: lookups are read-only, validators are cached on first use under a lock."""

    doc: dict[str, Any]
    root: Any  # jsonschema_path.SchemaPath over `doc`, references resolved in the document only
    version: str  # "3.0" or "3.1"
    source: str
    operations: dict[str, Operation] = field(init=False)
    _routes: list[_Route] = field(init=False)
    _by_path: dict[str, dict[str, Operation]] = field(init=False)
    _base_paths: tuple[str, ...] = field(init=False)
    _found: dict[tuple[str, str, str], Operation | None] = field(init=False, default_factory=dict)
    _validators: dict[tuple[Any, ...], Any] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.operations = {}
        self._by_path = {}
        for template, item in (self.doc.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            methods: dict[str, Operation] = {}
            for method in _METHODS:
                node = item.get(method)
                if isinstance(node, dict):
                    op_id = node.get("operationId")
                    op = Operation(method.upper(), template,
                                   op_id if isinstance(op_id, str) else None)
                    methods[op.method] = op
                    if op.operation_id is not None:
                        self.operations[op.operation_id] = op
            self._by_path[template] = methods
        self._routes = sorted((_route(t) for t in self._by_path),
                              key=lambda r: (r.variables, -r.literal))
        paths = {p for s in self.doc.get("servers") or () if (p := _server_path(s)) is not None}
        self._base_paths = tuple(sorted(paths - {"/"}, key=len, reverse=True))

    def find(self, method: str, path: str, base_path: str = "") -> Operation | None:
        """The operation a request names (see the module doc); `base_path` is the path of the
        integration's base_url. Cached per request."""
        key = (method, path, base_path)
        if key in self._found:
            return self._found[key]
        found = self._find(method, path, base_path)
        if len(self._found) >= _FOUND_MAX:
            self._found.clear()
        self._found[key] = found
        return found

    def _find(self, method: str, path: str, base_path: str = "") -> Operation | None:
        bases = list(self._base_paths)
        extra = _trim(base_path or "/")
        if extra != "/" and extra not in bases:
            bases.append(extra)
        path = _trim(path or "/")
        for base in [*sorted(bases, key=len, reverse=True), ""]:
            if base and not (path == base or path.startswith(base + "/")):
                continue
            rest = path[len(base):] or "/"
            for route in self._routes:
                if route.pattern.match(rest):
                    methods = self._by_path[route.template]
                    found = methods.get(method.upper())
                    if found is None and method.upper() == "HEAD":
                        found = methods.get("GET")  # HEAD is GET without the body (RFC 9110)
                    if found is not None:
                        return found
        return None

    def node(self, op: Operation) -> Any:
        """The operation object's SchemaPath."""
        return self.root / "paths" / op.path / op.method.lower()

    def validator(self, key: tuple[Any, ...], schema_path: Any) -> Any:
        """The response validator for the schema at `schema_path`, compiled once per `key`."""
        found = self._validators.get(key)
        if found is not None:
            return found
        from openapi_schema_validator import (
            OAS30ReadValidator,
            OAS31Validator,
            oas30_format_checker,
            oas31_format_checker,
        )

        with self._lock, schema_path.resolve() as resolved:
            if self.version == "3.1":
                validator = OAS31Validator(resolved.contents, _resolver=resolved.resolver,
                                           format_checker=oas31_format_checker)
            else:
                # Read: a response may carry readOnly properties and omit writeOnly ones.
                validator = OAS30ReadValidator(resolved.contents, _resolver=resolved.resolver,
                                               format_checker=oas30_format_checker)
            self._validators[key] = validator
        return validator
