"""The synthetic `auth` probe kind: every integration with an `auth:` block (probes/auth/spec.py)
gets a probe named `auth`, built by the config resolution and never written by users. One attempt
fetches a fresh credential and reports the exchange.

The step is named `token` for OAuth2 grants (a real exchange with the token endpoint, with its
latency, HTTP status, phase timings and rate-limit headers) and `credential` for static types (no
network call). `credential_ttl_s` is the credential's lifetime as of now: `expires_in`, or what is
left until a JWT's `exp`; None when unknown. The fetched credential also becomes the provider's
current one, so the auth probe keeps the cache warm for the operation probes.

The run reports the credential's expiries (access token, refresh token, a JWT's `exp`, the
declared `expires_at`); once one other than the access token has passed, the run fails with
`auth`/`credential_expired`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from probes.credentials import AuthError
from probes.kinds.base import ProbeCommon, ProbeKind
from probes.result import Attempt, Category, Failure, StepResult, StepStatus

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime


class AuthProbe(ProbeCommon):
    """The probe named `auth`: the integration-level schedule, retries and alerts."""

    type: Literal["auth"] = "auth"


async def attempt(rt: IntegrationRuntime, probe: AuthProbe, into: Attempt) -> Attempt:
    if rt.credentials is None:
        failure = Failure(Category.CONFIG, "no_auth", "the integration has no auth block")
        step = StepResult("credential", StepStatus.FAILED, failure=failure)
        return Attempt(steps=[step], failure=failure, failed_step=step.name)
    try:
        credential, step = await rt.credentials.fetch_fresh(rt.client)
    except AuthError as exc:
        failure = exc.failure
        step = exc.step or StepResult("token", StepStatus.FAILED, failure=failure)
        if step.failure is None:
            step.failure = failure
            step.status = StepStatus.FAILED
        return Attempt(steps=[step], failure=failure, failed_step=step.name)
    from probes.auth.static import expired_failure

    attempt = Attempt(steps=[step], credential_ttl_s=credential.lifetime_s,
                      expiries=list(credential.expiries))
    expired = expired_failure(credential.expiries, credential.obtained_at)
    if expired is not None:
        step.status, step.failure = StepStatus.FAILED, expired
        attempt.failure, attempt.failed_step = expired, step.name
    return attempt


KIND = ProbeKind("auth", AuthProbe, attempt, user_writable=False)
