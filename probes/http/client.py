"""One `httpx.AsyncClient` per integration, and a memory-bounded body reader.

An SSL context costs ~45 ms of CPU to build, so contexts are cached per (ca_file, verify) and
shared by every client and TLS probe that trusts the same roots (httpcore only ever sets the same
ALPN list, http/1.1, on it).

Clients do their network I/O through `probes.http.netbackend.AsyncioBackend` (plain asyncio
transports instead of httpcore's anyio backend); `SEAMWATCH_NET_BACKEND=anyio` switches back to
httpcore's default backend.

The integration's headers are the client's defaults, but a secret one (a credential by its name,
or a value holding a configured secret) only goes to the integration's `base_url` origin: a request
hook takes it off any request to another origin (a token endpoint elsewhere, a python probe's
call to another host). Requests of an `http` step say which origins they may carry secrets to
(the `ALLOWED_ORIGINS` extension, probes/http/origins.py); the hook follows that.
"""

from __future__ import annotations

import os
import ssl
import zlib
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import certifi
import httpcore
import httpx

from core.redact import Redactor, is_secret_header
from probes.http.lean import use_response_cookies
from probes.http.netbackend import AsyncioBackend
from probes.http.origins import ALLOWED_ORIGINS, Origin, carries_secret, origin_of

USER_AGENT = "seamwatch"
# Only encodings read_capped can decode with a bounded output (no br/zstd even if installed).
ACCEPT_ENCODING = "gzip, deflate"
MAX_REDIRECTS = 10


class ClientSettings(Protocol):
    """What a client is built from: an integration's config (IntegrationSpec, probes/spec.py)."""

    @property
    def base_url(self) -> str | None: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def verify_tls(self) -> bool: ...

    @property
    def ca_file(self) -> str | None: ...


def ssl_context(ca_file: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """A client context trusting `ca_file` (absolute path) or the system store plus certifi's;
    `verify=False` checks nothing (for `verify_tls: false`). Cached; a CA file that changed on
    disk gets a new context. Raises OSError / ssl.SSLError for a missing or bad CA file."""
    mtime = Path(ca_file).stat().st_mtime_ns if ca_file is not None and verify else 0
    return _ssl_context(ca_file if verify else None, verify, mtime)


@lru_cache(maxsize=64)
def _ssl_context(ca_file: str | None, verify: bool, mtime: int) -> ssl.SSLContext:
    if not verify:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if ca_file is not None:
        return ssl.create_default_context(cafile=ca_file)
    ctx = ssl.create_default_context()
    ctx.load_verify_locations(cafile=certifi.where())
    return ctx


def resolve_path(base_dir: Path, name: str) -> str:
    path = Path(name).expanduser()
    return str(path if path.is_absolute() else (base_dir / path).resolve())


def build_client(
    integration: ClientSettings, base_dir: Path, *, max_connections: int, timeout_s: float,
    redactor: Redactor | None = None,
) -> httpx.AsyncClient:
    """The integration's client: base_url, default headers, trust, pool limits, no env proxies,
    and the hook that keeps secret integration headers on their origin (`redactor` tells which
    values are secrets; without it only credential-named headers count)."""
    ca_file = resolve_path(base_dir, integration.ca_file) if integration.ca_file else None
    verify = ssl_context(ca_file, integration.verify_tls)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    headers.update(integration.headers)
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return use_response_cookies(httpx.AsyncClient(
        base_url=integration.base_url or "",
        headers=headers,
        transport=_Transport(verify, limits, network_backend()),
        timeout=httpx.Timeout(timeout_s),
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        follow_redirects=False,
        event_hooks={"request": [_header_guard(integration, redactor)]},
    ))


def _header_guard(
    integration: ClientSettings, redactor: Redactor | None
) -> Callable[[httpx.Request], Awaitable[None]]:
    """The request hook: a secret integration header leaves a request bound for an origin it is
    not configured for. Without a base_url (and no ALLOWED_ORIGINS on the request) there is no
    origin to keep them to, and they go everywhere as configured."""
    home = origin_of(integration.base_url)
    configured = dict(integration.headers)

    def secret(name: str, value: str) -> bool:
        return is_secret_header(name) or (redactor is not None and carries_secret(redactor, value))

    async def guard(request: httpx.Request) -> None:
        allowed: frozenset[Origin] | None = request.extensions.get(ALLOWED_ORIGINS)
        if allowed is None:
            if home is None:
                return
            allowed = frozenset({home})
        if origin_of(request.url) in allowed:
            return
        for name, value in configured.items():
            if request.headers.get(name) == value and secret(name, value):
                del request.headers[name]

    return guard


def network_backend() -> httpcore.AsyncNetworkBackend | None:
    """The backend for new clients: ours, or None (httpcore's default, anyio) when
    `SEAMWATCH_NET_BACKEND=anyio`."""
    if os.environ.get("SEAMWATCH_NET_BACKEND", "").strip().lower() == "anyio":
        return None
    return AsyncioBackend()


class _Transport(httpx.AsyncHTTPTransport):
    """httpx's transport (HTTP/1.1 only, no proxies) over a pool using `backend`: the pool is the
    one httpx 0.28 builds in `AsyncHTTPTransport.__init__`, plus `network_backend`."""

    def __init__(self, verify: ssl.SSLContext, limits: httpx.Limits,
                 backend: httpcore.AsyncNetworkBackend | None) -> None:
        super().__init__(verify=verify, http1=True, http2=False, limits=limits, trust_env=False)
        if backend is not None:
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=verify,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                http1=True,
                http2=False,
                retries=0,
                network_backend=backend,
            )


class _Inflater:
    """gzip/deflate decoding whose output per call is capped (zlib `max_length`), so a gzip
    bomb never materialises more than the cap in memory."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        wbits = zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self.obj = zlib.decompressobj(wbits)
        self.started = False

    def decompress(self, data: bytes, max_length: int) -> bytes:
        try:
            return self.obj.decompress(data, max_length)
        except zlib.error as exc:
            if self.encoding == "deflate" and not self.started:
                # Some servers send raw deflate without the zlib header (httpx does the same).
                self.started = True
                self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decompress(data, max_length)
            raise httpx.DecodingError(f"{self.encoding} body does not decode: {exc}") from exc
        finally:
            self.started = True

    def flush(self) -> bytes:
        try:
            return self.obj.flush()
        except zlib.error as exc:  # pragma: no cover - flush rarely fails after decompress
            raise httpx.DecodingError(str(exc)) from exc


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read a streamed response's decoded body, at most `limit` bytes.

    Returns (body, too_large). Past the cap it stops reading at once (the caller closes the
    response, which drops the connection). Decoded bytes are counted, so a small compressed body
    that inflates past the cap is too large too."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflater = _Inflater(encoding) if encoding in ("gzip", "x-gzip", "deflate") else None
    if inflater is None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return b"", True
    buf = bytearray()
    async for raw in response.aiter_raw():
        chunk = raw if inflater is None else inflater.decompress(raw, limit - len(buf) + 1)
        buf += chunk
        if len(buf) > limit:
            return bytes(buf[:limit]), True
    if inflater is not None:
        buf += inflater.flush()
        if len(buf) > limit:
            return bytes(buf[:limit]), True
    return bytes(buf), False
