"""The `tls` probe kind: connect, handshake, verify chain and host name, record days left.

Days left are recorded on every run where the certificate could be read: when verification
fails (expired, untrusted, other host) a second handshake without verification fetches the
certificate so that an expired certificate still reports a negative number of days.
`expect.cert_valid_days_over` failing is an `assertion` (reason `cert_expiring`): the handshake
worked, a value expectation did not.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from probes.classify import classify_exception
from probes.http.client import resolve_path, ssl_context
from probes.result import Attempt, Category, Failure, PhaseTimings, StepResult, StepStatus
from probes.spec import TlsProbe

STEP = "handshake"


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


def days_left(ssl_object: ssl.SSLObject | ssl.SSLSocket | None, now: float | None = None
              ) -> float | None:
    """Days until the peer certificate expires (negative when expired), None if unknown."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    expires = not_after_from_der(der)
    if expires is None:
        return None
    now = time.time() if now is None else now
    return (expires.timestamp() - now) / 86400.0


# ---------------------------------------------------------------------------------- the probe


async def _handshake(
    host: str, port: int, ctx: ssl.SSLContext, server_name: str, timeout: float,
    phases: PhaseTimings,
) -> float | None:
    """Connect + TLS handshake; returns the days left of the peer certificate. A failed or stalled
    handshake aborts the socket (a graceful TLS close could wait on a peer that never answers)."""
    loop = asyncio.get_running_loop()
    t0 = perf_counter()
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await loop.create_connection(asyncio.Protocol, host, port)
    except TimeoutError:
        raise _Timeout("connect_timeout", "connect timed out") from None
    t1 = perf_counter()
    phases.connect_ms = (t1 - t0) * 1000.0
    try:
        async with asyncio.timeout(timeout):
            tls = await loop.start_tls(transport, protocol, ctx, server_hostname=server_name)
    except TimeoutError:
        transport.abort()
        raise _Timeout("tls_handshake_timeout", "TLS handshake timed out") from None
    except BaseException:
        transport.abort()
        raise
    phases.tls_ms = (perf_counter() - t1) * 1000.0
    if tls is None:  # only when the transport was closed underneath: treat as a reset
        transport.abort()
        raise ConnectionResetError("connection closed during the TLS handshake")
    try:
        return days_left(tls.get_extra_info("ssl_object"))
    finally:
        tls.close()


class _Timeout(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.failure = Failure(Category.TIMEOUT, reason, message)


async def run_tls_attempt(probe: TlsProbe, base_dir: Path) -> Attempt:
    server_name = probe.server_name or probe.host
    ca_file = resolve_path(base_dir, probe.ca_file) if probe.ca_file else None
    step = StepResult(STEP, StepStatus.FAILED)
    attempt = Attempt(steps=[step])
    started = perf_counter()
    try:
        ctx = ssl_context(ca_file)
    except (OSError, ssl.SSLError) as exc:
        step.failure = attempt.failure = Failure(
            Category.CONFIG, "ca_file_unreadable", f"ca_file {probe.ca_file}: {exc}"
        )
        attempt.failed_step = STEP
        return attempt
    try:
        attempt.cert_days_left = await _handshake(
            probe.host, probe.port, ctx, server_name, probe.timeout, step.phases
        )
        step.latency_ms = (perf_counter() - started) * 1000.0
    except _Timeout as exc:
        attempt.failure = exc.failure
    except Exception as exc:
        step.latency_ms = (perf_counter() - started) * 1000.0
        attempt.failure = classify_exception(exc)
        if attempt.failure.category is Category.TLS:
            # Read the certificate without verifying it, to record its days left anyway.
            with contextlib.suppress(Exception):
                attempt.cert_days_left = await _handshake(
                    probe.host, probe.port, ssl_context(None, verify=False), server_name,
                    probe.timeout, PhaseTimings(),
                )
    if step.latency_ms is None:
        step.latency_ms = (perf_counter() - started) * 1000.0
    limit = probe.expect.cert_valid_days_over
    days = attempt.cert_days_left
    if attempt.failure is None and limit is not None and days is not None and days <= limit:
        attempt.failure = Failure(
            Category.ASSERTION, "cert_expiring",
            f"certificate for {server_name} expires in {days:.1f} days (expected over {limit:g})",
        )
    return attempt.conclude(attempt.failure)
