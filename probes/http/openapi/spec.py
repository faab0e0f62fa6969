"""The `openapi:` config keys (README, "OpenAPI contracts"): on an integration, the document its
steps are checked against; on a step, another document or the operation to check against, or
`false` to leave the step unchecked."""

from __future__ import annotations

from pydantic import Field

from core.model import StrictModel

SPEC_HELP = "OpenAPI 3.0/3.1 document: a file relative to the config file, or an http(s) URL"


class OpenApiSource(StrictModel):
    """`openapi:` on an integration: every `http` step is checked against this document, its
    operation found from the step's method and path."""

    spec: str = Field(min_length=1, description=SPEC_HELP)


class OpenApiStep(StrictModel):
    """`openapi:` on a step: the operation (by `operationId`) and/or the document, which
    defaults to the integration's."""

    spec: str | None = Field(None, min_length=1, description=SPEC_HELP)
    operation: str | None = Field(
        None, min_length=1, description="operationId; default: found from method and path"
    )


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))
