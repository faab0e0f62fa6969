"""How one probe runs (see DESIGN.md §1). `ProbeFailure` is the public API for `python` probes."""

from probes.failures import ProbeFailure

__all__ = ["ProbeFailure"]
