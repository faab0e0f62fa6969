"""User-facing errors reach the command line as one `seamwatch: ...` line and their documented exit
code, never a traceback: every one is a `core.errors.SeamwatchError`, caught once by the CLI."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

from core.errors import SeamwatchError
from seamwatch.demo import PortInUseError
from tests.support.cli import run_cli
from tests.support.servers import free_port


def test_port_in_use_is_a_user_error_and_still_an_os_error() -> None:
    error = PortInUseError("127.0.0.1", 8765, "demo sandbox API", "choose another with --api-port")
    assert isinstance(error, SeamwatchError) and isinstance(error, OSError)
    assert error.errno == errno.EADDRINUSE and error.exit_code == 2
    assert str(error) == ("port 8765 on 127.0.0.1 is already in use, so the demo sandbox API "
                          "cannot listen there; choose another with --api-port")


def test_demo_with_its_api_port_taken_exits_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli(["demo", "--data", str(tmp_path / "data"), "--api-port", str(port),
                          "--port", str(free_port()), "--smtp-port", str(free_port()),
                          "--listen-port", str(free_port())])
    assert result.returncode == 2, result.stderr
    assert (f"seamwatch: port {port} on 127.0.0.1 is already in use, so the demo sandbox API "
            "cannot listen there; choose another with --api-port") in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


def test_test_email_not_delivered_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f"""
email:
  smtp: {{host: 127.0.0.1, port: {free_port()}, security: none, timeout: 5s}}
  from: alerts@example.com
  to: [oncall@example.com]
integrations:
  - name: shop
    probes: [{{name: list, steps: [{{name: list, url: "http://127.0.0.1:9/"}}]}}]
""")
    result = run_cli(["test-email", "-c", str(config)])
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("seamwatch: test email not delivered: ")
