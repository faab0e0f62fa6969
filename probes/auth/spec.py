"""The `auth:` block of an integration (README, Auth): one model per `type`, discriminated by it.
`build_provider` (probes/auth/build.py) turns the block into the integration's credential provider;
the synthetic `auth` probe kind (probes/kinds/auth.py) checks it every interval."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from core.model import StrictModel
from core.types import Secret


class NoAuth(StrictModel):
    type: Literal["none"]


class ApiKeyAuth(StrictModel):
    type: Literal["api_key"]
    header: str | None = None
    query: str | None = None
    value: Secret

    @model_validator(mode="after")
    def _one_place(self) -> ApiKeyAuth:
        if (self.header is None) == (self.query is None):
            raise ValueError("set exactly one of `header` or `query` for the api key")
        return self


class BasicAuth(StrictModel):
    type: Literal["basic"]
    username: str
    password: Secret


class BearerAuth(StrictModel):
    type: Literal["bearer"]
    token: Secret


class OAuth2ClientCredentials(StrictModel):
    type: Literal["oauth2_client_credentials"]
    token_url: str
    client_id: str
    client_secret: Secret
    scope: str | None = None
    audience: str | None = None
    client_auth: Literal["basic", "body"] = "basic"


class OAuth2RefreshToken(StrictModel):
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
