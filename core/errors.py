"""The root of every error a user sees as one clear line and a documented exit code.

    SeamwatchError                  exit_code 2 unless a subclass says otherwise
    ├── seamwatch.errors.UserError  a command cannot do what was asked (port in use, no email...)
    │   └── ...                     NoEmailConfigured, UnknownProbe, ListenAddressInUse
    └── seamwatch.config.ConfigError  the config file cannot be used (FILE:LINE:COL problems)

The CLI catches `SeamwatchError`, prints `seamwatch: <message>` and exits with `exit_code`; any
other exception is a bug and is reported as one (docs/architecture.md, "Errors").
"""

from __future__ import annotations


class SeamwatchError(Exception):
    """A problem the user can fix, reported without a traceback."""

    exit_code = 2
