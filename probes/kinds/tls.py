"""The `tls` probe kind: connect, handshake, verify chain and host name, record days left.

Days left are recorded on every run where the certificate could be read: when verification
fails (expired, untrusted, other host) a second handshake without verification fetches the
certificate so that an expired certificate still reports a negative number of days. The run's
expiries are the leaf and each intermediate of the served chain (probes/certchain.py); days left
count to the soonest of them, so an intermediate that expires first is what the probe reports.
`expect.cert_valid_days_over` failing is an `assertion` (reason `cert_expiring`): the handshake
worked, a value expectation did not. The handshake itself is in probes/certs.py.
"""

from __future__ import annotations

import contextlib
import time
from time import perf_counter
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from core.model import StrictModel
from probes.kinds.base import ProbeCommon, ProbeKind
from probes.result import (
    Attempt,
    Category,
    Expiry,
    ExpiryKind,
    Failure,
    PhaseTimings,
    StepResult,
    StepStatus,
)

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime

STEP = "handshake"


class TlsExpect(StrictModel):
    cert_valid_days_over: float | None = Field(None, ge=0)


class TlsProbe(ProbeCommon):
    type: Literal["tls"]
    host: str
    port: int = Field(443, ge=1, le=65535)
    server_name: str | None = Field(None, description="SNI and name checked; defaults to host")
    ca_file: str | None = Field(None, description="PEM bundle to trust instead of the system's")
    expect: TlsExpect = Field(default_factory=TlsExpect)


async def attempt(rt: IntegrationRuntime, probe: TlsProbe, into: Attempt) -> Attempt:
    # Imported here: running needs ssl, asyncio and httpx (the shared SSL contexts), loading the
    # config does not.
    import ssl

    from probes.certs import HandshakeTimeout, handshake
    from probes.classify import classify_exception
    from probes.http.client import resolve_path, ssl_context

    server_name = probe.server_name or probe.host
    ca_file = resolve_path(rt.base_dir, probe.ca_file) if probe.ca_file else None
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
    not_after: float | None = None
    try:
        not_after = await handshake(
            probe.host, probe.port, ctx, server_name, probe.timeout, step.phases
        )
        step.latency_ms = (perf_counter() - started) * 1000.0
    except HandshakeTimeout as exc:
        attempt.failure = exc.failure
    except Exception as exc:
        step.latency_ms = (perf_counter() - started) * 1000.0
        attempt.failure = classify_exception(exc)
        if attempt.failure.category is Category.TLS:
            # Read the certificate without verifying it, to record its days left anyway.
            with contextlib.suppress(Exception):
                not_after = await handshake(
                    probe.host, probe.port, ssl_context(None, verify=False), server_name,
                    probe.timeout, PhaseTimings(),
                )
    if step.latency_ms is None:
        step.latency_ms = (perf_counter() - started) * 1000.0
    if not_after is not None:
        attempt.cert_days_left = (not_after - time.time()) / 86400.0
        where = f"{server_name}:{probe.port}"
        attempt.expiries.append(Expiry(ExpiryKind.CERTIFICATE, where, not_after))
        await _record_chain(probe, server_name, attempt)
    limit = probe.expect.cert_valid_days_over
    days = attempt.cert_days_left
    if attempt.failure is None and limit is not None and days is not None and days <= limit:
        attempt.failure = Failure(
            Category.ASSERTION, "cert_expiring",
            f"certificate for {server_name} expires in {days:.1f} days (expected over {limit:g})",
        )
    return attempt.conclude(attempt.failure)


async def _record_chain(probe: TlsProbe, server_name: str, attempt: Attempt) -> None:
    """Each intermediate's expiry (an intermediate that expires first breaks the chain); a chain
    that cannot be read is not a failure of the probe, whose verified handshake worked."""
    from probes.certchain import served_chain

    try:
        chain = await served_chain(probe.host, probe.port, server_name, probe.timeout)
    except Exception:  # the verified handshake is the probe's verdict
        return
    for subject, not_after in chain:
        attempt.expiries.append(Expiry(ExpiryKind.INTERMEDIATE, subject, not_after))
    soonest = min((e.expires_at_s for e in attempt.expiries), default=None)
    if soonest is not None:
        attempt.cert_days_left = (soonest - time.time()) / 86400.0


KIND = ProbeKind("tls", TlsProbe, attempt)
