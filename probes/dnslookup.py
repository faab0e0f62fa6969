"""DNS lookups for the `dns` probe kind (probes/kinds/dns.py), as text answers or a `DnsError`
carrying the classified failure.

A and AAAA lookups without `resolver:` go through the system resolver (`getaddrinfo`, so
/etc/hosts and nsswitch apply as they do for every other probe); other record types, and any
lookup with `resolver: IP[:port]`, ask a DNS server with dnspython's asyncio resolver (the
system's nameservers from /etc/resolv.conf, or the one given).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Protocol

from probes.result import Category, Failure

_NO_ANSWER_CODES = {
    code for code in (getattr(socket, "EAI_NODATA", None), getattr(socket, "EAI_ADDRFAMILY", None))
    if code is not None
}


class DnsQuery(Protocol):
    """What a lookup reads of a `dns` probe's config (DnsProbe, probes/kinds/dns.py)."""

    @property
    def host(self) -> str: ...

    @property
    def record_type(self) -> str: ...

    @property
    def resolver(self) -> str | None: ...

    @property
    def timeout(self) -> float: ...

    @property
    def resolver_address(self) -> tuple[str, int] | None: ...


class DnsError(Exception):
    """A lookup failed; `failure` says how (category dns, timeout or config)."""

    def __init__(self, category: Category, reason: str, message: str) -> None:
        super().__init__(message)
        self.failure = Failure(category, reason, message)


async def _system_addresses(probe: DnsQuery) -> list[str]:
    family = socket.AF_INET if probe.record_type == "A" else socket.AF_INET6
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(probe.timeout):
            infos = await loop.getaddrinfo(probe.host, None, family=family,
                                           type=socket.SOCK_STREAM)
    except TimeoutError:
        raise DnsError(Category.TIMEOUT, "dns_timeout",
                       f"no answer for {probe.host} within the timeout") from None
    except socket.gaierror as exc:
        raise _gai_error(probe, exc) from None
    except UnicodeError:
        raise DnsError(Category.DNS, "dns_failure",
                       f"{probe.host!r} is not a valid DNS name") from None
    answers: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 scope id
        if address not in answers:
            answers.append(address)
    return answers


def _gai_error(probe: DnsQuery, exc: socket.gaierror) -> DnsError:
    what = f"{probe.record_type} {probe.host}"
    if exc.errno == socket.EAI_NONAME:
        return DnsError(Category.DNS, "nxdomain", f"{what}: name does not exist")
    if exc.errno in _NO_ANSWER_CODES:
        return DnsError(Category.DNS, "no_answer", f"{what}: no {probe.record_type} records")
    return DnsError(Category.DNS, "dns_failure", f"{what}: {exc.strerror or exc}")


def _rdata_text(rdata: object, record_type: str) -> str:
    if record_type in ("A", "AAAA"):
        return str(getattr(rdata, "address", rdata))
    if record_type == "MX":
        exchange = getattr(rdata, "exchange", None)
        name = exchange.to_text(omit_final_dot=True) if exchange is not None else ""
        return f"{getattr(rdata, 'preference', '')} {name.lower()}"
    if record_type == "TXT":
        chunks: tuple[bytes, ...] = getattr(rdata, "strings", ())
        return b"".join(chunks).decode("utf-8", errors="replace")
    target = getattr(rdata, "target", None)  # CNAME, NS
    return target.to_text(omit_final_dot=True).lower() if target is not None else str(rdata)


async def _dnspython_answers(probe: DnsQuery) -> list[str]:
    import dns.asyncresolver
    import dns.exception
    import dns.resolver

    what = f"{probe.record_type} {probe.host}"
    try:
        server = probe.resolver_address
        if server is None:
            resolver = dns.asyncresolver.Resolver()
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            address, port = server
            resolver.nameservers = [address]
            resolver.port = port
        resolver.timeout = resolver.lifetime = probe.timeout
        answer = await resolver.resolve(probe.host, probe.record_type, search=False)
    except dns.resolver.NXDOMAIN:
        raise DnsError(Category.DNS, "nxdomain", f"{what}: name does not exist") from None
    except dns.resolver.NoAnswer:
        raise DnsError(Category.DNS, "no_answer",
                       f"{what}: no {probe.record_type} records") from None
    except dns.exception.Timeout:
        raise DnsError(Category.TIMEOUT, "dns_timeout",
                       f"{what}: no answer from {_server(probe)} within the timeout") from None
    except dns.resolver.NoNameservers as exc:
        raise DnsError(Category.DNS, "dns_failure", f"{what}: {_first_error(exc)}") from None
    except dns.resolver.NoResolverConfiguration:
        raise DnsError(Category.CONFIG, "no_resolver",
                       "no system DNS servers (/etc/resolv.conf); set `resolver:`") from None
    except dns.exception.DNSException as exc:
        raise DnsError(Category.DNS, "dns_failure", f"{what}: {exc}") from None
    return [_rdata_text(rdata, probe.record_type) for rdata in answer]


def _server(probe: DnsQuery) -> str:
    return probe.resolver or "the system's DNS servers"


def _first_error(exc: Exception) -> str:
    """`NoNameservers` lists each server's error; the first one says enough (e.g. SERVFAIL)."""
    errors = getattr(exc, "kwargs", {}).get("errors") or []
    if errors and len(errors[0]) >= 4:
        server, _, port, error = errors[0][:4]
        return f"{server} port {port} answered {error}"
    return str(exc)


async def lookup(probe: DnsQuery) -> list[str]:
    """The answers as text: addresses, `10 mx.example.com` for MX, names without the final dot,
    TXT strings joined. Raises DnsError."""
    if probe.resolver is None and probe.record_type in ("A", "AAAA"):
        answers = await _system_addresses(probe)
    else:
        answers = await _dnspython_answers(probe)
    if not answers:
        raise DnsError(Category.DNS, "no_answer",
                       f"{probe.record_type} {probe.host}: no {probe.record_type} records")
    return answers
