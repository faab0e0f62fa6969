"""Value objects a probe run produces: the only thing that flows from `probes/` to storage and
alerts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.redact import Redactor

# The longest failure message (or step note) kept: redacted whole, then cut (core/redact.py).
MESSAGE_MAX = 500


class Category(StrEnum):
    """Why a run failed: the closed set of README, Run status and error categories."""

    TIMEOUT = "timeout"
    DNS = "dns"
    CONNECTION = "connection"
    TLS = "tls"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    CLIENT_ERROR = "client_error"
    SCHEMA = "schema"
    ASSERTION = "assertion"
    SLOW = "slow"
    CONFIG = "config"
    INTERNAL = "internal"


class RunStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    FAILED = "failed"


class StepStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(slots=True, frozen=True)
class Failure:
    """A classified failure: category (closed set), machine reason code, redacted human message."""

    category: Category
    reason: str
    message: str

    def redacted(self, redactor: Redactor, max_len: int = MESSAGE_MAX) -> Failure:
        """This failure with its whole message redacted, then cut to `max_len` characters."""
        message = redactor.redact_and_cut(self.message, max_len)
        return self if message == self.message else Failure(self.category, self.reason, message)


@dataclass(slots=True)
class PhaseTimings:
    """Milliseconds spent in each phase of one HTTP exchange (None when the phase did not happen,
    e.g. a reused connection has no connect or TLS phase)."""

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    ttfb_ms: float | None = None
    transfer_ms: float | None = None


@dataclass(slots=True)
class RateLimit:
    """One rate-limit policy as the server reported it (probes/http/ratelimit.py): `reset_s` and
    `retry_after_s` are seconds from the response; `policy` names the quota when the server does
    (`X-RateLimit-Resource`, an IETF policy item), so several quotas of one integration stay
    apart."""

    limit: int | None = None
    remaining: int | None = None
    reset_s: float | None = None
    retry_after_s: float | None = None
    policy: str | None = None

    @property
    def headroom(self) -> float | None:
        """remaining / limit in 0..1, when both are known."""
        if self.limit and self.remaining is not None and self.limit > 0:
            return max(0.0, min(1.0, self.remaining / self.limit))
        return None

    def is_empty(self) -> bool:
        return (
            self.limit is None
            and self.remaining is None
            and self.reset_s is None
            and self.retry_after_s is None
        )


class ExpiryKind(StrEnum):
    """What expires (README, Expiries)."""

    ACCESS_TOKEN = "access_token"  # an OAuth2 access token: its lifetime, renewed every fetch
    REFRESH_TOKEN = "refresh_token"  # refresh_token_expires_in / refresh_expires_in
    TOKEN = "token"  # a configured bearer token or API key that is a JWT (its `exp`)
    DECLARED = "declared"  # `auth.expires_at`: a date the user wrote (a secret's rotation date)
    CERTIFICATE = "certificate"  # the leaf certificate of an HTTPS origin or a tls probe
    INTERMEDIATE = "intermediate"  # a CA certificate of the chain a tls probe was served


@dataclass(frozen=True, slots=True)
class Expiry:
    """Something a run saw that will expire. `subject` names it without secrets ("access token",
    "api.example.com:443", "CN=Example Issuing CA"); times are epoch seconds."""

    kind: ExpiryKind
    subject: str
    expires_at_s: float
    lifetime_s: float | None = None  # as issued (tokens): a shrinking lifetime is a finding

    @property
    def warns(self) -> bool:
        """Whether seamwatch warns ahead of it: an access token is renewed by seamwatch itself."""
        return self.kind is not ExpiryKind.ACCESS_TOKEN


def note_expiry(expiries: list[Expiry], expiry: Expiry) -> None:
    """Add `expiry` to a run's list, keeping one per (kind, subject): the soonest."""
    for i, seen in enumerate(expiries):
        if (seen.kind, seen.subject) == (expiry.kind, expiry.subject):
            if expiry.expires_at_s < seen.expires_at_s:
                expiries[i] = expiry
            return
    expiries.append(expiry)


@dataclass(slots=True)
class StepResult:
    name: str
    status: StepStatus
    latency_ms: float | None = None
    http_status: int | None = None
    phases: PhaseTimings = field(default_factory=PhaseTimings)
    rate_limit: RateLimit | None = None
    failure: Failure | None = None
    # What the step noticed that is not a failure, e.g. a redirect to another origin where the
    # credential was withheld. Stored as the step's message when it has no failure.
    note: str | None = None

    def redact(self, redactor: Redactor) -> None:
        """Redact (then cut) this step's failure message and note in place."""
        if self.failure is not None:
            self.failure = self.failure.redacted(redactor)
        if self.note:
            self.note = redactor.redact_and_cut(self.note, MESSAGE_MAX)


@dataclass(slots=True)
class Attempt:
    """What one attempt of one probe kind returns to the run (probes/run.py, which adds retries,
    the deadline, the degraded rules and timing around it)."""

    steps: list[StepResult] = field(default_factory=list)
    failure: Failure | None = None
    failed_step: str | None = None
    credential_ttl_s: float | None = None
    cert_days_left: float | None = None
    expiries: list[Expiry] = field(default_factory=list)
    # Why the attempt passed but the run is degraded: a `critical: false` step failed, or the
    # kind itself judged it (a response shape drift that `drift:` says degrades).
    degraded_reason: str | None = None

    def conclude(self, failure: Failure | None) -> Attempt:
        """Finish a one-step attempt (tls, tcp, dns, heartbeat, python): its step passes, or
        it and the attempt carry `failure`."""
        step = self.steps[-1]
        if failure is None:
            step.status = StepStatus.OK
        else:
            step.status = StepStatus.FAILED
            step.failure = self.failure = failure
            self.failed_step = step.name
        return self


def note_not_critical(attempt: Attempt, step: StepResult) -> None:
    """A failed step marked `critical: false`: the attempt passes, the run is degraded."""
    failure = step.failure
    what = f"{failure.category}/{failure.reason}" if failure else "failed"
    reason = f"step {step.name} failed ({what}), not critical"
    earlier = attempt.degraded_reason
    attempt.degraded_reason = reason if earlier is None else f"{earlier}; {reason}"


@dataclass(slots=True)
class ProbeResult:
    """One run of one probe (all attempts, all steps)."""

    integration: str
    probe: str
    kind: str
    status: RunStatus
    started_at: datetime  # timezone-aware UTC
    latency_ms: float
    steps: list[StepResult] = field(default_factory=list)
    failure: Failure | None = None
    failed_step: str | None = None
    attempts: int = 1
    location: str = "local"
    credential_ttl_s: float | None = None  # auth probe: lifetime of the fetched credential
    cert_days_left: float | None = None  # tls probe (and https steps where known)
    degraded_reason: str | None = None  # why an ok run was downgraded to degraded
    expiries: list[Expiry] = field(default_factory=list)  # what this run saw will expire

    @property
    def category(self) -> Category | None:
        return self.failure.category if self.failure else None

    @property
    def reason(self) -> str | None:
        return self.failure.reason if self.failure else None

    @property
    def message(self) -> str | None:
        return self.failure.message if self.failure else None

    @property
    def rate_limit(self) -> RateLimit | None:
        """The tightest rate-limit headroom seen on any step of this run."""
        seen = [s.rate_limit for s in self.steps if s.rate_limit and not s.rate_limit.is_empty()]
        if not seen:
            return None
        return min(seen, key=lambda r: r.headroom if r.headroom is not None else 2.0)

    def to_json(self) -> dict[str, Any]:
        """The `seamwatch once --json` shape (stable, documented in the README)."""
        return {
            "integration": self.integration,
            "probe": self.probe,
            "kind": self.kind,
            "status": str(self.status),
            "category": str(self.category) if self.category else None,
            "reason": self.reason,
            "message": self.message,
            "failed_step": self.failed_step,
            "latency_ms": round(self.latency_ms, 3),
            "started_at": self.started_at.isoformat(),
            "attempts": self.attempts,
            "location": self.location,
            "degraded_reason": self.degraded_reason,
            "credential_ttl_s": self.credential_ttl_s,
            "cert_days_left": self.cert_days_left,
            "expiries": [
                {"kind": str(e.kind), "subject": e.subject,
                 "expires_at": datetime.fromtimestamp(e.expires_at_s, UTC).isoformat(),
                 "lifetime_s": e.lifetime_s}
                for e in self.expiries
            ],
            "steps": [
                {
                    "name": s.name,
                    "status": str(s.status),
                    "http_status": s.http_status,
                    "latency_ms": None if s.latency_ms is None else round(s.latency_ms, 3),
                    "phases": asdict(s.phases),
                    "rate_limit": None if s.rate_limit is None else asdict(s.rate_limit),
                    "category": str(s.failure.category) if s.failure else None,
                    "reason": s.failure.reason if s.failure else None,
                    "message": s.failure.message if s.failure else s.note,
                }
                for s in self.steps
            ],
        }
