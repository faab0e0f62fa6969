"""A loopback HTTP receiver for alert channel tests: records every request, answers from a
script (then 200), and, given a Standard Webhooks secret, accepts a request only when its
signature verifies (401 otherwise)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.requests import Request
from starlette.responses import Response

from tests.support.cli import wait_until

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks documentation's example


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Receiver:
    def __init__(
        self, script: Iterable[tuple[int, dict[str, str]]] = (), secret: str | None = None
    ) -> None:
        self.script: deque[tuple[int, dict[str, str]]] = deque(script)
        self._verifier = Webhook(secret) if secret else None
        self.requests: list[Received] = []
        self._lock = threading.Lock()

    @property
    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, count: int, accepted: bool = False, timeout: float = 60) -> None:
        def enough() -> bool:
            return len(self.accepted if accepted else self.requests) >= count

        wait_until(enough, timeout, f"{count} {'accepted ' if accepted else ''}request(s)")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, extra = 200, {}
        if self._verifier is not None:
            try:
                self._verifier.verify(body, headers)
            except WebhookVerificationError:
                status = 401
        if status == 200:
            with self._lock:
                if self.script:
                    status, extra = self.script.popleft()
        with self._lock:
            self.requests.append(Received(request.url.path, headers, body, status))
        await Response(b"", status_code=status, headers=extra)(scope, receive, send)
