"""`ProbeFailure`: how a `python` probe's function says *why* its integration is broken.

    from probes import ProbeFailure

    def check(ctx, **args):
        if not client.ping():
            raise ProbeFailure("connection", "ping_failed", "the SDK could not reach the service")

`category` is one of the closed set of README "Run status and error categories" (a `Category`
or its name); `reason` a short machine code; `message` what a person reads (secrets are redacted
before it is stored). Anything else a probe function raises is classified like any transport
error (refused, timeout, DNS…) or, failing that, reported as `internal`.
"""

from __future__ import annotations

from probes.result import Category


class ProbeFailure(Exception):
    def __init__(self, category: Category | str, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.category = category
        self.reason = reason
        self.message = message or reason
