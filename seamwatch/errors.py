"""Errors that reach the user as one clear line and a documented exit code (no traceback)."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; the CLI prints `seamwatch: <message>` and exits `exit_code`."""

    exit_code = 2
