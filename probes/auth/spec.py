"""The `auth:` block of an integration (README, Auth): one model per `type`, discriminated by it.
`build_provider` (probes/auth/build.py) turns the block into the integration's credential provider;
the synthetic `auth` probe kind (probes/kinds/auth.py) checks it every interval."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from core.model import StrictModel
from core.types import Secret


class NoAuth(StrictModel):
    type: Literal["none"]


class AuthCommon(StrictModel):
    """Keys every auth type has."""

    expires_at: datetime | date | None = Field(
        None,
        description="when this credential (a client secret, an API key) expires or must be "
        "rotated, for what no protocol reveals: 2027-03-31 or 2027-03-31T12:00:00Z (UTC)",
    )

    @property
    def declared_expiry_s(self) -> float | None:
        """`expires_at` as epoch seconds (a date is its first second, UTC)."""
        value = self.expires_at
        if value is None:
            return None
        if not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


class ApiKeyAuth(AuthCommon):
    type: Literal["api_key"]
    header: str | None = None
    query: str | None = None
    value: Secret

    @model_validator(mode="after")
    def _one_place(self) -> ApiKeyAuth:
        if (self.header is None) == (self.query is None):
            raise ValueError("set exactly one of `header` or `query` for the api key")
        return self


class BasicAuth(AuthCommon):
    type: Literal["basic"]
    username: str
    password: Secret


class BearerAuth(AuthCommon):
    type: Literal["bearer"]
    token: Secret


class OAuth2ClientCredentials(AuthCommon):
    type: Literal["oauth2_client_credentials"]
    token_url: str
    client_id: str
    client_secret: Secret
    scope: str | None = None
    audience: str | None = None
    client_auth: Literal["basic", "body"] = "basic"


class OAuth2RefreshToken(AuthCommon):
    type: Literal["oauth2_refresh_token"]
    token_url: str
    client_id: str
    client_secret: Secret | None = None
    refresh_token: Secret
    scope: str | None = None
    client_auth: Literal["basic", "body"] = "basic"
    state_file: str | None = Field(
        None, description="where a rotated refresh token is kept (mode 0600)"
    )


AuthSpec = Annotated[
    NoAuth | ApiKeyAuth | BasicAuth | BearerAuth | OAuth2ClientCredentials | OAuth2RefreshToken,
    Field(discriminator="type"),
]
