"""Message brokers for the broker kinds' tests: the machine's shared servers (RabbitMQ 5672, Redis
6379, NATS with JetStream 4222, Mosquitto 1883), and throwaway servers of our own on a free
loopback port (with authentication, ACLs or permissions the shared ones lack), started from the
machine's redis-server, nats-server and mosquitto binaries and stopped after."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from probes.result import Attempt
from tests.support.services import unavailable

HOST = "127.0.0.1"
SHARED = {"rabbitmq": 5672, "redis": 6379, "nats": 4222, "mosquitto": 1883}
START_WITHIN = 15.0  # seconds a server of our own gets to listen


def port_open(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def shared(service: str) -> int:
    """The port of the machine's `service`; skips (fails in CI) when it is down."""
    port = SHARED[service]
    if not port_open(port):
        unavailable(f"{service} is not listening on {HOST}:{port} (.ci/services starts it)")
    return port


def outcome(attempt: Attempt) -> tuple[str, str, str | None] | None:
    """(category, reason, failed step) of a failed attempt; None for one that passed."""
    if attempt.failure is None:
        return None
    return str(attempt.failure.category), attempt.failure.reason, attempt.failed_step


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class OwnServer:
    """`argv` (its binary looked up on PATH and in /usr/sbin) run until the context exits;
    entering waits, bounded, until it listens on `port`."""

    def __init__(self, argv: list[str], port: int, log: Path) -> None:
        binary = shutil.which(argv[0]) or shutil.which(argv[0], path="/usr/sbin:/usr/bin")
        if binary is None:
            unavailable(f"{argv[0]} is not installed")
        self.argv = [str(binary), *argv[1:]]
        self.port, self.log = port, log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> OwnServer:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_WITHIN
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.argv[0]} did not listen on {self.port}:\n{tail}")
            time.sleep(0.05)  # polling the port, bounded by the deadline above
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
