"""Receiving heartbeats: the in-memory registry of the last valid heartbeat per
`integration/probe`, and their signatures. The `serve` listener records heartbeats here; the
`heartbeat` probe kind (probes/kinds/heartbeat.py) reads them on its scheduled runs.

An integration calls the listener's `POST /heartbeat/<integration>/<probe>` (or `GET`, for a plain
`curl` from cron). With a `secret`, a heartbeat must be signed and dated:
`X-Seamwatch-Timestamp: <unix seconds>` and `X-Seamwatch-Signature: sha256=<hex>`, the
HMAC-SHA256 under the secret of `"<timestamp>." + body` (the raw body; empty for a `GET`). The
timestamp must be within 5 minutes of seamwatch's clock, so a captured request cannot be replayed
later to fake liveness. A request for a probe that is not configured is answered exactly like a
wrong signature (401, same body), so the listener does not reveal which probes exist.

Before a probe's first heartbeat the time seamwatch started knowing the probe counts as its last
heartbeat. `serve` stores the last heartbeat times and restores them at its next start
(`restore`, `seen`; storage/inbound.py), so a restart does not reset a silent integration's
clock. A heartbeat probe with `signature:` also receives a provider's webhooks at
`/webhook/<integration>/<probe>` (seamwatch/webhooks.py verifies them and calls `note`); every
receipt, valid or not, goes into the probe's receipt window (probes/webhooks/window.py).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from core.types import Secret, format_duration
from probes.webhooks.spec import SignatureSpec
from probes.webhooks.window import Outcome, ReceiptWindow, WindowStats

SIGNATURE_HEADER = "X-Seamwatch-Signature"
TIMESTAMP_HEADER = "X-Seamwatch-Timestamp"
MAX_BODY = 64 * 1024
MAX_SKEW_S = 300.0
MISMATCH = (f"signature does not match (HMAC-SHA256 of \"<{TIMESTAMP_HEADER}>.\" + the raw "
            "body under the secret)")


def sign(secret: str, body: bytes, timestamp: str) -> str:
    """The `X-Seamwatch-Signature` value for `body` sent with `X-Seamwatch-Timestamp:
    <timestamp>`."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name.lower()) or headers.get(name)


def verify(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> str | None:
    """None when the request is signed and dated correctly, else why not (never echoes the
    secret; depends on the secret only through the final comparison)."""
    given = _header(headers, SIGNATURE_HEADER)
    if not given:
        return f"missing {SIGNATURE_HEADER} header"
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not timestamp:
        return (f"missing {TIMESTAMP_HEADER} header (unix seconds; the signature covers "
                f"\"<timestamp>.\" + body)")
    try:
        sent = float(timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} is not a number of seconds"
    if not math.isfinite(sent) or abs(now - sent) > MAX_SKEW_S:
        return f"{TIMESTAMP_HEADER} is more than {format_duration(MAX_SKEW_S)} off"
    expected = sign(secret, body, timestamp)
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return MISMATCH
    return None


class HeartbeatSpec(Protocol):
    """What the registry reads of a heartbeat probe's config (HeartbeatProbe,
    probes/kinds/heartbeat.py)."""

    @property
    def secret(self) -> Secret | None: ...

    @property
    def signature(self) -> SignatureSpec | None: ...  # set: it receives webhooks, not heartbeats


@dataclass(frozen=True, slots=True)
class Received:
    """The listener's answer to one heartbeat request."""

    status: int  # 200 or 401
    error: str | None = None
    known: bool = True  # False: no such heartbeat probe (for the log only, never the answer)


@dataclass(frozen=True, slots=True)
class LastBeat:
    age_s: float
    at: datetime  # wall clock, UTC
    received: bool  # False: no heartbeat yet, `at` is when seamwatch started knowing the probe


class HeartbeatRegistry:
    """The last valid heartbeat per `integration/probe`, and the heartbeat probes of the running
    config (for the listener's 404 and signature checks). Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._specs: dict[str, HeartbeatSpec] = {}
        self._last: dict[str, tuple[float, float, bool]] = {}  # monotonic, wall, received
        self._windows: dict[str, ReceiptWindow] = {}
        # Requests for unknown probes are checked against this throwaway secret, so they get
        # the same answer (and take the same time) as a wrong signature.
        self._decoy = secrets.token_hex(32)

    def configure(self, probes: Iterable[tuple[str, HeartbeatSpec]]) -> None:
        """Make the registry match the config: new probes start their clock now, removed ones
        are forgotten, kept ones keep their last heartbeat."""
        specs = dict(probes)
        now = (self._clock(), self._wall(), False)
        with self._lock:
            self._specs = specs
            self._last = {key: self._last.get(key, now) for key in specs}
            self._windows = {key: self._windows.get(key) or ReceiptWindow() for key in specs}

    def ensure(self, key: str, probe: HeartbeatSpec) -> None:
        """Know `key` (starting its clock now) if the config did not announce it."""
        with self._lock:
            if key not in self._specs:
                self._specs[key] = probe
                self._last[key] = (self._clock(), self._wall(), False)
                self._windows[key] = ReceiptWindow()

    def spec(self, key: str) -> HeartbeatSpec | None:
        with self._lock:
            return self._specs.get(key)

    def beat(self, key: str) -> None:
        self.note(key, Outcome.ACCEPTED)

    def note(self, key: str, outcome: Outcome, lag_s: float | None = None) -> None:
        """Record one receipt; an authentic one (accepted or duplicate) is a heartbeat."""
        with self._lock:
            if key not in self._specs:
                return
            now = self._clock()
            self._windows[key].add(now, outcome, lag_s)
            if outcome is not Outcome.REJECTED:
                self._last[key] = (now, self._wall(), True)

    def window(self, key: str, seconds: float) -> WindowStats | None:
        with self._lock:
            found = self._windows.get(key)
            return None if found is None else found.stats(self._clock(), seconds)

    def restore(self, seen: Mapping[str, float]) -> None:
        """Take the last heartbeat times (unix seconds) a previous `serve` stored, for probes
        that have none newer."""
        with self._lock:
            mono, wall = self._clock(), self._wall()
            for key, at in seen.items():
                current = self._last.get(key)
                if current is None or (current[2] and current[1] >= at):
                    continue
                self._last[key] = (mono - max(0.0, wall - at), at, True)

    def seen(self) -> dict[str, float]:
        """The last heartbeat time (unix seconds) of every probe that received one."""
        with self._lock:
            return {key: wall for key, (_, wall, received) in self._last.items() if received}

    def receive(self, key: str, body: bytes, headers: Mapping[str, str]) -> Received:
        """Check one heartbeat request and record it if valid. An unknown probe is answered
        like a configured one with a secret and a wrong signature."""
        spec = self.spec(key)
        if spec is None or spec.signature is not None:  # a webhook endpoint: no unsigned beats
            decoy = verify(self._decoy, body, headers, self._wall())
            return Received(401, decoy or MISMATCH, known=False)
        lag = None
        if spec.secret is not None:
            now = self._wall()
            problem = verify(spec.secret.get_secret_value(), body, headers, now)
            if problem is not None:
                self.note(key, Outcome.REJECTED)
                return Received(401, problem)
            lag = now - float(_header(headers, TIMESTAMP_HEADER) or now)
        self.note(key, Outcome.ACCEPTED, lag)
        return Received(200)

    def last(self, key: str) -> LastBeat | None:
        with self._lock:
            found = self._last.get(key)
        if found is None:
            return None
        mono, wall, received = found
        return LastBeat(max(0.0, self._clock() - mono), datetime.fromtimestamp(wall, UTC),
                        received)
