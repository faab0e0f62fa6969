"""`seamwatch test-channel NAME`: one test notice through the channel, one line either way, and
the documented exit codes (0 delivered, 1 not delivered, 2 no such channel or invalid config)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.receiver import SECRET, Receiver
from tests.support.servers import UvicornThread, free_port

CANARY = "Canary-Topic-Secret-9902"


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, UvicornThread]]:
    rec = Receiver(secret=SECRET)
    server = UvicornThread(rec).start()
    yield rec, server
    server.stop()


def _config(folder: Path, hook_url: str, apprise_url: str) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
channels:
  hooks: {{type: webhook, url: "{hook_url}", secret: "{SECRET}"}}
  chat: {{type: apprise, urls: ["{apprise_url}"], format: text}}
integrations:
  - name: shop
    base_url: http://127.0.0.1:9
    probes: [{{name: me, steps: [{{name: get, path: /}}]}}]
""")
    return path


def test_webhook_test_notice_is_signed_and_delivered(
    tmp_path: Path, receiver: tuple[Receiver, UvicornThread]
) -> None:
    rec, server = receiver
    config = _config(tmp_path, f"{server.url}/hook", f"json://127.0.0.1:{server.port}/x")
    done = run_cli(["test-channel", "-c", str(config), "hooks"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"sent a test notice to channel hooks (webhook to http://127.0.0.1:{server.port})")
    [request] = rec.accepted
    body = json.loads(request.body)
    assert body["kind"] == "test" and body["integration"] == "seamwatch"
    assert request.headers["webhook-id"] == body["id"] and body["id"].startswith("test-")


def test_refused_delivery_is_one_line_and_exit_1(
    tmp_path: Path, receiver: tuple[Receiver, UvicornThread]
) -> None:
    rec, server = receiver
    rec.script.append((503, {"Retry-After": "30"}))
    config = _config(tmp_path, f"{server.url}/hook", f"json://127.0.0.1:{server.port}/x")
    done = run_cli(["test-channel", "-c", str(config), "hooks"])
    assert done.returncode == 1
    assert done.stderr == (
        f"seamwatch: test notice to channel hooks not delivered: http://127.0.0.1:{server.port} "
        "answered 503 Service Unavailable (Retry-After 30s)\n")


def test_apprise_failure_names_the_problem_without_the_url_secret(tmp_path: Path) -> None:
    port = free_port()  # nothing listens
    config = _config(tmp_path, f"http://127.0.0.1:{port}/hook",
                     f"ntfy://127.0.0.1:{port}/{CANARY}")
    done = run_cli(["test-channel", "-c", str(config), "chat"])
    assert done.returncode == 1
    assert done.stderr.startswith(
        "seamwatch: test notice to channel chat not delivered: apprise (ntfy://): ")
    assert "onnection" in done.stderr and len(done.stderr.splitlines()) == 1
    assert CANARY not in done.stderr + done.stdout


def test_unknown_channel_is_exit_2(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:1/hook", "json://127.0.0.1:1/x")
    done = run_cli(["test-channel", "-c", str(config), "pager"])
    assert done.returncode == 2
    assert done.stderr == (
        f"seamwatch: {config}: no channel named `pager` (channels: hooks, chat)\n")
