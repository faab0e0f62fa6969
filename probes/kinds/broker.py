"""The config every message-broker kind (amqp, redis, nats, mqtt) shares (`BrokerProbe`): where
the broker is (`url`, or `host` and `port`), the credential, and how long to wait for it.
Imported whenever the config is loaded, so it needs nothing but pydantic (docs/architecture.md,
Probe kinds).

A password may sit in the URL's userinfo (`amqp://user:pass@host/`) or in `password:`; either way
it is a secret the run's redactor masks (the config resolution collects both), and messages name
the broker by host and port only.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple
from urllib.parse import unquote, urlsplit

from pydantic import Field, model_validator

from core.types import Duration, Secret
from probes.kinds.base import ProbeCommon
from probes.result import Attempt, StepStatus

# The three steps of a round trip, in order (run by probes/brokers/roundtrip.py).
CONNECT, PUBLISH, RECEIVE = "connect", "publish", "receive"


class Endpoint(NamedTuple):
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    path: str  # the URL's path without its leading "/", unquoted (a vhost, a database number)

    @property
    def where(self) -> str:
        """host:port as messages show it (never the userinfo)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class BrokerProbe(ProbeCommon):
    """The keys every broker kind shares; a kind sets its URL schemes and default port."""

    SCHEMES: ClassVar[dict[str, bool]] = {}  # URL scheme -> uses TLS
    DEFAULT_PORT: ClassVar[int] = 0
    DEFAULT_TLS_PORT: ClassVar[int] = 0

    url: str | None = Field(None, description="the broker's URL; or give `host` (and `port`)")
    host: str | None = Field(None, min_length=1)
    port: int | None = Field(None, ge=1, le=65535, description="default: the broker's usual port")
    tls: bool = Field(False, description="with `host`: connect over TLS (a URL says it by scheme)")
    username: str | None = Field(None, description="overrides the URL's user")
    password: Secret | None = Field(None, description="overrides the URL's password")
    ca_file: str | None = Field(None, description="PEM bundle to trust for TLS, relative to the "
                                                  "config; default the system's")
    connect_timeout: Duration | None = Field(
        None, gt=0, description="connecting, and each acknowledgement; default half `timeout`")
    receive_timeout: Duration | None = Field(
        None, gt=0, description="waiting for the message to come back; default half `timeout`")

    @model_validator(mode="after")
    def _one_address(self) -> BrokerProbe:
        if (self.url is None) == (self.host is None):
            schemes = " or ".join(f"{s}://" for s in self.SCHEMES)
            raise ValueError(f"give either `url` ({schemes}…) or `host`, not both nor neither")
        if self.url is not None:
            self._parse_url(self.url)
        return self

    def _parse_url(self, url: str) -> tuple[str, int, bool, str | None, str | None, str]:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as error:
            raise ValueError(f"`url` is not a valid URL: {error}") from None
        scheme = parts.scheme.lower()
        if scheme not in self.SCHEMES:
            raise ValueError(f"`url` must start with {' or '.join(f'{s}://' for s in self.SCHEMES)}"
                             f", got {scheme + '://' if scheme else 'no scheme'}")
        if not parts.hostname:
            raise ValueError("`url` names no host")
        tls = self.SCHEMES[scheme]
        return (parts.hostname, port or self._default_port(tls), tls,
                unquote(parts.username) if parts.username else None,
                unquote(parts.password) if parts.password else None,
                unquote(parts.path[1:]) if parts.path else "")

    def endpoint(self) -> Endpoint:
        """The broker's address and credential, `username`/`password` over the URL's."""
        if self.url is not None:
            host, port, tls, user, password, path = self._parse_url(self.url)
        else:
            host, port, tls = self.host or "", self.port or self._default_port(self.tls), self.tls
            user = password = None
            path = ""
        if self.url is not None and self.port is not None:
            port = self.port
        if self.username is not None:
            user = self.username
        if self.password is not None:
            password = self.password.get_secret_value()
        return Endpoint(host, port, tls, user, password, path)

    def _default_port(self, tls: bool) -> int:
        return self.DEFAULT_TLS_PORT if tls else self.DEFAULT_PORT

    @property
    def connect_within(self) -> float:
        return self.connect_timeout if self.connect_timeout is not None else self.timeout / 2

    @property
    def receive_within(self) -> float:
        return self.receive_timeout if self.receive_timeout is not None else self.timeout / 2


def hung_step(probe: BrokerProbe, cut_short: Attempt) -> str | None:
    """The step a deadline cut short: the one started but not finished."""
    for step in reversed(cut_short.steps):
        if step.status is StepStatus.FAILED and step.failure is None:
            return step.name
    return None
