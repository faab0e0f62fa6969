"""Error classification: exceptions and HTTP statuses -> the closed category set (README, Run
status and error categories).

Every failure gets a category, a short machine `reason` and a human message. Messages built here
are NOT redacted (this module knows no secrets): callers pass them through their redactor.

| category       | reasons                                                                   |
|----------------|---------------------------------------------------------------------------|
| timeout        | connect_timeout, read_timeout, write_timeout, pool_timeout,               |
|                | tls_handshake_timeout, deadline                                           |
| dns            | dns_failure                                                               |
| connection     | refused, reset, closed_early, protocol_error, unreachable, proxy_error,   |
|                | connect_error                                                             |
| tls            | cert_expired, cert_not_yet_valid, cert_untrusted, cert_hostname_mismatch, |
|                | cert_revoked, cert_invalid, tls_handshake                                 |
| auth           | http_401, http_403 (plus the auth strategies' own reasons)                |
| rate_limited   | http_429, http_503 (only with Retry-After)                                |
| server_error   | http_5xx, redirect_loop (a server that redirects forever is misconfigured)|
| client_error   | http_4xx                                                                  |
| schema         | decoding_error (a Content-Encoding that does not decode)                  |
| config         | unsupported_url, invalid_url, invalid_request                             |
| internal       | internal_error                                                            |
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import httpx

from core.errors import exception_chain
from probes.credentials import AuthError
from probes.result import Category, Failure

_TIMEOUTS: dict[type[BaseException], str] = {
    httpx.ConnectTimeout: "connect_timeout",
    httpx.ReadTimeout: "read_timeout",
    httpx.WriteTimeout: "write_timeout",
    httpx.PoolTimeout: "pool_timeout",
}

# OpenSSL X509_V_ERR_* verify codes -> reason.
_VERIFY_CODES = {
    2: "cert_untrusted",  # unable to get issuer certificate
    9: "cert_not_yet_valid",
    10: "cert_expired",
    18: "cert_untrusted",  # self-signed leaf
    19: "cert_untrusted",  # self-signed certificate in chain
    20: "cert_untrusted",  # unable to get local issuer certificate
    21: "cert_untrusted",  # unable to verify the first certificate
    23: "cert_revoked",
    62: "cert_hostname_mismatch",
    64: "cert_hostname_mismatch",  # IP address mismatch
}

# h11/httpcore messages for a peer that hung up mid-exchange (matched as prefixes: the rest of a
# protocol error message can contain server-controlled bytes).
_CLOSED_EARLY = ("Server disconnected", "peer closed connection", "Server closed")

_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _from_os_error(exc: BaseException) -> Failure | None:
    """Classify a low-level (socket/ssl/asyncio) error found anywhere in the chain."""
    if isinstance(exc, socket.gaierror):
        return Failure(Category.DNS, "dns_failure", f"name did not resolve: {exc.strerror or exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = _VERIFY_CODES.get(getattr(exc, "verify_code", 0), "cert_invalid")
        detail = getattr(exc, "verify_message", None) or str(exc)
        return Failure(Category.TLS, reason, f"certificate verification failed: {detail}")
    if isinstance(exc, ssl.SSLError):
        detail = getattr(exc, "reason", None) or exc
        return Failure(Category.TLS, "tls_handshake", f"TLS handshake failed: {detail}")
    if isinstance(exc, ConnectionRefusedError):
        return Failure(Category.CONNECTION, "refused", "connection refused")
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return Failure(Category.CONNECTION, "reset", f"connection reset by peer ({_describe(exc)})")
    if isinstance(exc, UnicodeError) and "idna" in str(exc):
        # Python's own IDNA check (a label over 63 octets, an empty label) rejects the name
        # before any lookup: it cannot resolve.
        return Failure(Category.DNS, "dns_failure", "host name is not valid in DNS")
    if isinstance(exc, asyncio.IncompleteReadError):
        return Failure(Category.CONNECTION, "closed_early", "connection closed before a reply")
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return Failure(Category.CONNECTION, "unreachable", f"host unreachable: {exc.strerror}")
    return None


def classify_exception(exc: BaseException) -> Failure:
    """Map any exception raised while probing to a Failure (never raises)."""
    try:
        return _classify(exc)
    except Exception:  # pragma: no cover - a malformed exception object
        message = f"unexpected error: {type(exc).__name__}"
        return Failure(Category.INTERNAL, "internal_error", message)


def _classify(exc: BaseException) -> Failure:
    if isinstance(exc, AuthError):
        return exc.failure
    if isinstance(exc, httpx.TimeoutException):
        reason = _TIMEOUTS.get(type(exc), "read_timeout")
        # A TLS handshake that stalls surfaces as ConnectTimeout from start_tls; keep it "connect".
        return Failure(Category.TIMEOUT, reason, f"{reason.replace('_', ' ')} ({_describe(exc)})")
    if isinstance(exc, TimeoutError | asyncio.CancelledError):
        return Failure(Category.TIMEOUT, "deadline", "the run's deadline passed")
    if isinstance(exc, httpx.TooManyRedirects):
        return Failure(Category.SERVER_ERROR, "redirect_loop", f"too many redirects: {exc}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Failure(Category.CONFIG, "unsupported_url", f"unsupported URL: {exc}")
    if isinstance(exc, httpx.InvalidURL):
        return Failure(Category.CONFIG, "invalid_url", f"invalid URL: {exc}")
    if isinstance(exc, httpx.LocalProtocolError):
        return Failure(Category.CONFIG, "invalid_request", f"request cannot be sent: {exc}")
    if isinstance(exc, httpx.DecodingError):
        return Failure(Category.SCHEMA, "decoding_error", f"body does not decode: {exc}")
    if isinstance(exc, httpx.ProxyError):
        return Failure(Category.CONNECTION, "proxy_error", _describe(exc))
    for inner in exception_chain(exc):
        failure = _from_os_error(inner)
        if failure is not None:
            return failure
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if text.startswith(_CLOSED_EARLY):
            return Failure(Category.CONNECTION, "closed_early", f"connection closed early: {text}")
        return Failure(Category.CONNECTION, "protocol_error", f"protocol error: {text}")
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return Failure(Category.CONNECTION, "closed_early", f"connection lost: {_describe(exc)}")
    if isinstance(exc, httpx.ConnectError):
        return Failure(Category.CONNECTION, "connect_error", f"cannot connect: {_describe(exc)}")
    if isinstance(exc, httpx.TransportError):
        return Failure(Category.CONNECTION, "protocol_error", _describe(exc))
    if isinstance(exc, ConnectionError | EOFError):
        return Failure(Category.CONNECTION, "closed_early", _describe(exc))
    return Failure(Category.INTERNAL, "internal_error", f"unexpected error: {_describe(exc)}")


def classify_status(status: int, headers: httpx.Headers) -> Failure | None:
    """The failure an unexpected HTTP status means, or None for 1xx-3xx (the caller reports an
    unexpected non-error status as an assertion)."""
    if status < 400:
        return None
    reason = f"http_{status}"
    try:
        phrase = httpx.codes.get_reason_phrase(status)
    except ValueError:  # pragma: no cover - unknown codes give ""
        phrase = ""
    label = f"HTTP {status} {phrase}".strip()
    if status in (401, 403):
        return Failure(Category.AUTH, reason, f"{label}: credential rejected")
    if status == 429:
        return Failure(Category.RATE_LIMITED, reason, label)
    if status == 503 and "retry-after" in headers:
        return Failure(Category.RATE_LIMITED, reason, f"{label} with Retry-After")
    if status >= 500:
        return Failure(Category.SERVER_ERROR, reason, label)
    return Failure(Category.CLIENT_ERROR, reason, label)
