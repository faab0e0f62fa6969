"""How one probe runs: the kinds (probes/kinds/, listed in probes/registry.py), the run around
one attempt (probes/run.py) and what it produces (probes/result.py); see docs/architecture.md,
Probe kinds. `ProbeFailure` is the public API for `python` probes."""

from probes.failures import ProbeFailure

__all__ = ["ProbeFailure"]
