"""Peer certificates over TLS: the handshake of a `tls` probe (probes/kinds/tls.py), reporting the
days left of the certificate it saw, and `days_left` of any SSL object (the HTTP exchange records
them for the certificates of the connections it opens). The notAfter date is read from the DER
form, without a dependency on `cryptography`."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime
from time import perf_counter

from probes.result import Category, Failure, PhaseTimings

# ------------------------------------------------------------------ certificate validity (DER)


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at `pos`."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    return tag, pos, pos + length


def not_after_from_der(der: bytes) -> datetime | None:
    """notAfter of an X.509 certificate in DER form (no dependency on `cryptography`)."""
    try:
        _, cert, _ = _tlv(der, 0)  # Certificate SEQUENCE
        _, pos, _ = _tlv(der, cert)  # tbsCertificate SEQUENCE
        tag, _, end = _tlv(der, pos)
        if tag == 0xA0:  # [0] version
            pos = end
        for _ in range(3):  # serialNumber, signature AlgorithmIdentifier, issuer Name
            _, _, pos = _tlv(der, pos)
        _, validity, _ = _tlv(der, pos)
        _, _, after_start = _tlv(der, validity)  # notBefore
        tag, start, end = _tlv(der, after_start)  # notAfter
        text = der[start:end].decode("ascii")
        fmt = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"  # UTCTime / GeneralizedTime
        return datetime.strptime(text, fmt).replace(tzinfo=UTC)
    except (IndexError, ValueError, UnicodeDecodeError):
        return None


def peer_not_after(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> float | None:
    """The peer certificate's notAfter as epoch seconds, None if unknown."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    expires = not_after_from_der(der)
    return None if expires is None else expires.timestamp()


def days_left(ssl_object: ssl.SSLObject | ssl.SSLSocket | None, now: float | None = None
              ) -> float | None:
    """Days until the peer certificate expires (negative when expired), None if unknown."""
    expires = peer_not_after(ssl_object)
    if expires is None:
        return None
    now = time.time() if now is None else now
    return (expires - now) / 86400.0


# ------------------------------------------------------------------------------ the handshake


async def handshake(
    host: str, port: int, ctx: ssl.SSLContext, server_name: str, timeout: float,
    phases: PhaseTimings,
) -> float | None:
    """Connect + TLS handshake; returns the peer certificate's notAfter (epoch seconds). A failed
    or stalled handshake aborts the socket (a graceful TLS close could wait on a peer that never
    answers)."""
    loop = asyncio.get_running_loop()
    t0 = perf_counter()
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await loop.create_connection(asyncio.Protocol, host, port)
    except TimeoutError:
        raise HandshakeTimeout("connect_timeout", "connect timed out") from None
    t1 = perf_counter()
    phases.connect_ms = (t1 - t0) * 1000.0
    try:
        async with asyncio.timeout(timeout):
            tls = await loop.start_tls(transport, protocol, ctx, server_hostname=server_name)
    except TimeoutError:
        transport.abort()
        raise HandshakeTimeout("tls_handshake_timeout", "TLS handshake timed out") from None
    except BaseException:
        transport.abort()
        raise
    phases.tls_ms = (perf_counter() - t1) * 1000.0
    if tls is None:  # only when the transport was closed underneath: treat as a reset
        transport.abort()
        raise ConnectionResetError("connection closed during the TLS handshake")
    try:
        return peer_not_after(tls.get_extra_info("ssl_object"))
    finally:
        tls.close()


class HandshakeTimeout(Exception):
    """The connect or the handshake did not finish within the timeout."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.failure = Failure(Category.TIMEOUT, reason, message)
