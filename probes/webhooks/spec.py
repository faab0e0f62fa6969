"""The `signature:` block of `webhook` probes and of webhook-receiving `heartbeat` probes: which
scheme signs the provider's deliveries (probes/webhooks/signatures.py) and under which keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.model import StrictModel
from core.types import Duration, Secret

WAIT_STEP = "webhook"  # the name of a `webhook` probe's waiting step
SchemeName = Literal["standard", "stripe", "github", "slack", "hmac"]


class SignatureSpec(StrictModel):
    """How deliveries are signed. Verified over the raw body, compared in constant time."""

    scheme: SchemeName = Field(
        description="standard (Standard Webhooks), stripe, github, slack, or hmac (generic "
                    "HMAC-SHA256 with `header`, `prefix` and `encoding`)")
    secret: Secret = Field(description="the signing secret (Stripe/Standard: the whole whsec_… "
                                       "string)")
    previous_secrets: list[Secret] = Field(
        default_factory=list, description="older secrets still accepted during a key rotation")
    tolerance: Duration = Field(
        300.0, gt=0, description="how far a signed timestamp may be from seamwatch's clock")
    header: str | None = Field(None, description="hmac: the signature header (default "
                                                 "X-Signature)")
    prefix: str = Field("", description="hmac: text before the signature, e.g. `sha256=`")
    encoding: Literal["hex", "base64"] = Field("hex", description="hmac: signature encoding")
    timestamp_header: str | None = Field(
        None, description="hmac: a header with unix seconds; then `<timestamp>.<body>` is signed "
                          "and stale deliveries are rejected")
    id_header: str | None = Field(
        None, description="header naming the delivery (for duplicates); default per scheme")

    @model_validator(mode="after")
    def _hmac_only(self) -> SignatureSpec:
        if self.scheme != "hmac":
            given = [k for k in ("header", "timestamp_header") if getattr(self, k) is not None]
            given += [k for k, v in (("prefix", self.prefix), ("encoding", self.encoding))
                      if k in self.model_fields_set and v]
            if given:
                raise ValueError(f"{', '.join(given)}: only for `scheme: hmac`")
        return self

    def accepted_keys(self) -> list[str]:
        """Every accepted secret, the current one first."""
        return [self.secret.get_secret_value(),
                *(s.get_secret_value() for s in self.previous_secrets)]
