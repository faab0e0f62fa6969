"""The spill file: runs the writer cannot hold in memory while the database takes no writes.

`serve` keeps at most `storage.max_buffered_runs` unwritten runs in memory; the overflow is
appended, in submission order, to `<runner.state_dir>/unwritten-runs.jsonl` (one JSON object per
line: the run and when it was queued). Once the database takes writes again the writer reads the
file back in order, behind what it holds in memory, and records in `unwritten-runs.jsonl.offset`
how far the file is committed, so a restart (even after SIGKILL) replays only what is not. When
everything in the file is committed, the file is emptied. At a stop that cannot wait for the
database, the runs still in memory are written to the head of the file (`rewrite`), ahead of the
overflow, so the next start writes them in their original order.

Nothing is created until the first run is spilled. One process owns a spill file at a time (an
`fcntl` lock on `unwritten-runs.jsonl.lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

from core.errors import SeamwatchError
from probes.result import (
    Category,
    Expiry,
    ExpiryKind,
    Failure,
    PhaseTimings,
    ProbeResult,
    RateLimit,
    RunStatus,
    StepResult,
    StepStatus,
)
from storage.filelock import try_lock

log = logging.getLogger(__name__)
SPILL_NAME = "unwritten-runs.jsonl"


class SpillFileInUse(SeamwatchError):
    """Another process holds the spill file."""

    exit_code = 2


class Spilled(NamedTuple):
    """A run read back from the spill file; `end` is the file offset just past its line."""

    result: ProbeResult
    queued_at: float
    end: int


# -- the run as JSON ---------------------------------------------------------------------------


def _failure(f: Failure | None) -> list[str] | None:
    return None if f is None else [str(f.category), f.reason, f.message]


def _unfailure(v: Sequence[str] | None) -> Failure | None:
    return None if v is None else Failure(Category(v[0]), v[1], v[2])


def encode_result(r: ProbeResult) -> dict[str, Any]:
    """Every field of a run (lossless; `decode_result` restores it)."""
    return {
        "integration": r.integration, "probe": r.probe, "kind": r.kind, "status": str(r.status),
        "started_at": r.started_at.isoformat(), "latency_ms": r.latency_ms,
        "failure": _failure(r.failure), "failed_step": r.failed_step, "attempts": r.attempts,
        "location": r.location, "credential_ttl_s": r.credential_ttl_s,
        "cert_days_left": r.cert_days_left, "degraded_reason": r.degraded_reason,
        "expiries": [[str(e.kind), e.subject, e.expires_at_s, e.lifetime_s] for e in r.expiries],
        "steps": [
            {
                "name": s.name, "status": str(s.status), "latency_ms": s.latency_ms,
                "http_status": s.http_status, "phases": asdict(s.phases),
                "rate_limit": None if s.rate_limit is None else asdict(s.rate_limit),
                "failure": _failure(s.failure), "note": s.note,
            }
            for s in r.steps
        ],
    }


def decode_result(d: Mapping[str, Any]) -> ProbeResult:
    steps = [
        StepResult(
            name=s["name"], status=StepStatus(s["status"]), latency_ms=s["latency_ms"],
            http_status=s["http_status"], phases=PhaseTimings(**s["phases"]),
            rate_limit=None if s["rate_limit"] is None else RateLimit(**s["rate_limit"]),
            failure=_unfailure(s["failure"]), note=s.get("note"),
        )
        for s in d["steps"]
    ]
    return ProbeResult(
        integration=d["integration"], probe=d["probe"], kind=d["kind"],
        status=RunStatus(d["status"]), started_at=datetime.fromisoformat(d["started_at"]),
        latency_ms=d["latency_ms"], steps=steps, failure=_unfailure(d["failure"]),
        failed_step=d["failed_step"], attempts=d["attempts"], location=d["location"],
        credential_ttl_s=d["credential_ttl_s"], cert_days_left=d["cert_days_left"],
        degraded_reason=d["degraded_reason"],
        expiries=[Expiry(ExpiryKind(k), subject, at, lifetime)
                  for k, subject, at, lifetime in d.get("expiries", ())],
    )


def _line(result: ProbeResult, queued_at: float) -> bytes:
    record = {"queued_at": queued_at, "run": encode_result(result)}
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def write_atomically(path: Path, data: Iterable[bytes]) -> None:
    """Replace `path` with `data` (a temporary file beside it, fsynced, then renamed)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        for chunk in data:
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# -- the file ----------------------------------------------------------------------------------


def _end_of_last_line(fh: IO[bytes], size: int) -> int:
    """The offset just past the last newline of a file of `size` bytes (0 if it has none)."""
    at = size
    while at > 0:
        start = max(0, at - 65536)
        fh.seek(start)
        found = fh.read(at - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        at = start
    return 0


class SpillFile:
    """An append-only JSON-lines file of unwritten runs and how far it is committed."""

    def __init__(self, path: Path) -> None:
        """Nothing is created until a run is spilled; a file left by an earlier process is taken
        over (and locked) at once."""
        self.path = path
        self._offset_path = path.with_name(path.name + ".offset")
        self._lock: IO[bytes] | None = None
        self._append: IO[bytes] | None = None
        self._committed = 0  # offset below which every run is in the database
        self._read_at = 0  # offset of the next run not yet handed to the writer
        self.unread = 0  # runs in the file not yet handed to the writer
        if path.exists():
            self._own()
            self._recover()

    def _own(self) -> None:
        """Create the folder (mode 0700) and take the lock, once."""
        if self._lock is not None:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = try_lock(self.path.with_name(self.path.name + ".lock"))
        if lock is None:
            raise SpillFileInUse(
                f"{self.path} is in use by another seamwatch process; give each `serve` its "
                "own `runner.state_dir`"
            )
        self._lock = lock

    def _recover(self) -> None:
        """Pick up a file left by an earlier process: drop a torn last line (the process died
        while appending), resume after the committed offset, count what is left."""
        if not self.path.exists():
            return
        size = self.path.stat().st_size
        with open(self.path, "r+b") as fh:
            whole = _end_of_last_line(fh, size)
            if whole < size:
                log.warning("%s: dropping a torn last line (%d bytes) written when the process "
                            "stopped mid-write", self.path, size - whole)
                fh.truncate(whole)
            offset = 0
            with contextlib.suppress(FileNotFoundError, ValueError):
                offset = int(self._offset_path.read_text().strip() or 0)
            self._committed = self._read_at = offset if 0 <= offset <= whole else 0
            fh.seek(self._committed)
            self.unread = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
        if self.unread:
            log.warning("%d unwritten run(s) in %s from an earlier stop will be written first",
                        self.unread, self.path)

    def append(self, items: Iterable[tuple[ProbeResult, float]]) -> int:
        """Append runs (in order) after everything in the file; returns how many. Flushed to
        the operating system, so a killed process loses none of them."""
        if self._append is None:
            self._own()
            self._append = open(self.path, "ab")  # noqa: SIM115
        n = 0
        for result, queued_at in items:
            self._append.write(_line(result, queued_at))
            n += 1
        self._append.flush()
        self.unread += n
        return n

    def take(self, limit: int) -> list[Spilled]:
        """Up to `limit` of the oldest runs not yet handed out, in file order."""
        if limit <= 0 or not self.unread:
            return []
        out: list[Spilled] = []
        with open(self.path, "rb") as fh:
            fh.seek(self._read_at)
            while len(out) < limit and self.unread:
                line = fh.readline()
                if not line.endswith(b"\n"):
                    self.unread = 0  # cannot happen: the file only grows by whole lines
                    break
                self._read_at += len(line)
                self.unread -= 1
                try:
                    record = json.loads(line)
                    run = decode_result(record["run"])
                except (ValueError, KeyError, TypeError) as exc:
                    log.error("%s: skipping an unreadable run at byte %d (%s: %s)", self.path,
                              self._read_at - len(line), type(exc).__name__, exc)
                    continue
                out.append(Spilled(run, float(record.get("queued_at", 0.0)), self._read_at))
        return out

    def committed(self, end: int) -> None:
        """Everything before offset `end` is in the database. Empties the file once all of it
        is."""
        self._committed = max(self._committed, end)
        if not self.unread and self._committed >= self._read_at:
            if self._append is not None:
                self._append.close()
                self._append = None
            with open(self.path, "r+b") as fh:
                fh.truncate(0)
            self._committed = self._read_at = 0
            self._offset_path.unlink(missing_ok=True)
            log.info("every spilled run is written; %s is empty", self.path)
            return
        write_atomically(self._offset_path, [f"{self._committed}\n".encode()])

    def rewrite(self, head: Sequence[tuple[ProbeResult, float]]) -> int:
        """Put `head` (the runs held in memory, oldest first) in front of the runs not yet handed
        out, as a new file; returns how many unwritten runs the file holds now."""
        if self._append is not None:
            self._append.close()
            self._append = None
        self._own()
        rest_at = self._read_at

        def chunks() -> Iterable[bytes]:
            for result, queued_at in head:
                yield _line(result, queued_at)
            if self.path.exists():
                with open(self.path, "rb") as fh:
                    fh.seek(rest_at)
                    while block := fh.read(1 << 20):
                        yield block

        write_atomically(self.path, chunks())
        self._offset_path.unlink(missing_ok=True)
        self._committed = self._read_at = 0
        self.unread += len(head)
        return self.unread

    def close(self) -> None:
        if self._append is not None:
            self._append.flush()
            os.fsync(self._append.fileno())
            self._append.close()
            self._append = None
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
