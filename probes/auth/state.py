"""The state file that keeps a rotated OAuth2 refresh token across restarts.

`<state_dir>/<integration>.refresh_token.json`, mode 0600 in a directory created with mode 0700,
replaced atomically (temporary file created 0600 in the same directory, fsync, `os.replace`). It
records a fingerprint (sha256) of the refresh token written in the config: the stored token is
used only while the config still holds that same token, so a user who pastes a new refresh token
into the config gets it used instead of an older rotated one. The file is the only place a rotated
token is written; it never reaches the results database.

Several processes may share the file (`serve` and a `seamwatch once` beside it). A provider that
rotates the token on every refresh would see the second one present a token the first already
replaced (`invalid_grant`; a provider with reuse detection revokes the whole family). So every
refresh runs under `RefreshTokenState.locked()`: an exclusive `flock` on
`<state file>.lock` beside it (created 0600, never holding a secret), taken without blocking the
event loop; the grant re-reads the file under the lock before it refreshes (probes/auth/oauth2.py).
If the lock file cannot be created (a read-only state directory), the refresh goes ahead unlocked
with a warning, as an unwritable state file already does.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
LOCK_SUFFIX = ".lock"
# How often a waiting refresh tries the lock again: another process holds it only for one token
# request, so a short, capped backoff costs little and needs no thread.
_LOCK_POLL_FIRST_S = 0.005
_LOCK_POLL_MAX_S = 0.1


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def state_path(state_dir: Path, integration: str, configured: str | None = None) -> Path:
    """Where the integration's refresh token is kept: `configured` (the spec's `state_file`,
    relative to `state_dir` unless absolute) or `<state_dir>/<integration>.refresh_token.json`."""
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_absolute() else state_dir / path
    return state_dir / f"{integration}.refresh_token.json"


def _make_dir(directory: Path) -> None:
    if not directory.exists():
        directory.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask


def _try_lock(fd: int, path: Path) -> bool:
    """Take the lock if it is free. False while another holder has it; True also when the
    filesystem cannot lock at all (logged: the refresh then goes ahead unlocked)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        log.warning("could not lock %s (%s): refreshing without the lock", path, exc.strerror)
    return True


class RefreshTokenState:
    def __init__(self, path: Path, config_token: str) -> None:
        self.path = path
        self._config_fingerprint = fingerprint(config_token)
        self._lock_warned = False

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + LOCK_SUFFIX)

    def _open_lock(self) -> int | None:
        try:
            _make_dir(self.path.parent)
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        except OSError as exc:
            if not self._lock_warned:
                self._lock_warned = True
                log.warning("could not create the refresh token lock %s (%s): refreshing "
                            "without it", self.lock_path, exc.strerror)
            return None

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Hold the exclusive lock on the state file for the body (one refresh). Waiting for a
        lock another process (or another provider of this one) holds does not block the loop,
        and cancelling the wait leaves nothing locked."""
        fd = self._open_lock()
        if fd is None:
            yield
            return
        try:
            pause = _LOCK_POLL_FIRST_S
            while not _try_lock(fd, self.lock_path):
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LOCK_POLL_MAX_S)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def load(self) -> str | None:
        """The stored refresh token if it was rotated from the token now in the config."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable refresh token state %s: %s", self.path, type(exc))
            return None
        if not isinstance(data, dict):
            return None
        token = data.get("refresh_token")
        if data.get("config_fingerprint") != self._config_fingerprint:
            return None  # the config's token changed since: it wins
        return token if isinstance(token, str) and token else None

    def save(self, token: str) -> None:
        """Atomically store `token` (mode 0600) with the fingerprint of the config's token."""
        directory = self.path.parent
        _make_dir(directory)
        body = json.dumps(
            {
                "version": 1,
                "refresh_token": token,
                "config_fingerprint": self._config_fingerprint,
                "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                os.fchmod(fh.fileno(), FILE_MODE)  # before any secret byte is written
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
