"""The open-file limit of the `serve` process. Every probe connection, the database and every
listener connection is a file descriptor; the usual soft limit (1024) is far below the hard one,
so `serve` raises the soft limit to the hard limit when it starts."""

from __future__ import annotations

import logging

try:
    import resource
except ImportError:  # not a POSIX system: nothing to raise
    resource = None  # type: ignore[assignment]

log = logging.getLogger("seamwatch.serve")

# When the hard limit is "unlimited", the kernel still caps descriptors (Linux: fs.nr_open);
# ask for this many.
_UNLIMITED_TARGET = 1 << 20


def open_file_limit() -> int | None:
    """The soft open-file limit, or None when unlimited or unknown."""
    if resource is None:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def raise_open_file_limit() -> tuple[int, int] | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit. Returns (before, after) when it was
    raised, None when it already was at the hard limit or the system refused (then logged)."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _UNLIMITED_TARGET if hard == resource.RLIM_INFINITY else hard
    if soft == resource.RLIM_INFINITY or soft >= target:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not raise the open file limit from %d to %d (%s); the listener "
                    "and the probes share %d file descriptors", soft, target, exc, soft)
        return None
    log.info("open file limit raised from %d to %d", soft, target)
    return int(soft), int(target)
