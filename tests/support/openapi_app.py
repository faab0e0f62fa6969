"""A loopback API driven by an OpenAPI document: each operation answers with its first declared
success response, its status, its headers' and body's examples. `use(doc)` switches the document
it serves (a provider publishing a new version); `serve_spec` also serves a document itself at
`/openapi.json` (for specs fetched by URL). Counts requests by path and records the
Authorization header each one carried."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _example(node: dict[str, Any]) -> Any:
    if "example" in node:
        return node["example"]
    examples = node.get("examples")
    if isinstance(examples, dict) and examples:
        return next(iter(examples.values())).get("value")
    return None


class OpenApiApp:
    def __init__(self, doc: dict[str, Any], spec: dict[str, Any] | None = None) -> None:
        self.doc = doc
        self.spec = spec  # served at /openapi.json when set
        self.requests: list[str] = []
        self.authorization: dict[str, str | None] = {}

    def use(self, doc: dict[str, Any]) -> None:
        self.doc = copy.deepcopy(doc)

    def _operation(self, method: str, path: str) -> dict[str, Any] | None:
        servers = self.doc.get("servers") or [{"url": "/"}]
        base = re.sub(r"^[a-z]+://[^/]+", "", servers[0]["url"]).rstrip("/")
        if not path.startswith(base):
            return None
        rest = path[len(base):] or "/"
        paths = self.doc.get("paths", {})
        for template in sorted(paths, key=lambda t: t.count("{")):  # concrete paths first
            item = paths[template]
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            wanted = "get" if method == "head" and "head" not in item else method
            if re.match(pattern, rest) and wanted in item:
                return item[wanted]  # type: ignore[no-any-return]
        return None

    def _ref(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return target  # type: ignore[no-any-return]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        path = request.url.path
        self.requests.append(path)
        self.authorization[path] = request.headers.get("authorization")
        if path == "/openapi.json" and self.spec is not None:
            await Response(json.dumps(self.spec), media_type="application/json")(
                scope, receive, send)
            return
        operation = self._operation(request.method.lower(), path)
        if operation is None:
            await Response(status_code=404)(scope, receive, send)
            return
        code, response = next(iter(operation["responses"].items()))
        response = self._ref(response)
        headers = {name: str(_example(self._ref(h)))
                   for name, h in (response.get("headers") or {}).items()
                   if _example(self._ref(h)) is not None}
        content = response.get("content") or {}
        if not content:
            await Response(status_code=int(code), headers=headers)(scope, receive, send)
            return
        media, body = next(iter(content.items()))
        await Response(json.dumps(_example(body)), status_code=int(code), headers=headers,
                       media_type=media)(scope, receive, send)
