"""Errors that reach the user as one clear line and a documented exit code (no traceback)."""

from __future__ import annotations

from core.errors import SeamwatchError


class UserError(SeamwatchError):
    """A command cannot do what was asked; the CLI prints `seamwatch: <message>` and exits
    `exit_code` (2 unless a subclass says otherwise)."""
