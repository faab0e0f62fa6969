"""The contract between the auth strategies (probes/auth/) and the probes that use them.

A `CredentialProvider` exists per integration with an `auth` block. Operation probes call
`current()` for the newest valid credential (obtaining one if there is none) and, on a 401/403
with that credential, `refresh(stale)` once before failing with category `auth`. The `auth` probe
calls `fetch_fresh()` every interval, which always goes to the token endpoint (for token types)
and records the exchange as a step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from probes.result import Expiry, Failure, StepResult

if TYPE_CHECKING:  # annotations only: loading the config must not import httpx
    import httpx


@dataclass(slots=True)
class Credential:
    """What gets attached to a request: headers and/or query parameters (values are secrets)."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    obtained_at: float = 0.0  # time.time()
    expires_at: float | None = None  # time.time() when known (expires_in or JWT exp)
    # What the auth probe reports as expiring: this credential (as an access token or a JWT
    # token), a refresh token's expiry, the user's declared `expires_at`.
    expiries: tuple[Expiry, ...] = ()

    @property
    def lifetime_s(self) -> float | None:
        if self.expires_at is None:
            return None
        return self.expires_at - self.obtained_at

    def is_valid(self, now: float, margin_s: float = 5.0) -> bool:
        return self.expires_at is None or now + margin_s < self.expires_at

    def apply(self, request: httpx.Request) -> None:
        request.headers.update(self.headers)
        if self.params:
            request.url = request.url.copy_merge_params(self.params)


class AuthError(Exception):
    """Obtaining a credential failed; carries the classified (category `auth` or a transport
    category such as `timeout`), redacted failure and the token-endpoint step if one ran."""

    def __init__(self, failure: Failure, step: StepResult | None = None) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.step = step


class CredentialProvider(Protocol):
    async def current(self, client: httpx.AsyncClient) -> Credential:
        """Newest valid credential, obtaining one if needed. Raises AuthError."""
        ...

    async def refresh(self, client: httpx.AsyncClient, stale: Credential) -> Credential:
        """After a 401/403 with `stale`: a new credential, unless another probe already replaced
        `stale` (then that one). Static credentials return themselves. Raises AuthError."""
        ...

    async def fetch_fresh(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        """For the `auth` probe: always obtain anew and report the exchange as a step.
        Raises AuthError (with its step)."""
        ...
