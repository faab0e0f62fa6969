"""The `dns` probe kind: resolve a name, check the answers.

A and AAAA lookups without `resolver:` go through the system resolver, other record types and any
lookup with `resolver: IP[:port]` ask a DNS server (the lookups are in probes/dnslookup.py).

One step, `resolve`, whose latency is also recorded as the `dns` phase. The answers themselves
are not stored: a mismatch message shows the first few.

| outcome                          | category  | reason       |
|----------------------------------|-----------|--------------|
| the name does not exist          | dns       | nxdomain     |
| it exists without such records   | dns       | no_answer    |
| SERVFAIL, REFUSED, bad name, …   | dns       | dns_failure  |
| no reply within the timeout      | timeout   | dns_timeout  |
| `expect` not met                 | assertion | dns_mismatch |
"""

from __future__ import annotations

import ipaddress
from time import perf_counter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from core.model import StrictModel
from probes.kinds.base import ProbeCommon, ProbeKind
from probes.result import Attempt, Category, Failure, StepResult, StepStatus

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime

STEP = "resolve"
SHOWN_ANSWERS = 5
RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"]


def parse_resolver(text: str) -> tuple[str, int]:
    """`9.9.9.9` -> ("9.9.9.9", 53); `127.0.0.1:5353`, `::1`, `[::1]:5353` likewise.
    Raises ValueError for anything that is not an IP address with an optional port."""
    value = text.strip()
    host, port = value, 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(value)
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)
    if not 1 <= port <= 65535:
        raise ValueError(value)
    return host, port


class DnsExpect(StrictModel):
    contains: list[str] = Field(
        default_factory=list, description="values that must be among the answers"
    )
    min_answers: int | None = Field(None, ge=1)

    @field_validator("contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class DnsProbe(ProbeCommon):
    type: Literal["dns"]
    host: str = Field(min_length=1)
    record_type: RecordType = "A"
    resolver: str | None = Field(
        None, description="IP[:port] of a DNS server to ask directly; default the system's"
    )
    expect: DnsExpect = Field(default_factory=DnsExpect)

    @property
    def resolver_address(self) -> tuple[str, int] | None:
        """`resolver` as (IP address, port); None: ask the system's resolvers."""
        return None if self.resolver is None else parse_resolver(self.resolver)

    @field_validator("record_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("resolver")
    @classmethod
    def _resolver_address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_resolver(value)
            except ValueError:
                raise ValueError(
                    "expected the IP address of a DNS server, optionally with a port, such as "
                    f"9.9.9.9, 127.0.0.1:5353 or [::1]:53, got {value!r}"
                ) from None
        return value

    @model_validator(mode="after")
    def _addresses_for_address_records(self) -> DnsProbe:
        if self.record_type not in ("A", "AAAA"):
            return self
        version = 4 if self.record_type == "A" else 6
        for item in self.expect.contains:
            try:
                ok = ipaddress.ip_address(item).version == version
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"`expect` contains {item!r}, which is not an IPv{version} address "
                    f"(`record_type` is {self.record_type})"
                )
        return self


# ---------------------------------------------------------------------------- expectations


def _matches(expected: str, answer: str, record_type: str) -> bool:
    if record_type in ("A", "AAAA"):
        try:
            return ipaddress.ip_address(expected) == ipaddress.ip_address(answer)
        except ValueError:
            return expected == answer
    if record_type == "TXT":
        return expected in answer
    want = expected.strip().lower().rstrip(".")
    if record_type == "MX":
        return want in (" ".join(answer.split()), answer.split(" ", 1)[-1])
    return want == answer


def _shown(answers: list[str]) -> str:
    ordered = sorted(answers)
    head = ", ".join(repr(a) if " " in a or not a else a for a in ordered[:SHOWN_ANSWERS])
    more = len(answers) - SHOWN_ANSWERS
    return f"{head} and {more} more" if more > 0 else head


def check_answers(probe: DnsProbe, answers: list[str]) -> Failure | None:
    what = f"{probe.record_type} {probe.host}"
    expect = probe.expect
    if expect.min_answers is not None and len(answers) < expect.min_answers:
        return Failure(Category.ASSERTION, "dns_mismatch",
                       f"{what}: expected at least {expect.min_answers} answers, got "
                       f"{len(answers)} ({_shown(answers)})")
    missing = [e for e in expect.contains
               if not any(_matches(e, a, probe.record_type) for a in answers)]
    if missing:
        wanted = ", ".join(repr(m) for m in missing)
        return Failure(Category.ASSERTION, "dns_mismatch",
                       f"{what}: expected {wanted} among the answers, got {_shown(answers)}")
    return None


# --------------------------------------------------------------------------------- the probe


async def attempt(rt: IntegrationRuntime, probe: DnsProbe, into: Attempt) -> Attempt:
    # Imported here: the lookups need asyncio and dnspython, loading the config does not.
    from probes.dnslookup import DnsError, lookup

    step = StepResult(STEP, StepStatus.FAILED)
    attempt = Attempt(steps=[step])
    started = perf_counter()
    failure: Failure | None
    try:
        answers = await lookup(probe)
        step.phases.dns_ms = (perf_counter() - started) * 1000.0
        failure = check_answers(probe, answers)
    except DnsError as exc:
        failure = exc.failure
    step.latency_ms = (perf_counter() - started) * 1000.0
    return attempt.conclude(failure)


KIND = ProbeKind("dns", DnsProbe, attempt)
