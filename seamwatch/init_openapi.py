"""`seamwatch init --from-openapi SPEC`: a starting config for an API one has just been handed
(README, "Start from an OpenAPI document").

One integration for the document, checked against it (`openapi: {spec: ...}`), and one probe per
safe operation: a `GET` whose required parameters can all be filled from the document (a
parameter's `example`, its schema's `example`, `default` or first `enum` value). Other operations
are listed as skipped, with why. The base URL is `--base-url`, else the document's first server
URL; a `--base-url` without a path keeps that server URL's base path (`/v1`).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from probes.http.openapi.document import SpecProblem, load_local
from seamwatch.errors import UserError

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
_NO_VALUE = object()


class InitError(UserError):
    """The document cannot be turned into a config (exit 2)."""


@dataclass
class Plan:
    config: dict[str, Any]
    probes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    secured: bool = False


def _slug(text: str, fallback: str) -> str:
    slug = _SLUG.sub("-", text).strip("-._")
    return slug if slug else fallback


def _deref(doc: dict[str, Any], node: Any) -> Any:
    """`node`, following a local `$ref` chain (the document is valid, so they resolve)."""
    for _ in range(32):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str):
            return node
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _value(doc: dict[str, Any], param: dict[str, Any]) -> Any:
    """A value for the parameter from the document, or _NO_VALUE."""
    if "example" in param:
        return param["example"]
    examples = param.get("examples")
    if isinstance(examples, dict):
        for example in examples.values():
            example = _deref(doc, example)
            if isinstance(example, dict) and "value" in example:
                return example["value"]
    schema = _deref(doc, param.get("schema")) or {}
    if isinstance(schema, dict):
        for key in ("example", "default"):
            if key in schema:
                return schema[key]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
    return _NO_VALUE


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _literal(value: str) -> str:
    """A value written into the config: `$` is doubled so ${...} is not substituted."""
    return value.replace("$", "$$")


def _status(responses: dict[str, Any]) -> int | str:
    codes = [str(code).upper() for code in responses]
    exact = sorted(int(c) for c in codes if c.isdigit() and c.startswith("2"))
    return exact[0] if len(exact) == 1 else "2xx"


def _step(doc: dict[str, Any], template: str, item: dict[str, Any], op: dict[str, Any]
          ) -> tuple[dict[str, Any] | None, str | None]:
    """The step calling `op`, or why it cannot be called."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        param = _deref(doc, raw)
        if isinstance(param, dict):
            merged[(str(param.get("in")), str(param.get("name")))] = param
    path, params, headers, missing = template, {}, {}, []
    for (where, name), param in merged.items():
        if not (param.get("required") or where == "path"):
            continue
        value = _value(doc, param)
        if value is _NO_VALUE or where == "cookie":
            missing.append(f"{where} parameter `{name}`")
        elif where == "path":
            path = path.replace("{" + name + "}", quote(_text(value), safe=""))
        elif where == "query":
            params[name] = _literal(_text(value))
        elif where == "header":
            headers[name] = _literal(_text(value))
    if missing:
        return None, "needs " + ", ".join(missing)
    step: dict[str, Any] = {"name": "call", "method": "GET", "path": _literal(path)}
    if params:
        step["params"] = params
    if headers:
        step["headers"] = headers
    step["expect"] = {"status": _status(op.get("responses") or {})}
    if isinstance(op.get("operationId"), str):
        step["openapi"] = {"operation": op["operationId"]}
    return step, None


def _server_url(doc: dict[str, Any]) -> str | None:
    servers = doc.get("servers") or []
    server = servers[0] if servers and isinstance(servers[0], dict) else {}
    url = server.get("url")
    if not isinstance(url, str):
        return None
    for name, variable in (server.get("variables") or {}).items():
        if isinstance(variable, dict) and "default" in variable:
            url = url.replace("{" + name + "}", str(variable["default"]))
    return url


def _base_url(doc: dict[str, Any], given: str | None) -> str:
    server = _server_url(doc)
    server_path = urlsplit(server).path.rstrip("/") if server else ""
    if given:
        parts = urlsplit(given)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InitError(f"--base-url {given!r} is not an http:// or https:// URL")
        if parts.path in ("", "/") and server_path:
            return urlunsplit(parts._replace(path=server_path))
        return given.rstrip("/")
    if server is None or urlsplit(server).scheme not in ("http", "https"):
        raise InitError("the document has no absolute server URL (servers[0].url): "
                        "pass --base-url URL")
    return server.rstrip("/")


def plan(spec: Path, output: Path, base_url: str | None) -> Plan:
    """The config for the document at `spec`, to be written at `output`. Raises InitError."""
    try:
        contract = load_local(spec)
    except SpecProblem as problem:
        raise InitError(f"{spec}: {problem.message}") from None
    doc = contract.doc
    info = doc.get("info") or {}
    relative = os.path.relpath(spec.resolve(), output.resolve().parent)
    integration: dict[str, Any] = {
        "name": _slug(str(info.get("title", "")).lower(), "api"),
        "base_url": _base_url(doc, base_url),
        "openapi": {"spec": Path(relative).as_posix()},
        "probes": [],
    }
    result = Plan({"integrations": [integration]})
    result.secured = bool(doc.get("security"))
    names: set[str] = set()
    for template, item in (doc.get("paths") or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            op = item.get(method) if isinstance(item, dict) else None
            if not isinstance(op, dict):
                continue
            label = f"{method.upper()} {template}"
            if method != "get":
                result.skipped.append(f"{label}: not a safe operation")
                continue
            step, why = _step(doc, template, item, op)
            if step is None:
                result.skipped.append(f"{label}: {why}")
                continue
            result.secured = result.secured or bool(op.get("security"))
            name = _slug(str(op.get("operationId") or ""), "") or _slug(
                f"get-{template}".replace("{", "").replace("}", ""), "get")
            while name in names:
                name += "-2"
            names.add(name)
            integration["probes"].append({"name": name, "steps": [step]})
            result.probes.append(f"{name}: {label}")
    if not integration["probes"]:
        raise InitError(f"{spec}: no GET operation whose required parameters the document "
                        "gives values for; nothing to probe")
    return result


def render(result: Plan, spec: Path) -> str:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: keys stay in the order written here
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(result.config, out)
    header = [f"# Written by `seamwatch init --from-openapi {spec}`: one probe per safe",
              "# operation, each response checked against the document (README, OpenAPI",
              "# contracts). Check it with `seamwatch check`, try it with `seamwatch once`."]
    if result.secured:
        header.append("# The document declares security requirements: add an `auth:` block to the "
                      "integration.")
    header += [f"# Skipped {line}" for line in result.skipped]
    return "\n".join(header) + "\n" + out.getvalue()


def init_from_openapi(spec: Path, output: Path | None, base_url: str | None,
                      force: bool = False) -> str:
    """Write the config (to stdout when `output` is None); returns the summary to print."""
    target = output or Path(os.devnull)
    if output is not None and output.exists() and not force:
        raise InitError(f"{output} exists; choose another --output or pass --force")
    result = plan(spec, output or Path.cwd() / "seamwatch.yaml", base_url)
    text = render(result, spec)
    if output is None:
        print(text, end="")
    else:
        target.write_text(text, encoding="utf-8")
    where = str(output) if output is not None else "standard output"
    lines = [f"wrote {where}: {len(result.probes)} probe{'s' * (len(result.probes) != 1)}"]
    lines += [f"  {line}" for line in result.probes]
    lines += [f"  skipped {line}" for line in result.skipped]
    return "\n".join(lines)
