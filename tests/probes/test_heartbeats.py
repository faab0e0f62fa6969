"""Receiving heartbeats (probes/heartbeats.py): signatures, the registry of last heartbeats, and
the listener endpoint that feeds it (in process)."""

from __future__ import annotations

import time

import httpx

from probes.heartbeats import MAX_BODY, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify
from seamwatch.listener import build_app
from tests.probes.conftest import StepClock, heartbeat_probe, heartbeat_registry

SECRET = "hb-s3cret-value"


# ------------------------------------------------------------------------------ signatures


def test_signature_with_and_without_timestamp() -> None:
    body = b'{"job": "export"}'
    now = time.time()
    assert verify(SECRET, body, {SIGNATURE_HEADER: sign(SECRET, body)}, now) is None
    stamp = str(int(now))
    signed = {SIGNATURE_HEADER: sign(SECRET, body, stamp), TIMESTAMP_HEADER: stamp}
    assert verify(SECRET, body, signed, now) is None
    assert "more than 5m off" in (verify(SECRET, body, signed, now + 301) or "")
    assert "missing" in (verify(SECRET, body, {}, now) or "")
    wrong = {SIGNATURE_HEADER: sign("other-secret", body)}
    assert "does not match" in (verify(SECRET, body, wrong, now) or "")
    tampered = {SIGNATURE_HEADER: sign(SECRET, body)}
    assert "does not match" in (verify(SECRET, body + b" ", tampered, now) or "")
    not_a_number = {SIGNATURE_HEADER: sign(SECRET, body, "soon"), TIMESTAMP_HEADER: "soon"}
    assert "not a number" in (verify(SECRET, body, not_a_number, now) or "")


def test_receive_answers_404_401_200_and_never_echoes_the_secret() -> None:
    clock = StepClock()
    registry = heartbeat_registry(clock, nightly=heartbeat_probe(secret=SECRET))
    assert registry.receive("it/other", b"", {}).status == 404
    rejected = registry.receive("it/nightly", b"x", {SIGNATURE_HEADER: "sha256=00"})
    assert rejected.status == 401 and SECRET not in (rejected.error or "")
    clock.t += 30
    assert registry.receive("it/nightly", b"x", {SIGNATURE_HEADER: sign(SECRET, b"x")}).status \
        == 200
    last = registry.last("it/nightly")
    assert last is not None and last.received and last.age_s == 0.0


# -------------------------------------------------------------------------------- registry


def test_clock_starts_when_the_probe_is_configured_and_survives_reconfiguring() -> None:
    clock = StepClock()
    registry = heartbeat_registry(clock, nightly=heartbeat_probe())
    clock.t += 50
    registry.beat("it/nightly")
    clock.t += 20
    registry.configure([("it/nightly", heartbeat_probe()), ("it/new", heartbeat_probe())])
    nightly, new = registry.last("it/nightly"), registry.last("it/new")
    assert nightly is not None and nightly.received and nightly.age_s == 20
    assert new is not None and not new.received and new.age_s == 0
    registry.configure([("it/new", heartbeat_probe())])
    assert registry.last("it/nightly") is None and registry.spec("it/nightly") is None
    registry.beat("it/nightly")  # a removed probe's late heartbeat is ignored
    assert registry.last("it/nightly") is None


# -------------------------------------------------------------------------------- listener


async def test_listener_endpoint() -> None:
    registry = heartbeat_registry(StepClock(), nightly=heartbeat_probe(secret=SECRET),
                                  cron=heartbeat_probe())
    app = build_app(None, lambda: {"ok": True}, registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://listener") as client:
        body = b'{"status": "done"}'
        ok = await client.post("/heartbeat/it/nightly", content=body,
                               headers={SIGNATURE_HEADER: sign(SECRET, body)})
        assert (ok.status_code, ok.json()) == (200, {"ok": True})
        bad = await client.post("/heartbeat/it/nightly", content=body,
                                headers={SIGNATURE_HEADER: sign(SECRET, b"other")})
        assert bad.status_code == 401 and bad.json()["ok"] is False
        assert (await client.get("/heartbeat/it/nightly")).status_code == 401
        assert (await client.get("/heartbeat/it/cron")).status_code == 200
        assert (await client.post("/heartbeat/it/cron", content=b"done")).status_code == 200
        assert (await client.post("/heartbeat/it/unknown")).status_code == 404
        assert (await client.post("/heartbeat/other/cron")).status_code == 404
        big = b"x" * (MAX_BODY + 1)
        too_big = await client.post("/heartbeat/it/nightly", content=big,
                                    headers={SIGNATURE_HEADER: sign(SECRET, big)})
        assert too_big.status_code == 413
        assert (await client.put("/heartbeat/it/cron")).status_code == 405
