"""The shell's webhook receiver: what the listener's `POST /webhook/<integration>/<probe>` calls.
It verifies each delivery under the endpoint's `signature:` (probes/webhooks/signatures.py),
names it by delivery id (a retry repeating an id is a duplicate), hands it to the `webhook`
probes waiting on the endpoint (it satisfies probes.webhooks.inbox.WebhookInbox) and, for a
`heartbeat` probe with `signature:`, records the receipt in the heartbeat registry (passive
webhook health). A request for an endpoint that does not exist is answered like a bad signature.

Answers: 200 for an authentic delivery (also a duplicate, so the provider stops retrying), 401
with the reason for one that fails its signature or timestamp (the provider retries, and its
dashboard shows the failure)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from probes.heartbeats import HeartbeatRegistry, Received
from probes.kinds.heartbeat import HeartbeatProbe
from probes.kinds.webhook import WebhookProbe
from probes.webhooks.inbox import NOT_JSON, Delivery
from probes.webhooks.signatures import MISMATCH_MESSAGE, Verdict, delivery_id, verify
from probes.webhooks.spec import SignatureSpec
from probes.webhooks.window import Outcome

MAX_WEBHOOK_BODY = 1024 * 1024  # providers' events are bigger than heartbeats
REMEMBERED_IDS = 1024  # delivery ids kept per endpoint to recognise retries
QUEUED_PER_WAITER = 256


@dataclass(frozen=True, slots=True)
class Endpoint:
    signature: SignatureSpec | None
    passive: bool  # a heartbeat probe's: receipts go to the heartbeat registry


def webhook_endpoints(entries: Iterable[tuple[str, object]]) -> dict[str, Endpoint]:
    """The /webhook/ endpoints of a config's (key, probe) pairs."""
    found = {}
    for key, probe in entries:
        if isinstance(probe, WebhookProbe):
            found[key] = Endpoint(probe.signature, passive=False)
        elif isinstance(probe, HeartbeatProbe) and probe.signature is not None:
            found[key] = Endpoint(probe.signature, passive=True)
    return found


class _Waiter:
    """One waiting probe run's queue of deliveries (pushed from any thread)."""

    def __init__(self, owner: WebhookReceiver, key: str) -> None:
        self._owner, self._key = owner, key
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue(QUEUED_PER_WAITER)

    def push(self, delivery: Delivery) -> None:
        def put() -> None:
            if not self._queue.full():  # a flood cannot grow memory; the waiter sees enough
                self._queue.put_nowait(delivery)

        with contextlib.suppress(RuntimeError):  # the waiting run's loop is gone: nobody reads
            self._loop.call_soon_threadsafe(put)

    async def next(self, timeout: float) -> Delivery | None:
        try:
            return await asyncio.wait_for(self._queue.get(), max(0.0, timeout))
        except TimeoutError:
            return None

    def close(self) -> None:
        self._owner._unsubscribe(self._key, self)


class WebhookReceiver:
    def __init__(self, heartbeats: HeartbeatRegistry | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time,
                 on_receipt: Callable[[str, Outcome], None] | None = None) -> None:
        self._heartbeats = heartbeats
        self._on_receipt = on_receipt  # (key, outcome) of every delivery to a known endpoint
        self._clock, self._wall = clock, wall
        self._lock = threading.Lock()
        self._endpoints: dict[str, Endpoint] = {}
        self._waiters: dict[str, set[_Waiter]] = {}
        self._ids: dict[str, OrderedDict[str, None]] = {}
        self._last: dict[str, float] = {}
        self._decoy = secrets.token_bytes(32)

    def configure(self, endpoints: Mapping[str, Endpoint]) -> None:
        with self._lock:
            self._endpoints = dict(endpoints)
            self._ids = {key: self._ids.get(key, OrderedDict()) for key in endpoints}

    # ---------------------------------------------------------------- WebhookInbox
    def subscribe(self, key: str, signature: SignatureSpec | None) -> _Waiter:
        waiter = _Waiter(self, key)
        with self._lock:
            if key not in self._endpoints:
                self._endpoints[key] = Endpoint(signature, passive=False)
                self._ids[key] = OrderedDict()
            self._waiters.setdefault(key, set()).add(waiter)
        return waiter

    def _unsubscribe(self, key: str, waiter: _Waiter) -> None:
        with self._lock:
            self._waiters.get(key, set()).discard(waiter)

    def last_seen(self, key: str) -> float | None:
        with self._lock:
            return self._last.get(key)

    # ---------------------------------------------------------------- persistence
    def restore(self, seen: Mapping[str, float]) -> None:
        with self._lock:
            for key, at in seen.items():
                if key in self._endpoints and at > self._last.get(key, 0.0):
                    self._last[key] = at

    def seen(self) -> dict[str, float]:
        with self._lock:
            return {k: v for k, v in self._last.items() if k in self._endpoints}

    # ---------------------------------------------------------------- the listener's side
    def receive(self, key: str, body: bytes, headers: Mapping[str, str]) -> Received:
        with self._lock:
            endpoint = self._endpoints.get(key)
        if endpoint is None:  # the same work as a known endpoint's, then its answer
            hmac.compare_digest(hmac.new(self._decoy, body, hashlib.sha256).digest(), bytes(32))
            _parsed(body)
            return Received(401, MISMATCH_MESSAGE, known=False)
        now = self._wall()
        verdict = (verify(endpoint.signature, body, headers, now)
                   if endpoint.signature is not None else Verdict())
        doc = _parsed(body)
        named = delivery_id(endpoint.signature, headers, None if doc is NOT_JSON else doc)
        delivery = Delivery(self._clock(), now, body, doc, named, verdict,
                            verdict.ok and self._repeated(key, named))
        outcome = (Outcome.REJECTED if not verdict.ok
                   else Outcome.DUPLICATE if delivery.duplicate else Outcome.ACCEPTED)
        if endpoint.passive and self._heartbeats is not None:
            lag = None if verdict.signed_at is None else now - verdict.signed_at
            self._heartbeats.note(key, outcome, lag)
        if self._on_receipt is not None:
            self._on_receipt(key, outcome)
        with self._lock:
            if verdict.ok:
                self._last[key] = now
            waiters = list(self._waiters.get(key, ()))
        for waiter in waiters:
            waiter.push(delivery)
        return Received(200) if verdict.ok else Received(401, verdict.message)

    def _repeated(self, key: str, named: str | None) -> bool:
        if named is None:
            return False
        with self._lock:
            ids = self._ids.setdefault(key, OrderedDict())
            if named in ids:
                return True
            ids[named] = None
            if len(ids) > REMEMBERED_IDS:
                ids.popitem(last=False)
            return False


def _parsed(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return NOT_JSON
