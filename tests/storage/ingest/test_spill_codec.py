"""The spill file's codec is lossless: every field of a run, expiries and step notes included,
comes back as it was (a run kept through a database outage loses nothing)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from probes.result import (
    Category,
    Expiry,
    ExpiryKind,
    Failure,
    PhaseTimings,
    ProbeResult,
    RateLimit,
    RunStatus,
    StepResult,
    StepStatus,
)
from storage.ingest.spill import decode_result, encode_result


def test_every_field_round_trips_through_json() -> None:
    run = ProbeResult(
        integration="github", probe="search", kind="http", status=RunStatus.DEGRADED,
        started_at=datetime(2026, 12, 1, 4, 0, 0, 123456, tzinfo=UTC), latency_ms=12.5,
        steps=[
            StepResult("find", StepStatus.OK, 10.0, 200, PhaseTimings(1.0, 2.0, 3.0, 4.0, 5.0),
                       RateLimit(5000, 12, 60.0, None, "search"),
                       note="redirected to another origin; credential withheld"),
            StepResult("next", StepStatus.FAILED, 2.5, 500,
                       failure=Failure(Category.SERVER_ERROR, "http_500", "boom")),
        ],
        failure=None, failed_step=None, attempts=2, location="eu-west",
        credential_ttl_s=3600.0, cert_days_left=12.5, degraded_reason="passed on attempt 2",
        expiries=[Expiry(ExpiryKind.CERTIFICATE, "api.github.com:443", 1_800_000_000.0),
                  Expiry(ExpiryKind.REFRESH_TOKEN, "refresh token", 1_790_000_000.0, 86400.0)],
    )
    assert decode_result(json.loads(json.dumps(encode_result(run)))) == run


def test_a_line_written_before_expiries_existed_still_reads() -> None:
    old = encode_result(ProbeResult("a", "b", "http", RunStatus.OK,
                                    datetime(2026, 1, 1, tzinfo=UTC), 1.0))
    del old["expiries"]
    assert decode_result(old).expiries == []
