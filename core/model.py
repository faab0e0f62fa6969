"""The strict base model every config section builds on, and the pattern names must match."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class StrictModel(BaseModel):
    """An unknown key is an error (the config loader adds its line and a "did you mean")."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
