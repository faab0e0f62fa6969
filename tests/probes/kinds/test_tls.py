"""The tls probe kind against real trustme certificates on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from probes.kinds.tls import TlsProbe
from probes.result import StepStatus
from tests.probes.conftest import UNRESOLVABLE, AttemptOf
from tests.support.servers import TlsFiles, UvicornThread


def _probe(port: int, ca: Path | str | None, **options: Any) -> TlsProbe:
    return TlsProbe.model_validate({
        "name": "cert", "type": "tls", "host": "127.0.0.1", "port": port, "timeout": "2s",
        "ca_file": None if ca is None else str(ca), **options,
    })


async def test_valid_certificate(tls_server: UvicornThread, tls_good: TlsFiles,
                                 attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(tls_server.port, tls_good.ca_pem,
                                      expect={"cert_valid_days_over": 14}), Path("/"))
    assert attempt.failure is None, attempt.failure
    assert attempt.cert_days_left is not None and attempt.cert_days_left > 14
    step = attempt.steps[0]
    assert step.status is StepStatus.OK
    assert step.phases.connect_ms is not None and step.phases.tls_ms is not None


async def test_ca_file_relative_to_base_dir(tls_server: UvicornThread, tls_good: TlsFiles,
                                            attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(tls_server.port, tls_good.ca_pem.name),
                               tls_good.ca_pem.parent)
    assert attempt.failure is None, attempt.failure


@pytest.mark.parametrize(("server", "reason", "negative_days"), [
    ("expired_server", "cert_expired", True),
    ("wronghost_server", "cert_hostname_mismatch", False),
    ("untrusted_server", "cert_untrusted", False),
])
async def test_verification_failures_still_record_days(
    server: str, reason: str, negative_days: bool, request: pytest.FixtureRequest,
    tls_good: TlsFiles, attempt_of: AttemptOf) -> None:
    running: UvicornThread = request.getfixturevalue(server)
    attempt = await attempt_of(_probe(running.port, tls_good.ca_pem), Path("/"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("tls", reason)
    assert attempt.failed_step == "handshake"
    assert attempt.cert_days_left is not None
    assert (attempt.cert_days_left < 0) is negative_days


async def test_expiring_soon_is_an_assertion(expiring_server: UvicornThread,
                                             tls_good: TlsFiles, attempt_of: AttemptOf) -> None:
    probe = _probe(expiring_server.port, tls_good.ca_pem, expect={"cert_valid_days_over": 14})
    attempt = await attempt_of(probe, Path("/"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("assertion", "cert_expiring")
    assert attempt.cert_days_left is not None and 9 < attempt.cert_days_left <= 10


async def test_server_name_checked_against_certificate(tls_server: UvicornThread,
                                                       tls_good: TlsFiles,
                                                       attempt_of: AttemptOf) -> None:
    probe = _probe(tls_server.port, tls_good.ca_pem, server_name="api.other.example")
    attempt = await attempt_of(probe, Path("/"))
    assert attempt.failure is not None and attempt.failure.reason == "cert_hostname_mismatch"


async def test_plain_http_server_is_a_handshake_failure(api_server: UvicornThread,
                                                        attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(api_server.port, None), Path("/"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("tls", "tls_handshake")


async def test_refused_and_dns(closed_port: int, attempt_of: AttemptOf) -> None:
    refused = await attempt_of(_probe(closed_port, None), Path("/"))
    assert refused.failure is not None and refused.failure.reason == "refused"
    probe = _probe(443, None).model_copy(update={"host": UNRESOLVABLE})
    unresolved = await attempt_of(probe, Path("/"))
    assert unresolved.failure is not None and unresolved.failure.category == "dns"


async def test_connect_timeout(full_backlog_port: int, attempt_of: AttemptOf) -> None:
    probe = _probe(full_backlog_port, None).model_copy(update={"timeout": 0.3})
    attempt = await attempt_of(probe, Path("/"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("timeout", "connect_timeout")


async def test_handshake_timeout(never_answer_server: Any, attempt_of: AttemptOf) -> None:
    probe = _probe(never_answer_server.port, None).model_copy(update={"timeout": 0.3})
    attempt = await attempt_of(probe, Path("/"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("timeout",
                                                                  "tls_handshake_timeout")


async def test_missing_ca_file_is_config(tls_server: UvicornThread, tmp_path: Path,
                                         attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(tls_server.port, "nope.pem"), tmp_path)
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("config", "ca_file_unreadable")


async def test_an_intermediate_that_expires_first_is_reported(
    tmp_path: Path, attempt_of: AttemptOf,
) -> None:
    from starlette.applications import Starlette

    from probes.result import ExpiryKind
    from tests.support.certchain import make_chain

    files = make_chain(tmp_path / "chain", intermediate_days=5, leaf_days=60)
    with UvicornThread(Starlette(), tls=files) as server:
        attempt = await attempt_of(_probe(server.port, files.ca_pem,
                                          expect={"cert_valid_days_over": 14}), Path("/"))
    kinds = {e.kind: e for e in attempt.expiries}
    assert set(kinds) == {ExpiryKind.CERTIFICATE, ExpiryKind.INTERMEDIATE}
    assert kinds[ExpiryKind.INTERMEDIATE].subject == "CN=Test Issuing CA,O=seamwatch tests"
    assert kinds[ExpiryKind.CERTIFICATE].subject == f"127.0.0.1:{server.port}"
    leaf_days = (kinds[ExpiryKind.CERTIFICATE].expires_at_s - kinds[
        ExpiryKind.INTERMEDIATE].expires_at_s) / 86400
    assert round(leaf_days) == 55
    # the probe's days left (and so its expectation) count to the intermediate
    assert attempt.cert_days_left is not None and 4 < attempt.cert_days_left <= 5
    assert attempt.failure is not None and attempt.failure.reason == "cert_expiring"
