"""The caching, single-flight CredentialProvider for token types (OAuth2 grants).

One provider per integration holds the newest credential. Every call to the token endpoint goes
through one `asyncio.Lock`, so

* concurrent `current()` callers share one fetch: the first one in fetches, the others find the
  fresh credential when they get the lock;
* `refresh(stale)` fetches only if `stale` is still the credential in use, so twenty probes that
  all got a 401 with the same token cause one token request;
* a rotating refresh token is never used by two requests at once;
* a fetch that fails is not repeated by the callers that were waiting for it: they get the same
  failure (a down token endpoint costs one request per wave of callers, not one per caller).

A credential counts as valid until `expires_at - margin`, where the margin is `margin_s` (30 s)
but at most a quarter of the credential's lifetime, so short-lived tokens are still reused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import httpx

from probes.credentials import AuthError, Credential
from probes.result import StepResult


class TokenSource(Protocol):
    async def obtain(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        """One exchange with the token endpoint. Raises AuthError (with its step)."""
        ...


def same_credential(a: Credential, b: Credential) -> bool:
    """Whether two credentials put the same thing on the wire."""
    return a.headers == b.headers and a.params == b.params


class CachingProvider:
    def __init__(
        self,
        source: TokenSource,
        *,
        clock: Callable[[], float] = time.time,
        margin_s: float = 30.0,
    ) -> None:
        self.source = source
        self._clock = clock
        self._margin_s = margin_s
        self._lock = asyncio.Lock()
        self._current: Credential | None = None
        self._generation = 0  # bumped by every completed fetch, successful or not
        self._last_error: AuthError | None = None

    @property
    def cached(self) -> Credential | None:
        """The credential in use, valid or not (None before the first fetch)."""
        return self._current

    def _valid(self, credential: Credential | None) -> bool:
        if credential is None:
            return False
        lifetime = credential.lifetime_s
        margin = self._margin_s if lifetime is None else min(self._margin_s, lifetime / 4)
        return credential.is_valid(self._clock(), margin_s=max(margin, 0.0))

    def _shared_failure(self, generation: int) -> AuthError | None:
        """The failure of a fetch that completed while this caller waited for the lock."""
        if self._generation != generation and self._last_error is not None:
            err = self._last_error
            return AuthError(err.failure, err.step)
        return None

    async def _fetch(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        # caller holds the lock
        try:
            credential, step = await self.source.obtain(client)
        except AuthError as exc:
            self._last_error = exc
            self._generation += 1
            raise
        self._current = credential
        self._last_error = None
        self._generation += 1
        return credential, step

    async def current(self, client: httpx.AsyncClient) -> Credential:
        credential = self._current
        if credential is not None and self._valid(credential):
            return credential
        generation = self._generation
        async with self._lock:
            if self._current is not None and self._valid(self._current):
                return self._current
            shared = self._shared_failure(generation)
            if shared is not None:
                raise shared
            return (await self._fetch(client))[0]

    async def refresh(self, client: httpx.AsyncClient, stale: Credential) -> Credential:
        generation = self._generation
        async with self._lock:
            now_current = self._current
            if (
                now_current is not None
                and not same_credential(now_current, stale)
                and self._valid(now_current)
            ):
                return now_current  # someone already replaced the stale one
            shared = self._shared_failure(generation)
            if shared is not None:
                raise shared
            return (await self._fetch(client))[0]

    async def fetch_fresh(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        async with self._lock:
            return await self._fetch(client)
