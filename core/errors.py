"""The root of every error a user sees as one clear line and a documented exit code.

    SeamwatchError                      exit_code 2 unless a subclass says otherwise
    ├── seamwatch.config.ConfigError    the config file cannot be used (FILE:LINE:COL problems)
    └── seamwatch.errors.UserError      a command cannot do what was asked
        ├── seamwatch.cli.NoEmailConfigured         test-email without an `email:` block
        ├── seamwatch.cli.EmailNotDelivered         test-email failed (exit 1)
        ├── seamwatch.once.UnknownProbe             --probe names no probe
        ├── seamwatch.listener.ListenAddressInUse   runner.listen is taken
        └── seamwatch.demo.ports.PortInUseError     a demo port is taken

Errors inside a probe run (templating, auth, DNS, a python probe's callable) are not in this
tree: a run never raises to the user, it records a classified `probes.result.Failure`.

The CLI catches `SeamwatchError`, prints `seamwatch: <message>` and exits with `exit_code`; any
other exception is a bug in seamwatch (docs/architecture.md, "Errors").
"""

from __future__ import annotations

from collections.abc import Iterator


class SeamwatchError(Exception):
    """A problem the user can fix, reported without a traceback."""

    exit_code = 2


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from (cause first, then context), once each."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
