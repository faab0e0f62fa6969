"""The sandbox's fault schedule, walked with a fake clock and observed over HTTP."""

from __future__ import annotations

import pytest

from seamwatch.demo import DEFAULT_PHASES, PHASE_KINDS, FaultSchedule, Phase
from tests.demo.conftest import FakeClock, SandboxFixture


def _observe(sbx: SandboxFixture, name: str, token: str) -> None:
    """Check that the sandbox acts out phase `name` (the clock already inside it)."""
    status = sbx.client.get("/_sandbox/status").json()
    assert status["phase"] == name
    api = sbx.api(token)
    listed = api.get("/v1/customers")
    assert listed.headers["X-Sandbox-Phase"] == name
    assert "X-RateLimit-Limit" in listed.headers
    fresh = sbx.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=("seamwatch-demo", "demo-secret-not-for-production"))
    if name in ("normal", "recovery"):
        assert listed.status_code == 200
        assert all("email" in c for c in listed.json()["data"])
        assert fresh.status_code == 200
    elif name == "latency":
        assert listed.status_code == 200
        assert "X-Sandbox-Added-Latency" in listed.headers
        assert fresh.headers["X-Sandbox-Phase"] == "latency"
    elif name == "quota_low":
        assert listed.status_code == 200
        assert int(listed.headers["X-RateLimit-Remaining"]) <= 50 // 20
    elif name == "rate_limited":
        assert listed.status_code == 429
        assert int(listed.headers["Retry-After"]) >= 1
        assert listed.headers["X-RateLimit-Remaining"] == "0"
        assert fresh.status_code == 200  # the token endpoint is not throttled
    elif name == "outage":
        assert listed.status_code == 503
        assert "Retry-After" not in listed.headers  # a server error, not a rate limit
        assert fresh.status_code == 503
    elif name == "auth_rejected":
        assert fresh.status_code == 401
        assert fresh.json()["error"] == "invalid_client"
        assert listed.status_code == 200  # tokens issued before keep working until they expire
    elif name == "shape_change":
        assert listed.status_code == 200
        customers = listed.json()["data"]
        assert customers
        assert all("email_address" in c and "email" not in c for c in customers)
        assert "email_address" in api.get("/v1/customers/cus_seed0001").json()
    else:  # pragma: no cover - a new phase kind needs a check here
        raise AssertionError(f"no check for phase {name!r}")


def test_status_exposes_the_schedule(sbx_faults: SandboxFixture) -> None:
    status = sbx_faults.client.get("/_sandbox/status").json()
    assert status["phase"] == "normal"
    assert status["override"] is False
    assert status["next"] == "latency"
    assert status["cycle_s"] == 720
    assert [p["name"] for p in status["schedule"]] == [n for n, _ in DEFAULT_PHASES]
    assert status["schedule"][0]["start"] == 0
    assert all(a["end"] == b["start"] for a, b in zip(status["schedule"], status["schedule"][1:],
                                                         strict=False))
    assert {p["name"] for p in status["schedule"]} == set(PHASE_KINDS)


def test_every_phase_is_reached_and_observable(sbx_faults: SandboxFixture) -> None:
    seen: list[str] = []
    for phase in sbx_faults.sandbox.faults.phases:
        sbx_faults.at(phase.start - 0.5 if phase.start else 0)  # a token from just before
        down = seen[-1:] in (["outage"], ["auth_rejected"])  # the token endpoint refuses then
        token = _token_any(sbx_faults) if down else sbx_faults.token()
        sbx_faults.at(phase.start + 1)
        _observe(sbx_faults, phase.name, token)
        status = sbx_faults.client.get("/_sandbox/status").json()
        assert status["remaining_s"] == pytest.approx(phase.end - phase.start - 1)
        seen.append(phase.name)
    assert set(seen) == set(PHASE_KINDS)


def _token_any(sbx: SandboxFixture) -> str:
    """A valid token even while the token endpoint is down (issued by the sandbox directly)."""
    token = "sbx_test"
    sbx.sandbox.tokens[token] = sbx.clock() + 3600
    return token


def test_the_cycle_repeats(sbx_faults: SandboxFixture) -> None:
    cycle = sbx_faults.sandbox.faults.cycle_s
    sbx_faults.at(cycle * 3 + 300)
    assert sbx_faults.client.get("/_sandbox/status").json()["phase"] == "outage"
    sbx_faults.at(cycle * 3 + 1)
    assert sbx_faults.client.get("/_sandbox/status").json()["phase"] == "normal"


def test_override_pins_a_phase_for_a_while(sbx_faults: SandboxFixture) -> None:
    token = sbx_faults.token()
    forced = sbx_faults.client.post("/_sandbox/phase", json={"phase": "shape_change",
                                                             "for_s": 30})
    assert forced.status_code == 200
    assert forced.json()["phase"] == "shape_change"
    assert forced.json()["override"] is True
    _observe(sbx_faults, "shape_change", token)
    sbx_faults.clock.advance(29)
    assert sbx_faults.client.get("/_sandbox/status").json()["phase"] == "shape_change"
    sbx_faults.clock.advance(2)
    assert sbx_faults.client.get("/_sandbox/status").json()["phase"] == "normal"

    sbx_faults.client.post("/_sandbox/phase", json={"phase": "outage"})
    assert sbx_faults.client.get("/_sandbox/status").json()["phase"] == "outage"
    cleared = sbx_faults.client.post("/_sandbox/phase", json={"phase": "auto"})
    assert cleared.json()["phase"] == "normal"


def test_override_rejects_bad_requests(sbx_faults: SandboxFixture) -> None:
    unknown = sbx_faults.client.post("/_sandbox/phase", json={"phase": "meteor"})
    assert unknown.status_code == 400
    assert "outage" in unknown.json()["error"]["message"]
    assert sbx_faults.client.post("/_sandbox/phase", json={"for_s": 3}).status_code == 400
    assert sbx_faults.client.post("/_sandbox/phase", content=b"{").status_code == 400
    negative = sbx_faults.client.post("/_sandbox/phase", json={"phase": "outage", "for_s": -1})
    assert negative.status_code == 400


def test_speed_and_custom_phase_lengths() -> None:
    clock = FakeClock()
    fast = FaultSchedule.default(clock, speed=4)
    assert fast.cycle_s == pytest.approx(180)
    custom = FaultSchedule.from_lengths([("normal", 10), ("outage", 5)], clock)
    clock.advance(12)
    assert custom.now().phase.name == "outage"
    assert custom.now().remaining_s == pytest.approx(3)
    clock.advance(3)
    assert custom.now().phase.name == "normal"
    with pytest.raises(ValueError, match="speed"):
        FaultSchedule.default(clock, speed=0)


def test_schedule_must_be_contiguous_and_known() -> None:
    clock = FakeClock()
    with pytest.raises(ValueError, match="contiguous"):
        FaultSchedule([Phase("normal", 0, 10), Phase("outage", 11, 20)], clock)
    with pytest.raises(ValueError, match="unknown phase"):
        FaultSchedule([Phase("meteor", 0, 10)], clock)
    with pytest.raises(ValueError, match="at least one"):
        FaultSchedule([], clock)
