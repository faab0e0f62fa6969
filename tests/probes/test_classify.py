"""Table-driven classification of exceptions and statuses (the real-failure tests are in
http/test_exchange_categories.py; these pin the mapping for every branch)."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import httpx
import pytest

from probes.classify import classify_exception, classify_status
from probes.credentials import AuthError
from probes.result import Category, Failure


def _wrapped(outer: type[httpx.HTTPError], inner: BaseException) -> BaseException:
    """An httpx error raised from a low-level one, as httpcore's map_exceptions does."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer(str(exc)) from exc
    except httpx.HTTPError as wrapped:
        return wrapped


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    exc.verify_code = code
    exc.verify_message = message
    return exc


EXCEPTIONS: list[tuple[BaseException, Category, str]] = [
    (httpx.ConnectTimeout(""), Category.TIMEOUT, "connect_timeout"),
    (httpx.ReadTimeout(""), Category.TIMEOUT, "read_timeout"),
    (httpx.WriteTimeout(""), Category.TIMEOUT, "write_timeout"),
    (httpx.PoolTimeout(""), Category.TIMEOUT, "pool_timeout"),
    (TimeoutError(), Category.TIMEOUT, "deadline"),
    (asyncio.CancelledError(), Category.TIMEOUT, "deadline"),
    (_wrapped(httpx.ConnectError, socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
     Category.DNS, "dns_failure"),
    (UnicodeError("encoding with 'idna' codec failed"), Category.DNS, "dns_failure"),
    (_wrapped(httpx.ConnectError, ConnectionRefusedError(errno.ECONNREFUSED, "refused")),
     Category.CONNECTION, "refused"),
    (_wrapped(httpx.ReadError, ConnectionResetError(errno.ECONNRESET, "reset")),
     Category.CONNECTION, "reset"),
    (_wrapped(httpx.ConnectError, OSError(errno.EHOSTUNREACH, "No route to host")),
     Category.CONNECTION, "unreachable"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."),
     Category.CONNECTION, "closed_early"),
    (httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
     Category.CONNECTION, "closed_early"),
    (httpx.RemoteProtocolError("illegal status line: bytearray(b'closed Server disconnected')"),
     Category.CONNECTION, "protocol_error"),
    (httpx.ReadError(""), Category.CONNECTION, "closed_early"),
    (asyncio.IncompleteReadError(b"", 10), Category.CONNECTION, "closed_early"),
    (httpx.ConnectError("something else"), Category.CONNECTION, "connect_error"),
    (_wrapped(httpx.ConnectError, _verify_error(10, "certificate has expired")),
     Category.TLS, "cert_expired"),
    (_wrapped(httpx.ConnectError, _verify_error(9, "certificate is not yet valid")),
     Category.TLS, "cert_not_yet_valid"),
    (_wrapped(httpx.ConnectError, _verify_error(20, "unable to get local issuer certificate")),
     Category.TLS, "cert_untrusted"),
    (_wrapped(httpx.ConnectError, _verify_error(19, "self-signed certificate in chain")),
     Category.TLS, "cert_untrusted"),
    (_wrapped(httpx.ConnectError, _verify_error(62, "Hostname mismatch")),
     Category.TLS, "cert_hostname_mismatch"),
    (_wrapped(httpx.ConnectError, _verify_error(999, "odd")), Category.TLS, "cert_invalid"),
    (_wrapped(httpx.ConnectError, ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER]")),
     Category.TLS, "tls_handshake"),
    (httpx.TooManyRedirects("Exceeded maximum allowed redirects."),
     Category.SERVER_ERROR, "redirect_loop"),
    (httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."),
     Category.CONFIG, "unsupported_url"),
    (httpx.InvalidURL("Invalid port"), Category.CONFIG, "invalid_url"),
    (httpx.LocalProtocolError("Illegal header value"), Category.CONFIG, "invalid_request"),
    (httpx.DecodingError("Error -3 while decompressing"), Category.SCHEMA, "decoding_error"),
    (AuthError(Failure(Category.AUTH, "invalid_client", "token endpoint said no")),
     Category.AUTH, "invalid_client"),
    (RuntimeError("bug"), Category.INTERNAL, "internal_error"),
    (KeyError("x"), Category.INTERNAL, "internal_error"),
]


@pytest.mark.parametrize(("exc", "category", "reason"), EXCEPTIONS,
                         ids=[f"{type(e).__name__}-{r}" for e, _, r in EXCEPTIONS])
def test_classify_exception(exc: BaseException, category: Category, reason: str) -> None:
    failure = classify_exception(exc)
    assert (failure.category, failure.reason) == (category, reason)
    assert failure.message


STATUSES: list[tuple[int, dict[str, str], tuple[Category, str] | None]] = [
    (200, {}, None),
    (204, {}, None),
    (302, {}, None),
    (401, {}, (Category.AUTH, "http_401")),
    (403, {}, (Category.AUTH, "http_403")),
    (429, {}, (Category.RATE_LIMITED, "http_429")),
    (429, {"Retry-After": "3"}, (Category.RATE_LIMITED, "http_429")),
    (503, {"Retry-After": "120"}, (Category.RATE_LIMITED, "http_503")),
    (503, {}, (Category.SERVER_ERROR, "http_503")),
    (500, {"Retry-After": "5"}, (Category.SERVER_ERROR, "http_500")),
    (502, {}, (Category.SERVER_ERROR, "http_502")),
    (599, {}, (Category.SERVER_ERROR, "http_599")),
    (400, {}, (Category.CLIENT_ERROR, "http_400")),
    (404, {}, (Category.CLIENT_ERROR, "http_404")),
    (418, {}, (Category.CLIENT_ERROR, "http_418")),
    (499, {}, (Category.CLIENT_ERROR, "http_499")),
]


@pytest.mark.parametrize(("status", "headers", "expected"), STATUSES)
def test_classify_status(status: int, headers: dict[str, str],
                         expected: tuple[Category, str] | None) -> None:
    failure = classify_status(status, httpx.Headers(headers))
    if expected is None:
        assert failure is None
    else:
        assert failure is not None
        assert (failure.category, failure.reason) == expected
        assert str(status) in failure.message


def test_every_category_word_is_in_the_closed_set() -> None:
    produced = {classify_exception(e).category for e, _, _ in EXCEPTIONS}
    produced |= {c for _, _, x in STATUSES if x for c in [x[0]]}
    assert produced <= set(Category)
