"""A misbehaving-on-request test API (Starlette, run under UvicornThread) and raw-socket handlers.

Routes (all under the server's base URL):
- `/v1/items` GET list / POST create (201), `/v1/items/{id}` GET / DELETE (204, 404)
- `/status/{code}?retry_after=N` that status, optional Retry-After
- `/delay?s=5` answer after a delay; `/drip?interval=…&chunks=…` a body a few bytes at a time
- `/invalid-json`, `/shape?renamed=1` (renamed field), `/shape/counted` (renamed after N calls)
- `/huge?mb=N`, `/gzip-bomb` (small compressed, huge decoded), `/gzip-json`
- `/redirect-loop`, `/redirect`
- `/ratelimit?style=x|ietf|combined|draft|epoch&remaining=N`, `/headers`
- `/protected` needs `Authorization: Bearer <token in TestApi.valid_tokens>` (401; 403 for
  a token in `TestApi.forbidden_tokens`)
- `/echo-auth?status=N` echoes the request's Authorization header in the body (redaction tests)
- `/echo` POST echoes the JSON, form or text body and the query string
- `/echo-at?header=NAME&pad=N&status=S` answers `{"you_sent": "p" * N + <that request header>}`
  (puts an echoed secret exactly where a message would be cut)
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

BOMB_DECODED = 64 * 1024 * 1024


class TestApi:
    """The app plus the state tests poke at (tokens, counters)."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {
            "it_1": {"id": "it_1", "name": "first", "price": 10, "active": True}
        }
        self.valid_tokens: set[str] = {"good-token"}
        self.forbidden_tokens: set[str] = {"forbidden-token"}
        self.shape_calls = 0
        self.shape_after = 2
        self._bomb: bytes | None = None
        self.app = Starlette(routes=[
            Route("/v1/items", self.list_items, methods=["GET"]),
            Route("/v1/items", self.create_item, methods=["POST"]),
            Route("/v1/items/{item_id}", self.get_item, methods=["GET"]),
            Route("/v1/items/{item_id}", self.delete_item, methods=["DELETE"]),
            Route("/status/{code:int}", self.status,
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
            Route("/delay", self.delay),
            Route("/drip", self.drip),
            Route("/invalid-json", self.invalid_json),
            Route("/shape", self.shape),
            Route("/shape/counted", self.shape_counted),
            Route("/huge", self.huge),
            Route("/gzip-bomb", self.gzip_bomb),
            Route("/gzip-json", self.gzip_json),
            Route("/redirect-loop", self.redirect_loop),
            Route("/redirect", self.redirect),
            Route("/ratelimit", self.ratelimit),
            Route("/headers", self.headers),
            Route("/protected", self.protected),
            Route("/echo-auth", self.echo_auth),
            Route("/echo", self.echo, methods=["POST", "PUT"]),
            Route("/echo-at", self.echo_at),
        ])

    async def list_items(self, request: Request) -> Response:
        return JSONResponse({"data": list(self.items.values()), "count": len(self.items)})

    async def create_item(self, request: Request) -> Response:
        payload = await request.json()
        item_id = f"it_{len(self.items) + 1}_{int(time.time() * 1000) % 100000}"
        self.items[item_id] = {"id": item_id, **payload}
        return JSONResponse(self.items[item_id], status_code=201)

    async def get_item(self, request: Request) -> Response:
        item = self.items.get(request.path_params["item_id"])
        if item is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(item)

    async def delete_item(self, request: Request) -> Response:
        if self.items.pop(request.path_params["item_id"], None) is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(status_code=204)

    async def status(self, request: Request) -> Response:
        code = request.path_params["code"]
        headers = {}
        if "retry_after" in request.query_params:
            headers["Retry-After"] = request.query_params["retry_after"]
        return JSONResponse({"error": f"status {code}"}, status_code=code, headers=headers)

    async def delay(self, request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("s", "5")))
        return JSONResponse({"ok": True})

    async def drip(self, request: Request) -> Response:
        interval = float(request.query_params.get("interval", "0.05"))
        chunks = int(request.query_params.get("chunks", "100000"))

        async def body() -> AsyncIterator[bytes]:
            for _ in range(chunks):
                yield b"x"
                await asyncio.sleep(interval)

        return StreamingResponse(body(), media_type="text/plain")

    async def invalid_json(self, request: Request) -> Response:
        return Response(b'{"data": [1, 2,', media_type="application/json")

    def _shape(self, renamed: bool) -> Response:
        key = "amount_cents" if renamed else "amount"
        return JSONResponse({"id": "ch_1", key: 1250, "currency": "eur"})

    async def shape(self, request: Request) -> Response:
        return self._shape(request.query_params.get("renamed") == "1")

    async def shape_counted(self, request: Request) -> Response:
        self.shape_calls += 1
        return self._shape(self.shape_calls > self.shape_after)

    async def huge(self, request: Request) -> Response:
        megabytes = int(request.query_params.get("mb", "64"))
        block = b"y" * 65536

        async def body() -> AsyncIterator[bytes]:
            for _ in range(megabytes * 16):
                yield block

        return StreamingResponse(body(), media_type="application/octet-stream")

    async def gzip_bomb(self, request: Request) -> Response:
        if self._bomb is None:
            self._bomb = gzip.compress(b"\0" * BOMB_DECODED, compresslevel=9)
        return Response(self._bomb, media_type="application/json",
                        headers={"Content-Encoding": "gzip"})

    async def gzip_json(self, request: Request) -> Response:
        body = gzip.compress(json.dumps({"id": "ch_1", "zipped": True}).encode())
        return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})

    async def redirect_loop(self, request: Request) -> Response:
        hop = int(request.query_params.get("hop", "0"))
        return RedirectResponse(f"/redirect-loop?hop={(hop + 1) % 2}", status_code=302)

    async def redirect(self, request: Request) -> Response:
        return RedirectResponse("/v1/items", status_code=302)

    async def ratelimit(self, request: Request) -> Response:
        style = request.query_params.get("style", "x")
        remaining = request.query_params.get("remaining", "42")
        headers = {
            "x": {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": remaining,
                  "X-RateLimit-Reset": "30"},
            "ietf": {"RateLimit-Limit": "100", "RateLimit-Remaining": remaining,
                     "RateLimit-Reset": "30"},
            "combined": {"RateLimit": f"limit=100, remaining={remaining}, reset=30"},
            "draft": {"RateLimit": f'"default";r={remaining};t=30',
                      "RateLimit-Policy": '"default";q=100;w=60'},
            "epoch": {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": remaining,
                      "X-RateLimit-Reset": str(int(time.time()) + 30)},
        }[style]
        return JSONResponse({"ok": True}, headers=headers)

    async def headers(self, request: Request) -> Response:
        return PlainTextResponse("hello seamwatch", headers={"X-Version": "2.4.1"})

    async def protected(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.valid_tokens:
            return JSONResponse({"ok": True, "user": "probe"})
        if token in self.forbidden_tokens:
            return JSONResponse({"error": "forbidden"}, status_code=403)
        return JSONResponse({"error": "unauthorized", "got": token}, status_code=401)

    async def echo_auth(self, request: Request) -> Response:
        status = int(request.query_params.get("status", "200"))
        return JSONResponse({"you_sent": request.headers.get("authorization")}, status_code=status)

    async def echo_at(self, request: Request) -> Response:
        status = int(request.query_params.get("status", "200"))
        pad = "p" * int(request.query_params.get("pad", "0"))
        value = request.headers.get(request.query_params.get("header", "authorization"), "")
        return JSONResponse({"you_sent": pad + value}, status_code=status)

    async def echo(self, request: Request) -> Response:
        raw = await request.body()
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            body: Any = json.loads(raw)
        elif kind.startswith("application/x-www-form-urlencoded"):
            body = dict((await request.form()).items())
        else:
            body = raw.decode()
        return JSONResponse({"body": body, "query": dict(request.query_params),
                             "headers": {"x-probe": request.headers.get("x-probe")}})


# ---------------------------------------------------------------- raw-socket behaviours


def read_request_head(conn: socket.socket) -> None:
    """Read until the end of the request headers (or the peer hangs up)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def never_answer(conn: socket.socket) -> None:
    """Accept, read, and never answer until the client hangs up."""
    while conn.recv(4096):
        pass


def reset_after_request(conn: socket.socket) -> None:
    """Read the request, then reset the connection (RST via SO_LINGER 0)."""
    read_request_head(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def close_without_response(conn: socket.socket) -> None:
    read_request_head(conn)
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def close_mid_body(conn: socket.socket) -> None:
    """Promise 1000 bytes, send 10, hang up."""
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n"
                 b"0123456789")
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def garbage(conn: socket.socket) -> None:
    """Answer an HTTP request with something that is not HTTP."""
    read_request_head(conn)
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe garbage \x01\x02\r\n\r\n")
    while conn.recv(4096):
        pass


def padded_echo(pad: int) -> Callable[[socket.socket], None]:
    """A line protocol that answers `"p" * pad` and the line it got back (then hangs up)."""

    def handle(conn: socket.socket) -> None:
        data = b""
        while b"\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        conn.sendall(b"p" * pad + data)
        conn.close()

    return handle


def tcp_echo_banner(conn: socket.socket) -> None:
    """A line protocol: `PING` -> `PONG seamwatch`, anything else -> `ERR`."""
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk
    conn.sendall(b"PONG seamwatch\r\n" if data.strip() == b"PING" else b"ERR unknown\r\n")
    conn.close()
