"""Receiving heartbeats (probes/heartbeats.py): signatures, the registry of last heartbeats, and
the listener endpoint that feeds it (the real listener on a loopback socket)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from probes.heartbeats import MAX_BODY, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify
from seamwatch.listener import build_app
from tests.probes.conftest import StepClock, heartbeat_probe, heartbeat_registry
from tests.support.listener import running_listener

SECRET = "hb-s3cret-value"


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, body, stamp)}


# ------------------------------------------------------------------------------ signatures


def test_signature_covers_the_timestamp() -> None:
    body = b'{"job": "export"}'
    now = time.time()
    assert verify(SECRET, body, signed(body, at=now), now) is None
    assert "more than 5m off" in (verify(SECRET, body, signed(body, at=now), now + 301) or "")
    assert "more than 5m off" in (verify(SECRET, body, signed(body, at=now), now - 301) or "")
    assert "missing X-Seamwatch-Signature" in (verify(SECRET, body, {}, now) or "")
    assert "does not match" in (verify(SECRET, body, signed(body, "other-secret"), now) or "")
    assert "does not match" in (verify(SECRET, body + b" ", signed(body), now) or "")
    moved = {**signed(body, at=now), TIMESTAMP_HEADER: str(int(now) + 1)}
    assert "does not match" in (verify(SECRET, body, moved, now) or "")  # the stamp is signed
    not_a_number = {SIGNATURE_HEADER: sign(SECRET, body, "soon"), TIMESTAMP_HEADER: "soon"}
    assert "not a number" in (verify(SECRET, body, not_a_number, now) or "")
    for forever in ("inf", "nan", "1e999"):
        dated = {SIGNATURE_HEADER: sign(SECRET, body, forever), TIMESTAMP_HEADER: forever}
        assert "more than 5m off" in (verify(SECRET, body, dated, now) or "")


def test_a_signature_without_timestamp_is_rejected() -> None:
    """Without the timestamp a captured request could be replayed for ever (accepted before)."""
    body = b'{"job": "export"}'
    of_the_body = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    problem = verify(SECRET, body, {SIGNATURE_HEADER: of_the_body}, time.time())
    assert problem is not None and "missing X-Seamwatch-Timestamp" in problem


def test_receive_answers_401_or_200_and_never_echoes_the_secret() -> None:
    clock = StepClock()
    registry = heartbeat_registry(clock, nightly=heartbeat_probe(secret=SECRET))
    unknown = registry.receive("it/other", b"", {})
    assert (unknown.status, unknown.known) == (401, False)
    rejected = registry.receive("it/nightly", b"x", {**signed(b"x"), SIGNATURE_HEADER: "sha256=0"})
    assert rejected.status == 401 and rejected.known and SECRET not in (rejected.error or "")
    clock.t += 30
    assert registry.receive("it/nightly", b"x", signed(b"x")).status == 200
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


@pytest.fixture
async def listener_url() -> AsyncIterator[str]:
    registry = heartbeat_registry(StepClock(), nightly=heartbeat_probe(secret=SECRET),
                                  cron=heartbeat_probe())
    async with running_listener(build_app(None, lambda: {"ok": True}, registry)) as listener:
        yield f"http://{listener.address}"


async def test_listener_endpoint(listener_url: str) -> None:
    async with httpx.AsyncClient(base_url=listener_url) as client:
        body = b'{"status": "done"}'
        ok = await client.post("/heartbeat/it/nightly", content=body, headers=signed(body))
        assert (ok.status_code, ok.json()) == (200, {"ok": True})
        bad = await client.post("/heartbeat/it/nightly", content=body,
                                headers=signed(b"other"))
        assert bad.status_code == 401 and bad.json()["ok"] is False
        assert (await client.get("/heartbeat/it/nightly", headers=signed(b""))).status_code \
            == 200
        assert (await client.get("/heartbeat/it/cron")).status_code == 200
        assert (await client.post("/heartbeat/it/cron", content=b"done")).status_code == 200
        big = b"x" * (MAX_BODY + 1)
        too_big = await client.post("/heartbeat/it/nightly", content=big, headers=signed(big))
        assert too_big.status_code == 413
        assert (await client.put("/heartbeat/it/cron")).status_code == 405


async def test_unsigned_undated_or_replayed_heartbeats_are_rejected(listener_url: str) -> None:
    async with httpx.AsyncClient(base_url=listener_url) as client:
        unsigned_get = await client.get("/heartbeat/it/nightly")
        assert unsigned_get.status_code == 401
        assert "missing X-Seamwatch-Signature" in unsigned_get.json()["error"]
        body = b"done"
        undated = {SIGNATURE_HEADER: signed(body)[SIGNATURE_HEADER]}
        reply = await client.post("/heartbeat/it/nightly", content=body, headers=undated)
        assert reply.status_code == 401
        assert "missing X-Seamwatch-Timestamp" in reply.json()["error"]
        captured = signed(body, at=time.time() - 600)  # a request recorded ten minutes ago
        replayed = await client.post("/heartbeat/it/nightly", content=body, headers=captured)
        assert replayed.status_code == 401 and "5m off" in replayed.json()["error"]


async def test_an_unknown_probe_is_answered_exactly_like_a_bad_signature(
        listener_url: str) -> None:
    """No probe-name discovery: before, an unknown probe got 404 `no heartbeat probe it/x`."""
    body = b'{"rows": 3}'
    requests: list[tuple[str, bytes, dict[str, str]]] = [
        ("GET", b"", {}),
        ("POST", body, {}),
        ("POST", body, {SIGNATURE_HEADER: "sha256=00"}),
        ("POST", body, signed(b"something else")),
        ("POST", body, signed(body, "a guessed secret")),
        ("POST", body, signed(body, at=time.time() - 3600)),
        ("POST", body, {**signed(body), TIMESTAMP_HEADER: "soon"}),
        ("POST", b"x" * (MAX_BODY + 1), {}),
    ]
    async with httpx.AsyncClient(base_url=listener_url) as client:
        for method, content, headers in requests:
            answers = set()
            for path in ("/heartbeat/it/nightly", "/heartbeat/it/ghost",
                         "/heartbeat/ghost/nightly", "/heartbeat/it/nightly%0A"):
                reply = await client.request(method, path, content=content, headers=headers)
                assert reply.status_code in (401, 413), (path, reply.text)
                answers.add((reply.status_code, reply.content,
                             reply.headers.get("content-type")))
            assert len(answers) == 1, (method, headers, answers)


def test_stored_last_heartbeats_are_restored_unless_newer_ones_arrived() -> None:
    clock = StepClock()
    registry = heartbeat_registry(clock, nightly=heartbeat_probe(), hourly=heartbeat_probe())
    assert registry.seen() == {}
    stored = time.time() - 120
    registry.beat("it/hourly")
    registry.restore({"it/nightly": stored, "it/hourly": stored, "it/gone": stored})
    nightly = registry.last("it/nightly")
    assert nightly is not None and nightly.received
    assert nightly.at.timestamp() == pytest.approx(stored) and 119 <= nightly.age_s <= 125
    hourly = registry.last("it/hourly")
    assert hourly is not None and hourly.age_s == 0  # the fresher heartbeat wins
    assert set(registry.seen()) == {"it/nightly", "it/hourly"}
    assert registry.last("it/gone") is None
