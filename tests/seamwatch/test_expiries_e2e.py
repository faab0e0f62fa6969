"""The expiry list end to end: `seamwatch once` against a real HTTPS API (trustme certificate)
with a JWT bearer token and a declared `expires_at`; `seamwatch status` lists every expiry,
soonest first, in text and JSON, and never shows the token."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.oauth_app import make_jwt
from tests.support.servers import UvicornThread, make_tls_files
from tests.support.testapi import TestApi


def test_status_lists_what_expires_soonest_first(tmp_path: Path) -> None:
    tls_good = make_tls_files(tmp_path / "tls")
    token = make_jwt({"sub": "probe", "exp": int(time.time()) + 5 * 86400})
    declared = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    api = TestApi()
    api.valid_tokens.add(token)
    with UvicornThread(api.app, tls=tls_good) as server:
        config = tmp_path / "seamwatch.yaml"
        config.write_text(f"""
storage: {{url: "sqlite:///results.db"}}
runner: {{listen: null}}
defaults: {{retries: 0, timeout: 5s}}
integrations:
  - name: partner
    base_url: {server.url}
    ca_file: {tls_good.ca_pem}
    auth: {{type: bearer, token: "{token}", expires_at: {declared}}}
    probes:
      - {{name: me, steps: [{{name: me, path: /protected}}]}}
""")
        once = run_cli(["once", "-c", str(config)])
        assert once.returncode == 0, once.stdout + once.stderr
    shown = run_cli(["status", "-c", str(config), "--json"])
    assert shown.returncode == 0, shown.stderr
    expiries = json.loads(shown.stdout)["expiries"]
    assert {(e["kind"], e["subject"]) for e in expiries} == {
        ("token", "bearer token"),
        ("certificate", f"127.0.0.1:{server.port}"),
        ("declared", "bearer token (declared expires_at)"),
    }
    lefts = [e["expires_in_s"] for e in expiries]
    assert lefts == sorted(lefts) and expiries[0]["kind"] == "token"
    token_left = expiries[0]["expires_in_s"]
    assert 4.9 * 86400 < token_left <= 5 * 86400
    assert all(e["integration"] == "partner" and e["warns"] for e in expiries)
    text = run_cli(["status", "-c", str(config)])
    assert "Expiries, soonest first:" in text.stdout and "bearer token" in text.stdout
    for output in (shown.stdout, text.stdout, once.stdout, once.stderr):
        assert token not in output
