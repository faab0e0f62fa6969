"""The config of one `http` probe's steps: the request of each step (`Step`) and what its response
must hold (`Expect`, with `Matcher` for JSONPath values). The probe itself, `HttpProbe`, is in
probes/kinds/http.py; the exchange that runs the steps is probes/http/exchange.py."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from core.model import NAME_PATTERN, StrictModel
from core.types import Duration
from probes.http.openapi.spec import OpenApiStep


class Matcher(StrictModel):
    """One JSONPath expectation. All keys given must hold."""

    equals: Any = None
    not_equals: Any = None
    type: Literal["string", "number", "integer", "boolean", "array", "object", "null"] | None = None
    matches: str | None = None
    contains: Any = None
    one_of: list[Any] | None = None
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=0)
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    exists: bool | None = None

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class ItemsExpect(StrictModel):
    """Items of a batch response, each checked with `ok` (JSONPath relative to the item); more
    than `max_failed` failing items fail the step (probes/http/items.py)."""

    path: str = Field(description="JSONPath selecting the items, such as $.results[*]")
    ok: dict[str, Matcher] = Field(min_length=1, description="JSONPath -> matcher, per item")
    max_failed: int | str = Field(0, description="failed items allowed: a count or a percentage")

    @field_validator("max_failed", mode="before")
    @classmethod
    def _count_or_percent(cls, value: Any) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and re.fullmatch(r"(100|\d{1,2})(\.\d+)?%", value.strip()):
            return value.strip()
        raise ValueError(f"expected a count such as 0 or 3, or a percentage such as 5%, "
                         f"got {value!r}")


StatusExpectation = int | list[int] | str


class Expect(StrictModel):
    status: StatusExpectation = Field(
        "2xx", description="a code, a list of codes, or a class such as 2xx"
    )
    latency_under: Duration | None = None
    headers: dict[str, str | Matcher] = Field(default_factory=dict)
    body_contains: str | list[str] | None = None
    items: ItemsExpect | None = None
    graphql: bool = Field(False, description="`errors` in the GraphQL response fail the step")
    json_: dict[str, Matcher] = Field(default_factory=dict, alias="json")
    schema_: str | None = Field(
        None, alias="schema", description="JSON Schema file, relative to the config file"
    )

    @field_validator("status")
    @classmethod
    def _status_form(cls, value: StatusExpectation) -> StatusExpectation:
        codes = value if isinstance(value, list) else [value]
        for code in codes:
            if isinstance(code, int):
                if not 100 <= code <= 599:
                    raise ValueError(f"HTTP status {code} is outside 100-599")
            elif not re.fullmatch(r"[1-5]xx", str(code)):
                raise ValueError(f"expected a status code or a class like 2xx, got {code!r}")
        return value



HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class Step(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    method: HttpMethod = "GET"
    path: str | None = None
    url: str | None = None
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    json_: Any = Field(None, alias="json")
    body: str | None = None
    form: dict[str, str] | None = None
    expect: Expect = Field(default_factory=Expect)
    save: dict[str, str] = Field(default_factory=dict, description="variable -> JSONPath")
    always_run: bool = Field(False, description="run even after an earlier step failed")
    auth: bool = Field(True, description="send the integration's credential with this step")
    critical: bool = Field(True, description="false: a failure makes the run degraded, not failed")
    kind: Literal["http", "graphql"] = Field(
        "http", description="graphql: POST `query` and `variables` as a GraphQL request")
    query: str | None = Field(None, description="the GraphQL document (kind: graphql)")
    variables: dict[str, Any] | None = Field(None, description="GraphQL variables (templated)")
    openapi: OpenApiStep | Literal[False] | None = Field(
        None, description="check the response against an OpenAPI operation; false: do not"
    )

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _target_and_body(self) -> Step:
        if (self.path is None) == (self.url is None):
            raise ValueError("set exactly one of `path` (joined to base_url) or `url`")
        bodies = [k for k in ("json_", "body", "form") if getattr(self, k) is not None]
        if len(bodies) > 1:
            raise ValueError("set at most one of `json`, `body` or `form`")
        return self

    @model_validator(mode="after")
    def _graphql_request(self) -> Step:
        if self.kind != "graphql":
            if self.query is not None or self.variables is not None:
                raise ValueError("`query` and `variables` belong to `kind: graphql` steps")
            return self
        if not self.query:
            raise ValueError("a `kind: graphql` step needs `query`, the GraphQL document")
        if any(getattr(self, k) is not None for k in ("json_", "body", "form")):
            raise ValueError("a `kind: graphql` step sends `query` and `variables` as its body: "
                             "drop `json`, `body` and `form`")
        if "method" not in self.model_fields_set:
            self.method = "POST"
        return self
