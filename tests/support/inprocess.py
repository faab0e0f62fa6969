"""Run the `seamwatch` command line in this process: `seamwatch.cli.main` with its output
captured, for tests that call it many times (a subprocess costs a second of start-up each)."""

from __future__ import annotations

import contextlib
import io
import signal
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_main(argv: Sequence[str]) -> Outcome:
    """`seamwatch ARGV` in-process. `main` restores SIGPIPE's default action (for `| head`); it is
    put back afterwards, or a later write to a closed socket would kill the test process."""
    from seamwatch.cli import main

    out, err = io.StringIO(), io.StringIO()
    sigpipe = signal.getsignal(signal.SIGPIPE)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        signal.signal(signal.SIGPIPE, sigpipe)
    return Outcome(code, out.getvalue(), err.getvalue())
