"""`build_provider`: an integration's `auth:` block (probes/auth/spec.py) -> its credential
provider. Static types (`api_key`, `basic`, `bearer`) give a StaticProvider, OAuth2 grants a
CachingProvider over the grant."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from core.redact import Redactor
from probes.auth.oauth2 import ClientCredentialsGrant, RefreshTokenGrant
from probes.auth.provider import CachingProvider
from probes.auth.spec import (
    ApiKeyAuth,
    AuthCommon,
    AuthSpec,
    BasicAuth,
    BearerAuth,
    NoAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
)
from probes.auth.state import RefreshTokenState, state_path
from probes.auth.static import api_key_provider, basic_provider, bearer_provider
from probes.credentials import CredentialProvider
from probes.result import Expiry, ExpiryKind


def _declared(spec: AuthCommon, what: str) -> Expiry | None:
    declared = spec.declared_expiry_s
    if declared is None:
        return None
    return Expiry(ExpiryKind.DECLARED, f"{what} (declared expires_at)", declared)


def build_provider(
    spec: AuthSpec | None,
    *,
    integration: str,
    redactor: Redactor,
    state_dir: Path,
    clock: Callable[[], float] = time.time,
) -> CredentialProvider | None:
    """The integration's credential provider, or None without auth (absent or `type: none`).

    `state_dir` holds the rotated refresh token of `oauth2_refresh_token` (see
    probes/auth/state.py); a relative `state_file` in the spec is taken relative to it."""
    if spec is None or isinstance(spec, NoAuth):
        return None
    if isinstance(spec, ApiKeyAuth):
        return api_key_provider(spec, redactor, clock)
    if isinstance(spec, BasicAuth):
        return basic_provider(spec, redactor, clock)
    if isinstance(spec, BearerAuth):
        return bearer_provider(spec, redactor, clock)
    if isinstance(spec, OAuth2ClientCredentials):
        grant = ClientCredentialsGrant(
            token_url=spec.token_url,
            client_id=spec.client_id,
            client_secret=spec.client_secret.get_secret_value(),
            client_auth=spec.client_auth,
            scope=spec.scope,
            audience=spec.audience,
            redactor=redactor,
            declared=_declared(spec, "client secret"),
            clock=clock,
        )
        return CachingProvider(grant, clock=clock)
    if isinstance(spec, OAuth2RefreshToken):
        configured = spec.refresh_token.get_secret_value()
        state = RefreshTokenState(state_path(state_dir, integration, spec.state_file), configured)
        refresh = RefreshTokenGrant(
            refresh_token=configured,
            state=state,
            token_url=spec.token_url,
            client_id=spec.client_id,
            client_secret=None if spec.client_secret is None
            else spec.client_secret.get_secret_value(),
            client_auth=spec.client_auth,
            scope=spec.scope,
            redactor=redactor,
            declared=_declared(spec, "refresh token"),
            clock=clock,
        )
        return CachingProvider(refresh, clock=clock)
    raise TypeError(f"unsupported auth type {type(spec).__name__}")  # pragma: no cover
