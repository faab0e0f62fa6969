"""The strict base model every config section builds on, and the pattern names must match."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class StrictModel(BaseModel):
    """An unknown key is an error (the config loader adds its line and a "did you mean")."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def first_duplicate(names: Iterable[str]) -> str | None:
    """The first name that appears a second time (for "duplicate step/probe name" errors)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None
