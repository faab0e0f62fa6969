"""The state file that keeps a rotated OAuth2 refresh token across restarts.

`<state_dir>/<integration>.refresh_token.json`, mode 0600 in a directory created with mode 0700,
replaced atomically (temporary file created 0600 in the same directory, fsync, `os.replace`). It
records a fingerprint (sha256) of the refresh token written in the config: the stored token is
used only while the config still holds that same token, so a user who pastes a new refresh token
into the config gets it used instead of an older rotated one. The file is the only place a rotated
token is written; it never reaches the results database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def state_path(state_dir: Path, integration: str, configured: str | None = None) -> Path:
    """Where the integration's refresh token is kept: `configured` (the spec's `state_file`,
    relative to `state_dir` unless absolute) or `<state_dir>/<integration>.refresh_token.json`."""
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_absolute() else state_dir / path
    return state_dir / f"{integration}.refresh_token.json"


class RefreshTokenState:
    def __init__(self, path: Path, config_token: str) -> None:
        self.path = path
        self._config_fingerprint = fingerprint(config_token)

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
        if not directory.exists():
            directory.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
            os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
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
